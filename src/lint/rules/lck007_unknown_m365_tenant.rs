//! LCK007 unknown-m365-tenant.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK007};
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck007,
    r#"## What it catches
An M365 tenant in the files whose `id` the org does not have.

## Why it locks people out
Tenants are authorised in the admin console (an OAuth consent in Microsoft 365) and cannot be
created through the API. The plan skips the tenant and every binding to it, so the users and
groups meant to be provisioned to Microsoft 365 are not.

## Example
```yaml
m365_tenants:
  contoso: {id: 000000000000000000000000}   # a typo, or another org's tenant
```

## Fix
Authorise the tenant in the admin console (Directory Integrations > Microsoft 365) and copy its id
into the files (`jcform export` prints it), or fix the id.
"#
);

impl Rule for Lck007 {
    fn info(&self) -> &'static RuleInfo {
        &LCK007
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        cx.model
            .m365_tenants
            .iter()
            .filter(|(key, _)| !cx.after.m365_tenants.get(*key).is_some_and(|t| t.exists))
            .map(|(key, t)| {
                let address = Address::M365Tenant(key.clone());
                Finding::new(
                    &LCK007,
                    vec![address.clone()],
                    None,
                    format!(
                        "{address} has id `{}`, which the org does not have; tenants cannot be \
                         created through the API, so it and its bindings are skipped",
                        t.id
                    ),
                    "authorise the tenant in the admin console and copy its id (`jcform export` \
                     prints it), or fix the id",
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};

    #[test]
    fn fires_for_an_unknown_id() {
        let model = Files::new().tenant("contoso", "t9").build();
        let live = Org::new().tenant("t1", "Contoso", &[]).build();
        assert_eq!(
            summary(&run(&Lck007, &model, &live)),
            ["m365_tenant.contoso"]
        );
    }

    #[test]
    fn quiet_for_a_known_id() {
        let model = Files::new().tenant("contoso", "t1").build();
        let live = Org::new().tenant("t1", "Contoso", &[]).build();
        assert!(run(&Lck007, &model, &live).is_empty());
    }
}
