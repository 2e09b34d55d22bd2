//! LCK104 m365-email-domain-mismatch.

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK104};
use crate::lint::context::user_addr;
use crate::lint::{Context, Finding, Rule};
use crate::model::{Address, Directory};

rule_struct!(
    Lck104,
    r#"## What it catches
A user effectively bound to an M365 tenant whose email domain is not one of the tenant's
domains: the verified domains the org reports or, when it reports none, the domains the files
name for the tenant (`default_domain` and the `federation` domain). Needs an org; a tenant
with no domain known either way is not checked.

## Why it matters
JumpCloud matches and provisions M365 accounts by email address: with a domain the tenant does not
own, provisioning does not work for the user.

## Example
```yaml
users:
  alice: {email: alice@gmail.com}
bindings:
  - {m365_tenant: contoso, users: [alice]}   # contoso owns contoso.com
```

## Fix
Give the user an email address in one of the tenant's domains, or add and verify the domain in
Microsoft 365.
"#
);

impl Rule for Lck104 {
    fn info(&self) -> &'static RuleInfo {
        &LCK104
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        // The access model says who (in name order, like the users); the per-tenant detail is
        // read here.
        for name in cx.access.m365_blocked_by(LCK104.code) {
            let Some(email) = cx
                .after
                .users
                .get(name)
                .and_then(|u| u.attrs.email.as_ref())
            else {
                continue;
            };
            let domain = email.rsplit_once('@').map_or("", |(_, d)| d).to_lowercase();
            for dir in cx.bound(name) {
                let Directory::M365Tenant(key) = dir else {
                    continue;
                };
                let Some(t) = cx.after.m365_tenants.get(key) else {
                    continue;
                };
                let known = t.known_domains();
                if known.is_empty() || known.contains(&domain) {
                    continue;
                }
                let address = user_addr(name);
                let cause = cx
                    .change(&address)
                    .filter(|c| c.after.user().is_some_and(|u| u.email.is_present()))
                    .map(|_| address.clone());
                out.push(Finding::new(
                    &LCK104,
                    vec![address],
                    cause,
                    format!(
                        "`{name}` is bound to {} but their email domain `{domain}` is not one of \
                         its domains ({}); provisioning will not work",
                        Address::M365Tenant(key.clone()),
                        known.join(", ")
                    ),
                    "use an email address in one of the tenant's domains, or verify the domain \
                     in Microsoft 365",
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};

    fn check(email: &str) -> Vec<String> {
        let mut alice = user("alice");
        alice.attrs.email = Some(email.into());
        let model = Files::new()
            .user("alice", alice)
            .tenant("contoso", "t1")
            .bind(m365("contoso"), su("alice"))
            .build();
        let live = Org::new().tenant("t1", "Contoso", &["Contoso.com"]).build();
        summary(&run(&Lck104, &model, &live))
    }

    #[test]
    fn fires_for_a_foreign_domain() {
        assert_eq!(check("alice@gmail.com"), ["user.alice <- user.alice"]);
    }

    #[test]
    fn the_declared_domains_count_when_the_org_lists_none() {
        // Issue 16: a federated tenant names its domain in the files.
        let mut alice = user("alice");
        alice.attrs.email = Some("alice@gmail.com".into());
        let model = Files::new()
            .user("alice", alice)
            .tenant("contoso", "t1")
            .sso_app("m365", "contoso")
            .federate("contoso", "contoso.com", "m365")
            .bind(m365("contoso"), su("alice"))
            .build();
        let live = Org::new().tenant("t1", "Contoso", &[]).build();
        assert_eq!(
            summary(&run(&Lck104, &model, &live)),
            ["user.alice <- user.alice"]
        );
    }

    #[test]
    fn quiet_for_a_tenant_domain() {
        assert!(check("alice@contoso.com").is_empty());
    }
}
