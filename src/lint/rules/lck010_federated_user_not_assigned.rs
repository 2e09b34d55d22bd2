//! LCK010 federated-user-not-assigned.

use std::collections::BTreeMap;

use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK010};
use crate::lint::context::{list, user_addr, users_phrase};
use crate::lint::{Context, Finding, Rule};

rule_struct!(
    Lck010,
    r#"## What it catches
Users whose email is in an M365 domain the files federate to JumpCloud
(`m365_tenants.<key>.federation`) who are not granted the SSO application that federation
names, directly or through a group, after the plan. One finding per tenant, listing every
such user (all of them are the finding's targets).

## Why it locks people out
Once a domain is federated (`Set-MsolDomainAuthentication -Authentication Federated`, seed 002),
Entra ID sends every sign-in of that domain to JumpCloud. JumpCloud refuses users who are not
assigned the Microsoft 365 application: they lose Microsoft 365 entirely.

## Example
```yaml
m365_tenants:
  contoso: {id: 5f1e0c0b4a3f2e1d0c9b8a71, federation: {domain: contoso.com, sso_app: m365}}
sso_apps:
  m365: {template: office365, tenant: contoso, domain: contoso.com, groups: [m365-users]}
users:
  erin: {email: erin@contoso.com}   # not in m365-users
```

## Fix
Add the users to a group in the app's `groups` (or add their group to it). If someone must not
use Microsoft 365, give them an email outside the federated domain.
"#
);

impl Rule for Lck010 {
    fn info(&self) -> &'static RuleInfo {
        &LCK010
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        federated_findings(cx, &LCK010, |tenant, app, users| {
            (
                format!(
                    "{} of {tenant}'s federated domain {} not granted {app}: {}; Entra ID sends \
                     them to JumpCloud, which refuses them",
                    users_phrase(users.len()),
                    if users.len() == 1 { "is" } else { "are" },
                    list(users)
                ),
                format!("add them to a group in the `groups` of {app}"),
            )
        })
    }
}

/// The findings of a federation rule: one per tenant, listing the users (not ignored) whose
/// access verdict after the plan carries `rule` in its SSO part. `text(tenant, app, users)`
/// gives the message and the help.
pub(crate) fn federated_findings(
    cx: &Context,
    rule: &'static RuleInfo,
    text: impl Fn(&str, &str, &[&str]) -> (String, String),
) -> Vec<Finding> {
    let mut by_tenant: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    for (name, access) in cx.access.citing() {
        let Some(sso) = access.sso.as_ref() else {
            continue;
        };
        if access.ignored || access.deleted || !sso.blocked_by.contains(&rule.code) {
            continue;
        }
        by_tenant
            .entry((sso.tenant.clone(), sso.app.clone()))
            .or_default()
            .push(name);
    }
    by_tenant
        .into_iter()
        .map(|((tenant, app), users)| {
            let (message, help) = text(&tenant, &app, &users);
            let cause = (users.len() == 1).then(|| user_addr(users[0]));
            Finding::new(
                rule,
                users.iter().map(|u| user_addr(u)).collect(),
                cause,
                message,
                help,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};

    fn check(assigned: bool) -> Vec<String> {
        let mut alice = with_password(user("alice"), "correct-horse");
        alice.attrs.email = Some("alice@contoso.com".into());
        let mut erin = with_password(user("erin"), "correct-horse");
        erin.attrs.email = Some("erin@contoso.com".into());
        let mut model = Files::new()
            .user("alice", alice)
            .user("erin", erin)
            .group("m365-users", Some(&["alice"]))
            .tenant("contoso", "t1")
            .sso_app("m365", "contoso")
            .federate("contoso", "contoso.com", "m365")
            .bind(sso("m365"), sg("m365-users"));
        if assigned {
            model = model.bind(sso("m365"), su("erin"));
        }
        let org = Org::new().tenant("t1", "Contoso", &["contoso.com"]).build();
        summary(&run(&Lck010, &model.build(), &org))
    }

    #[test]
    fn fires_for_a_federated_user_without_the_app() {
        assert_eq!(check(false), ["user.erin <- user.erin"]);
    }

    #[test]
    fn quiet_when_every_federated_user_has_the_app() {
        assert!(check(true).is_empty());
    }
}
