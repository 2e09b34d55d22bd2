//! LCK116 federated-default-domain.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK116};
use crate::lint::{Context, Finding, Rule};
use crate::model::Address;

rule_struct!(
    Lck116,
    r#"## What it catches
An M365 tenant whose default domain (after the plan: as the files set it, else as the org has
it) is the domain its `federation` sends to JumpCloud.

## Why it matters
Seed 002, step 3: keep a `*.onmicrosoft.com` domain as the tenant's primary before federating.
Accounts in a federated domain can only sign in through JumpCloud; if the federation or the
SSO app breaks, an admin whose account is in the `*.onmicrosoft.com` domain can still sign in
to Microsoft 365 and undo it. With the federated domain as the default, new accounts land in it
too.

## Example
```yaml
m365_tenants:
  contoso:
    id: 5f1e0c0b4a3f2e1d0c9b8a71
    default_domain: contoso.com
    federation: {domain: contoso.com, sso_app: m365}
```

## Fix
Set `default_domain` to the tenant's `*.onmicrosoft.com` domain, and keep a Global Admin account
there (seed 002, step 2).
"#
);

impl Rule for Lck116 {
    fn info(&self) -> &'static RuleInfo {
        &LCK116
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        false
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        for (key, t) in &cx.after.m365_tenants {
            let (Some(federated), Some(default)) = (t.federated_domain(), &t.default_domain) else {
                continue;
            };
            if crate::model::domain_key(federated) != crate::model::domain_key(default) {
                continue;
            }
            let address = Address::M365Tenant(key.clone());
            let cause = cx.change(&address).map(|c| c.address.clone());
            out.push(Finding::new(
                &LCK116,
                vec![address.clone()],
                cause,
                format!(
                    "{address}'s default domain is {default}, the domain it federates to \
                     JumpCloud; if federation breaks, no account in the default domain can \
                     sign in to fix it"
                ),
                "set `default_domain` to the tenant's *.onmicrosoft.com domain and keep a \
                 Global Admin account there",
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};

    fn check(default: &str) -> Vec<String> {
        let mut model = Files::new()
            .tenant("contoso", "t1")
            .sso_app("m365", "contoso")
            .federate("contoso", "contoso.com", "m365")
            .build();
        if let Some(t) = model.m365_tenants.get_mut("contoso") {
            t.default_domain = Some(default.into());
        }
        let org = Org::new()
            .tenant("t1", "Contoso", &["contoso.com", "contoso.onmicrosoft.com"])
            .build();
        summary(&run(&Lck116, &model, &org))
    }

    #[test]
    fn fires_when_the_default_domain_is_federated() {
        // The org's default is already the federated domain (the first one listed).
        assert_eq!(check("contoso.com"), ["m365_tenant.contoso"]);
    }

    #[test]
    fn quiet_with_an_onmicrosoft_default() {
        assert!(check("contoso.onmicrosoft.com").is_empty());
    }
}
