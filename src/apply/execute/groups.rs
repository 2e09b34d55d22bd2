//! Group steps: create and update (a full-replace PUT built from the group as read), then the
//! read-back check of what was written.

use super::*;

impl Runner<'_> {
    // --------------------------------------------------------------------------------------
    // Groups

    pub(super) async fn create_group(&self, name: &str, fields: &GroupFields) -> StepOutcome {
        let description = text(&fields.description);
        let body = convert::group_body(name, description.as_deref());
        let address = Address::Group(name.to_string());
        let (id, note, answer) = match self.client.create_group(body).await {
            Ok(g) => (g.wire.id.clone(), None, Some(g)),
            Err(e) if lost_or_taken(&e) => {
                let groups = self
                    .client
                    .list_groups()
                    .await
                    .map_err(|e| format!("looking the group up after the create: {e}"))?;
                match groups.into_iter().find(|g| g.wire.name == name) {
                    Some(g) => (g.wire.id, Some(found_note(&e)), None),
                    None => return Err(e.to_string()),
                }
            }
            Err(e) => return Err(e.to_string()),
        };
        self.remember(&address, &id);
        self.mark_created(&id);
        // As for users: the create's answer, when it shows the group as asked.
        let confirmed =
            answer.is_some_and(|g| verify_group(&g, description.as_deref(), None).is_ok());
        if !confirmed {
            self.check_group(&id, description.as_deref(), None).await?;
        }
        Ok(Done {
            remote_id: Some(id),
            note,
        })
    }

    /// `PUT /usergroups/{id}` replaces the whole group, so the body is the group as read just
    /// now with only the managed fields changed: its dynamic rule, email, `sudo`, POSIX and
    /// every other field the files don't manage go back as they are. The same read is the
    /// precondition: the managed fields still hold what the plan read.
    pub(super) async fn update_group(&self, name: &str, fields: &GroupFields) -> StepOutcome {
        let address = Address::Group(name.to_string());
        let id = self.id(&address)?;
        let now = self
            .client
            .get_group(&id)
            .await
            .map_err(|e| format!("reading the group before the update: {e}"))?;
        let current = convert::live_group(&now, BTreeSet::new());
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.groups.get(&id))? {
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &current, precondition::group),
            )?;
        }
        let description = text(&fields.description);
        let rename = fields.name.is_present();
        let body = writes::group_put_body(&now.raw, name, rename, description.as_deref())?;
        self.client
            .update_group(&id, body)
            .await
            .map_err(|e| e.to_string())?;
        let want = description.or(current.description.clone());
        self.check_group(&id, want.as_deref(), Some(&now.raw))
            .await?;
        Ok(Done::id(id))
    }

    /// Reads the group back: the description is as written and, after an update, the group kept
    /// its `membershipMethod` and did not lose its `memberQuery`, `email` or `attributes`
    /// (`before`: the group as read before the write), so a server that dropped them is
    /// reported rather than missed.
    pub(super) async fn check_group(
        &self,
        id: &str,
        description: Option<&str>,
        before: Option<&Value>,
    ) -> Result<(), String> {
        let read = self
            .client
            .get_group(id)
            .await
            .map_err(|e| format!("reading the group back: {e}"))?;
        verify_group(&read, description, before)
    }
}

/// Compares a group as the API answered with the description asked; after an update (`before`:
/// the group as read before it), also that the rule's kind and the unmanaged fields survived.
pub(super) fn verify_group(
    read: &Fetched<UserGroup>,
    description: Option<&str>,
    before: Option<&Value>,
) -> Result<(), String> {
    let got = read.wire.description.as_deref().filter(|d| !d.is_empty());
    let want = description.filter(|d| !d.is_empty());
    let mut diffs = Vec::new();
    if got != want {
        diffs.push(format!("description is {got:?}, expected {want:?}"));
    }
    if let Some(before) = before {
        // The rule's kind must not change; the other fields must not vanish. (Their
        // content is not compared: a server may normalise what it stores.)
        let method = |g: &Value| g.get("membershipMethod").cloned().unwrap_or(Value::Null);
        if method(before) != method(&read.raw) {
            diffs.push(format!(
                "membershipMethod is {}, was {} before the update",
                method(&read.raw),
                method(before)
            ));
        }
        for field in ["memberQuery", "email", "attributes"] {
            let set = |g: &Value| {
                g.get(field).is_some_and(|v| {
                    !(v.is_null()
                        || v.as_str() == Some("")
                        || v.as_object().is_some_and(|o| o.is_empty()))
                })
            };
            if set(before) && !set(&read.raw) {
                diffs.push(format!("{field} was dropped by the update"));
            }
        }
    }
    mismatch("group", diffs)
}
