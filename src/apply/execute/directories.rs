//! AD domain steps: create (with delegation) and update (a merging PATCH), then the read-back
//! check of what was written.

use super::*;

impl Runner<'_> {
    // --------------------------------------------------------------------------------------
    // AD domains and M365 tenants

    pub(super) async fn create_ad(&self, key: &str, fields: &AdDomainFields) -> StepOutcome {
        let asked = ad_fields(key, fields, self.ctx.model)?;
        let address = Address::AdDomain(key.to_string());
        let dn = ad_domain_to_dn(&asked.domain);
        let (id, note, answer) =
            match self.client.create_ad(&dn, convert::ad_fields(&asked)).await {
                Ok(ad) => (ad.wire.id.clone(), None, Some(ad)),
                Err(e) if lost_or_taken(&e) => {
                    let ads =
                        self.client.list_ads().await.map_err(|e| {
                            format!("looking the AD domain up after the create: {e}")
                        })?;
                    let want = normalize_ad_domain(&asked.domain);
                    match ads
                        .into_iter()
                        .find(|a| normalize_ad_domain(&a.wire.domain) == want)
                    {
                        Some(a) => (a.wire.id, Some(found_note(&e)), None),
                        None => return Err(e.to_string()),
                    }
                }
                Err(e) => return Err(e.to_string()),
            };
        self.remember(&address, &id);
        self.mark_created(&id);
        // As for users: the create's answer, when it shows the domain as asked.
        let confirmed = answer.is_some_and(|ad| verify_ad(&ad, &asked).is_ok());
        if !confirmed {
            self.check_ad(&id, &asked).await?;
        }
        Ok(Done {
            remote_id: Some(id),
            note,
        })
    }

    /// `PATCH /activedirectories/{id}` merges: the body holds only the managed fields.
    pub(super) async fn update_ad(&self, key: &str, fields: &AdDomainFields) -> StepOutcome {
        let address = Address::AdDomain(key.to_string());
        let id = self.id(&address)?;
        let asked = ad_fields(key, fields, self.ctx.model)?;
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.ad_domains.get(&id))? {
            let now = self
                .client
                .get_ad(&id)
                .await
                .map_err(|e| format!("reading the AD domain before the update: {e}"))?;
            let now = convert::live_ad(&now, &[]);
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &now, precondition::ad_domain),
            )?;
        }
        self.client
            .patch_ad(&id, convert::ad_fields(&asked))
            .await
            .map_err(|e| e.to_string())?;
        self.check_ad(&id, &asked).await?;
        Ok(Done::id(id))
    }

    pub(super) async fn check_ad(&self, id: &str, asked: &AdDomain) -> Result<(), String> {
        let read = self
            .client
            .get_ad(id)
            .await
            .map_err(|e| format!("reading the AD domain back: {e}"))?;
        verify_ad(&read, asked)
    }
}

/// Compares an AD domain as the API answered with the fields the step wrote.
pub(super) fn verify_ad(read: &Fetched<ActiveDirectory>, asked: &AdDomain) -> Result<(), String> {
    let live = convert::live_ad(read, &[]);
    let mut diffs = Vec::new();
    if let Some(want) = asked.use_case {
        if live.use_case != want {
            diffs.push(format!(
                "use_case is {}, expected {}",
                live.use_case.config_name(),
                want.config_name()
            ));
        }
    }
    if let Some(want) = asked.delegation {
        if live.delegation != want {
            diffs.push(format!(
                "delegation is {}, expected {}",
                live.delegation.config_name(),
                want.config_name()
            ));
        }
    }
    if let Some(want) = asked.groups_enabled {
        if live.groups_enabled != want {
            diffs.push(format!("groups_enabled is {}", live.groups_enabled));
        }
    }
    mismatch("AD domain", diffs)
}
