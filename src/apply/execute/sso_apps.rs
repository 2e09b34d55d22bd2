//! SSO application steps: create (looked up by template and label when the answer is lost)
//! and update (a full-replace PUT built from the app as read), then the read-back check.

use super::*;

impl Runner<'_> {
    // --------------------------------------------------------------------------------------
    // SSO applications

    /// `POST /applications`; a lost answer or a taken label is looked up by template and label.
    pub(super) async fn create_app(&self, key: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::SsoApp(key.to_string());
        let template = text(fields, "template")?
            .ok_or_else(|| format!("{address} has no template to create it from"))?;
        let asked = sso_app_fields(fields)?;
        let body = convert::sso_app_body(&json!({}), &template, &asked);
        let (id, note) = match self.client.create_application(body).await {
            Ok(app) => (app.wire.id, None),
            Err(e) if lost_or_taken(&e) => {
                let apps = self
                    .client
                    .list_applications()
                    .await
                    .map_err(|e| format!("looking the app up after the create: {e}"))?;
                let label = asked
                    .iter()
                    .find(|(k, _)| k == "display_label")
                    .map(|(_, v)| v.to_lowercase());
                // Only an app the plan's read did not hold can be the one just created, and
                // only one: several are never resolved by picking one.
                let found: Vec<String> = apps
                    .into_iter()
                    .filter(|a| {
                        a.wire.name == template
                            && a.wire.display_label.as_deref().map(str::to_lowercase) == label
                            && !self.ctx.live.sso_apps.contains_key(&a.wire.id)
                    })
                    .map(|a| a.wire.id)
                    .collect();
                match found.as_slice() {
                    [id] => (id.clone(), Some(found_note(&e))),
                    [] => return Err(e.to_string()),
                    many => {
                        return Err(format!(
                            "{e}; {} new `{template}` apps with this label are in the org now \
                             (ids {}): delete the duplicate in the JumpCloud console, then plan \
                             again",
                            many.len(),
                            many.join(", ")
                        ))
                    }
                }
            }
            Err(e) => return Err(e.to_string()),
        };
        self.remember(&address, &id);
        self.mark_created(&id);
        self.check_app(&id, &asked).await?;
        Ok(Done {
            remote_id: Some(id),
            note,
        })
    }

    /// `PUT /applications/{id}` replaces the whole app: the body is the app as read just now
    /// (which is also the precondition's read) with only the managed fields changed.
    pub(super) async fn update_app(&self, key: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::SsoApp(key.to_string());
        let id = self.id(&address)?;
        let asked = sso_app_fields(fields)?;
        let now = self
            .client
            .get_application(&id)
            .await
            .map_err(|e| format!("reading the app before the update: {e}"))?;
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.sso_apps.get(&id))? {
            let live_now = convert::live_sso_app(&now);
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &live_now, precondition::sso_app_field),
            )?;
        }
        let body = convert::sso_app_body(&now.raw, &now.wire.name, &asked);
        self.client
            .update_application(&id, body)
            .await
            .map_err(|e| e.to_string())?;
        self.check_app(&id, &asked).await?;
        Ok(Done::id(id))
    }

    pub(super) async fn check_app(
        &self,
        id: &str,
        asked: &[(String, String)],
    ) -> Result<(), String> {
        let read = self
            .client
            .get_application(id)
            .await
            .map_err(|e| format!("reading the app back: {e}"))?;
        let live = convert::live_sso_app(&read);
        let mut diffs = Vec::new();
        for (field, want) in asked {
            let got = precondition::sso_app_field(&live, field).flatten();
            let want = Some(want.trim())
                .filter(|w| !w.is_empty())
                .map(str::to_string);
            if got != want {
                diffs.push(format!("{field} is {got:?}, expected {want:?}"));
            }
        }
        mismatch("SSO app", diffs)
    }
}
