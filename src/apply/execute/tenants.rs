//! M365 tenant steps: update (a merging PATCH, read first for the default domain's id),
//! then the read-back check of what was written.

use super::*;

impl Runner<'_> {
    /// `PATCH /office365s/{id}` merges: the body holds only the managed fields. The tenant is
    /// read first anyway (the default domain is written by its object id), and that read is
    /// also the precondition.
    pub(super) async fn update_tenant(
        &self,
        key: &str,
        fields: &Map<String, Value>,
    ) -> StepOutcome {
        let address = Address::M365Tenant(key.to_string());
        let id = self.id(&address)?;
        let asked = tenant_fields(&id, fields)?;
        let live = self.read_tenant(&id).await?;
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.m365_tenants.get(&id))? {
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &live, precondition::tenant_field),
            )?;
        }
        let body = convert::m365_patch(&asked, &live)?;
        self.client
            .patch_m365(&id, body)
            .await
            .map_err(|e| e.to_string())?;
        let live = self.read_tenant(&id).await?;
        let mut diffs = Vec::new();
        let pairs: [(&str, Option<String>, Option<String>); 5] = [
            ("name", asked.name.clone(), live.name.clone()),
            (
                "groups_enabled",
                asked.groups_enabled.map(|b| b.to_string()),
                Some(live.groups_enabled.to_string()),
            ),
            (
                "default_domain",
                asked.default_domain.clone(),
                live.default_domain.clone(),
            ),
            (
                "user_lockout_action",
                asked.user_lockout_action.map(|a| a.name().to_string()),
                live.user_lockout_action.map(|a| a.name().to_string()),
            ),
            (
                "user_password_expiration_action",
                asked
                    .user_password_expiration_action
                    .map(|a| a.name().to_string()),
                live.user_password_expiration_action
                    .map(|a| a.name().to_string()),
            ),
        ];
        for (field, want, got) in pairs {
            if let Some(want) = want {
                let same = got
                    .as_deref()
                    .is_some_and(|g| g.eq_ignore_ascii_case(&want));
                if !same {
                    diffs.push(format!("{field} is {got:?}, expected {want:?}"));
                }
            }
        }
        mismatch("tenant", diffs)?;
        Ok(Done::id(id))
    }

    pub(super) async fn read_tenant(
        &self,
        id: &str,
    ) -> Result<crate::model::live::LiveM365Tenant, String> {
        let tenant = self
            .client
            .get_m365(id)
            .await
            .map_err(|e| format!("reading tenant {id}: {e}"))?;
        let domains = self
            .client
            .list_m365_domains(id)
            .await
            .map_err(|e| format!("reading the domains of tenant {id}: {e}"))?;
        Ok(convert::live_m365(&tenant, &domains))
    }
}
