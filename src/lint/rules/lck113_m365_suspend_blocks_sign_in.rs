//! LCK113 m365-suspend-blocks-sign-in.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK113};
use crate::lint::context::{list, user_addr, users_phrase};
use crate::lint::{Context, Finding, Rule};

rule_struct!(
    Lck113,
    r#"## What it catches
A plan that suspends users who are effectively bound to an M365 tenant after the plan (directly
or through a group). One finding per tenant, listing every user it suspends.

## Why it matters
JumpCloud deprovisions a suspended user in Microsoft 365 (the `user_deprovision` event: the
account is deactivated): they cannot sign in to Microsoft 365 or receive email there until they
are active again. Right for a leaver, a surprise for someone on leave who still needs email.

## Example
```yaml
users:
  carol: {email: carol@example.com, state: suspended}   # bound to contoso through `sales`
```

## Fix
If they should keep Microsoft 365, do not suspend them (remove their access to the resources
that matter instead). Otherwise accept it, with a waiver if the warning is expected.
"#
);

impl Rule for Lck113 {
    fn info(&self) -> &'static RuleInfo {
        &LCK113
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        // The access model marks the users; one finding per tenant lists them all.
        let mut by_tenant: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for name in cx.access.m365_blocked_by(LCK113.code) {
            let tenant = cx
                .access
                .after
                .get(name)
                .and_then(|v| v.m365.tenant.clone())
                .unwrap_or_else(|| "their M365 tenants".to_string());
            by_tenant.entry(tenant).or_default().push(name);
        }
        by_tenant
            .into_iter()
            .map(|(tenant, users)| {
                // One user: their own change is the cause; several: each user's own.
                let cause = (users.len() == 1).then(|| user_addr(users[0]));
                Finding::new(
                    &LCK113,
                    users.iter().map(|u| user_addr(u)).collect(),
                    cause,
                    format!(
                        "the plan suspends {} bound to {tenant}: {}; they are deprovisioned in \
                         Microsoft 365 (sign-in blocked) while suspended",
                        users_phrase(users.len()),
                        list(&users)
                    ),
                    "if they should keep Microsoft 365 and email, do not suspend them",
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
    use crate::model::UserState;

    fn check(state: UserState, bound: bool) -> Vec<String> {
        let mut model = Files::new().tenant("contoso", "t1");
        let mut org = Org::new().tenant("t1", "Contoso", &[]);
        for (i, name) in ["alice", "bob"].iter().enumerate() {
            let mut u = user(name);
            u.attrs.state = Some(state);
            model = model.user(name, u);
            org = org.user(&format!("u{i}"), name);
        }
        if bound {
            model = model
                .group("staff", Some(&["alice", "bob"]))
                .bind(m365("contoso"), sg("staff"));
            org = org
                .group("g1", "staff", &["u0", "u1"])
                .bind(m365("t1"), sg("g1"));
        }
        summary(&run(&Lck113, &model.build(), &org.build()))
    }

    #[test]
    fn fires_once_per_tenant_listing_every_suspended_user() {
        assert_eq!(check(UserState::Suspended, true), ["user.alice user.bob"]);
    }

    #[test]
    fn quiet_when_not_bound_or_not_suspended() {
        assert!(check(UserState::Suspended, false).is_empty());
        assert!(check(UserState::Active, true).is_empty());
    }
}
