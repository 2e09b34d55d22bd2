//! Edge steps: add or remove a group membership or a binding (JumpCloud's association of a
//! user or group with an AD domain, M365 tenant or SSO app). An edge already as asked is done.

use super::*;

impl Runner<'_> {
    pub(super) async fn edge(&self, address: &Address, op: Op) -> StepOutcome {
        let result = match address {
            Address::Membership(g, u) => {
                let group = self.id(&Address::Group(g.clone()))?;
                let user = self.id(&Address::User(u.clone()))?;
                self.client.member_op(&group, op, &user).await
            }
            Address::Binding(b) => {
                let directory = match &b.directory {
                    Directory::AdDomain(k) => {
                        Directory::AdDomain(self.id(&Address::AdDomain(k.clone()))?)
                    }
                    Directory::M365Tenant(k) => {
                        Directory::M365Tenant(self.id(&Address::M365Tenant(k.clone()))?)
                    }
                    Directory::SsoApp(k) => {
                        Directory::SsoApp(self.id(&Address::SsoApp(k.clone()))?)
                    }
                };
                let subject = match &b.subject {
                    Subject::User(k) => Subject::User(self.id(&Address::User(k.clone()))?),
                    Subject::Group(k) => Subject::Group(self.id(&Address::Group(k.clone()))?),
                };
                self.client.association_op(&directory, op, &subject).await
            }
            other => return Err(format!("{other} is not an edge")),
        };
        match result {
            Ok(()) => Ok(Done {
                remote_id: None,
                note: None,
            }),
            // The edge is already as asked.
            Err(e) if op == Op::Add && e.is_conflict() => Ok(Done::noted(None, "already there")),
            Err(e) if op == Op::Remove && e.is_not_found() => Ok(Done::noted(None, "already gone")),
            Err(e) => Err(e.to_string()),
        }
    }
}
