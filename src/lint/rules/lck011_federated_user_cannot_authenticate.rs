//! LCK011 federated-user-cannot-authenticate.

use super::lck010_federated_user_not_assigned::federated_findings;
use super::rule_struct;
use crate::lint::catalog::{RuleInfo, LCK011};
use crate::lint::context::{list, users_phrase};
use crate::lint::{Context, Finding, Rule};

rule_struct!(
    Lck011,
    r#"## What it catches
Users whose email is in an M365 domain the files federate to JumpCloud who cannot pass
JumpCloud's login after the plan: no JumpCloud password and not delegated to an available
delegation domain (the access model's User Portal verdict), or suspended or staged. One finding
per tenant, listing every such user.

## Why it locks people out
A federated domain signs in at JumpCloud only (seed 002). A user JumpCloud cannot authenticate
loses Microsoft 365 sign-in entirely: there is no Microsoft password to fall back on.

## Example
```yaml
m365_tenants:
  contoso: {id: 5f1e0c0b4a3f2e1d0c9b8a71, federation: {domain: contoso.com, sso_app: m365}}
users:
  carol: {email: carol@contoso.com, state: suspended}
```

## Fix
Give them a JumpCloud password (`initial_password` when they are created) or a working
delegated authority, or activate them. For someone who should lose access (a leaver), waive the
finding for that user with a reason.
"#
);

impl Rule for Lck011 {
    fn info(&self) -> &'static RuleInfo {
        &LCK011
    }

    fn doc(&self) -> &'static str {
        Self::DOC
    }

    fn needs_org(&self) -> bool {
        true
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        federated_findings(cx, &LCK011, |tenant, _app, users| {
            (
                format!(
                    "{} of {tenant}'s federated domain cannot pass JumpCloud's login: {}; they \
                     lose Microsoft 365 sign-in (`jcform access --user <name>` says why)",
                    users_phrase(users.len()),
                    list(users)
                ),
                "give them a JumpCloud password or a working delegated authority, or activate \
                 them; waive it for someone who leaves on purpose"
                    .to_string(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::lint::rules::testing::{run, summary};
    use crate::model::UserState;

    fn check(state: UserState) -> Vec<String> {
        let mut carol = with_password(user("carol"), "correct-horse");
        carol.attrs.email = Some("carol@contoso.com".into());
        carol.attrs.state = Some(state);
        let model = Files::new()
            .user("carol", carol)
            .tenant("contoso", "t1")
            .sso_app("m365", "contoso")
            .federate("contoso", "contoso.com", "m365")
            .bind(sso("m365"), su("carol"))
            .build();
        let org = Org::new().tenant("t1", "Contoso", &["contoso.com"]).build();
        summary(&run(&Lck011, &model, &org))
    }

    #[test]
    fn fires_for_a_suspended_federated_user() {
        assert_eq!(check(UserState::Suspended), ["user.carol <- user.carol"]);
    }

    #[test]
    fn quiet_for_an_active_user_with_a_password() {
        assert!(check(UserState::Active).is_empty());
    }
}
