//! User steps: create, update (with state moves and the initial password), delegate and
//! undelegate (with their delegated-authority precondition), password authority, then the
//! read-back check of what was written.

use super::*;

impl Runner<'_> {
    /// The delegated authority the user had when the plan read it, or as this apply last set
    /// it.
    pub(super) fn authority_baseline(&self, user_id: &str) -> Option<Option<String>> {
        let written = self.authority.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = written.get(user_id) {
            return Some(a.clone());
        }
        drop(written);
        match self.ctx.live.users.get(user_id) {
            Some(u) => Some(u.delegated_authority.clone()),
            // Created by this apply without one (creates never set it).
            None if self.was_created(user_id) => Some(None),
            None => None,
        }
    }

    /// Reads the user and checks its delegated authority is still `baseline` (or already
    /// `wanted`) before a delegate or undelegate step writes it.
    pub(super) async fn check_authority(
        &self,
        address: &Address,
        id: &str,
        wanted: Option<&str>,
    ) -> Result<(), String> {
        let Some(baseline) = self.authority_baseline(id) else {
            return self.planned::<()>(address, id, None).map(|_| ());
        };
        let now = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user before the write: {e}"))?;
        let now = convert::live_user(&now).delegated_authority;
        if now == baseline || now.as_deref() == wanted {
            return Ok(());
        }
        let drift = precondition::Drift {
            field: "delegated_authority".into(),
            planned: baseline,
            now,
        };
        precondition::check(address, &[drift])
    }

    pub(super) fn wrote_authority(&self, user_id: &str, authority: Option<&str>) {
        let mut written = self.authority.lock().unwrap_or_else(|e| e.into_inner());
        written.insert(user_id.to_string(), authority.map(str::to_string));
    }

    // --------------------------------------------------------------------------------------
    // Users

    pub(super) async fn create_user(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let attrs = user_attrs(fields)?;
        let mut body = convert::user_body(name, &attrs, true);
        if fields.contains_key("initial_password") {
            let password = self.password(name)?;
            if let Value::Object(map) = &mut body {
                map.insert("password".into(), Value::String(password));
            }
        }
        let address = Address::User(name.to_string());
        let (id, note, answer) = match self.client.create_user(body).await {
            Ok(u) => (u.wire.id.clone(), None, Some(u)),
            Err(e) if lost_or_taken(&e) => match self.find_user(name).await? {
                Some(id) => (id, Some(found_note(&e)), None),
                None => return Err(e.to_string()),
            },
            Err(e) => return Err(e.to_string()),
        };
        self.remember(&address, &id);
        self.mark_created(&id);
        // The create's answer is the stored user: when it shows every field as asked, no read
        // back is needed (issue 13: read-backs were 23% of a bootstrap's requests). An answer
        // that lacks a field or differs is not trusted: the user is read back and checked.
        let confirmed = answer.is_some_and(|u| verify_user(&u, &attrs, None).is_ok());
        if !confirmed {
            self.check_user(&id, &attrs, None).await?;
        }
        self.set_password_authority(&id, name, fields).await?;
        Ok(Done {
            remote_id: Some(id),
            note,
        })
    }

    pub(super) async fn find_user(&self, name: &str) -> Result<Option<String>, String> {
        let found = self
            .client
            .search_users(json!({ "filter": [{ "username": name }] }))
            .await
            .map_err(|e| format!("looking the user up after the create: {e}"))?;
        Ok(found
            .into_iter()
            .find(|u| u.wire.username == name)
            .map(|u| u.wire.id))
    }

    pub(super) async fn update_user(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::User(name.to_string());
        let id = self.id(&address)?;
        let attrs = user_attrs(fields)?;
        // `PUT /systemusers/{id}` merges (see `Client::update_user`): the body holds only the
        // managed fields the step changes. Precondition first: the object as it is now.
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.users.get(&id))? {
            let now = self
                .client
                .get_user(&id)
                .await
                .map_err(|e| format!("reading the user before the update: {e}"))?;
            let now = convert::live_user(&now);
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &now, precondition::user_field),
            )?;
        }
        let mut body = convert::user_body(name, &attrs, false);
        // A rename (or a new spelling) of the same user: the address is the new username.
        if fields.contains_key("username") {
            if let Value::Object(map) = &mut body {
                map.insert("username".into(), Value::String(name.to_string()));
            }
        }
        if body.as_object().is_some_and(|m| !m.is_empty()) {
            self.client
                .update_user(&id, body)
                .await
                .map_err(|e| e.to_string())?;
        }
        // State moves have their own endpoints; the PUT cannot stage a user again.
        match attrs.state {
            Some(UserState::Active) => self.client.activate_user(&id, false).await,
            Some(UserState::Suspended) => self.client.suspend_user(&id).await,
            Some(UserState::Staged) => {
                return Err("an existing user cannot be made staged again".into())
            }
            None => Ok(()),
        }
        .map_err(|e| e.to_string())?;
        if fields.contains_key("initial_password") {
            let password = self.password(name)?;
            self.client
                .set_password(&id, &password)
                .await
                .map_err(|e| e.to_string())?;
        }
        self.check_user(&id, &attrs, None).await?;
        self.set_password_authority(&id, name, fields).await?;
        Ok(Done::id(id))
    }

    /// `password_authority` (the console's "Password Authority"): the user's `restrictedFields`
    /// entry for `password` (v1 `restrictedField`, in the `systemuserput` body). The PUT
    /// replaces the whole array, so every other entry is kept exactly as the org has it (read
    /// just before); `jumpcloud` removes the entry, `active_directory` names the AD domain the
    /// user delegates to (from the step, else the files). Read back and compared.
    pub(super) async fn set_password_authority(
        &self,
        id: &str,
        name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), String> {
        let Some(want) = fields.get("password_authority") else {
            return Ok(());
        };
        let want = want
            .as_str()
            .ok_or("password_authority must be a word")?
            .to_string();
        let entry = match want.as_str() {
            "jumpcloud" => None,
            "active_directory" => {
                let from_step = fields
                    .get("delegated_authority")
                    .and_then(Value::as_str)
                    .filter(|k| *k != "none")
                    .map(str::to_string);
                let from_files = match self.ctx.model.users.get(name) {
                    Some(crate::model::User {
                        delegated_authority: Some(crate::model::DelegatedAuthority::Ad(k)),
                        ..
                    }) => Some(k.clone()),
                    _ => None,
                };
                let key = from_step.or(from_files).ok_or(
                    "password_authority: active_directory needs the AD domain the user \
                     delegates to (delegated_authority)",
                )?;
                let ad_id = self.id(&Address::AdDomain(key))?;
                Some(json!({"field": "password", "type": "active_directory", "id": ad_id}))
            }
            other => return Err(format!("password_authority: unknown value {other:?}")),
        };
        let read = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user's restricted fields: {e}"))?;
        let mut list: Vec<Value> = read
            .raw
            .get("restrictedFields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.get("field").and_then(Value::as_str) != Some("password"))
            .collect();
        let want_kind = entry
            .as_ref()
            .and_then(|e| e.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string);
        list.extend(entry);
        self.client
            .update_user(id, json!({ "restrictedFields": list }))
            .await
            .map_err(|e| e.to_string())?;
        let back = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user back: {e}"))?;
        let got = convert::live_user(&back).password_authority.map(|p| p.kind);
        if got != want_kind {
            return mismatch(
                "user",
                vec![format!(
                    "password authority is {}, expected {want}",
                    got.as_deref().unwrap_or("jumpcloud")
                )],
            );
        }
        Ok(())
    }

    /// Password first (when the plan has one), then clear: the user is never without a way to
    /// log in that the plan can give.
    pub(super) async fn undelegate(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::User(name.to_string());
        let id = self.id(&address)?;
        self.check_authority(&address, &id, None).await?;
        if fields.contains_key("initial_password") {
            let password = self.password(name)?;
            self.client
                .set_password(&id, &password)
                .await
                .map_err(|e| e.to_string())?;
        }
        self.client
            .update_user(&id, convert::delegated_authority_body(None))
            .await
            .map_err(|e| e.to_string())?;
        self.wrote_authority(&id, None);
        self.check_user(&id, &UserAttrs::default(), Some(None))
            .await?;
        Ok(Done::id(id))
    }

    pub(super) async fn delegate(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::User(name.to_string());
        let id = self.id(&address)?;
        let key = fields
            .get("delegated_authority")
            .and_then(Value::as_str)
            .ok_or("the step names no AD domain to delegate to")?;
        let ad_id = self.id(&Address::AdDomain(key.to_string()))?;
        self.check_authority(&address, &id, Some(&ad_id)).await?;
        self.client
            .update_user(&id, convert::delegated_authority_body(Some(&ad_id)))
            .await
            .map_err(|e| e.to_string())?;
        self.wrote_authority(&id, Some(&ad_id));
        self.check_user(&id, &UserAttrs::default(), Some(Some(&ad_id)))
            .await?;
        self.set_password_authority(&id, name, fields).await?;
        Ok(Done::id(id))
    }

    /// Resolves the user's initial password from the model, at the last moment.
    pub(super) fn password(&self, name: &str) -> Result<String, String> {
        let source = self
            .ctx
            .model
            .users
            .get(name)
            .and_then(|u| u.initial_password.as_ref())
            .ok_or_else(|| {
                format!("the plan sets an initial password for {name}, but the config has none")
            })?;
        source.resolve()
    }

    /// Reads the user back and compares every field the step wrote.
    pub(super) async fn check_user(
        &self,
        id: &str,
        asked: &UserAttrs,
        authority: Option<Option<&str>>,
    ) -> Result<(), String> {
        let read = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user back: {e}"))?;
        verify_user(&read, asked, authority)
    }
}

/// Compares a user as the API answered (a create's answer or a read back) with every field the
/// step wrote.
pub(super) fn verify_user(
    read: &Fetched<SystemUser>,
    asked: &UserAttrs,
    authority: Option<Option<&str>>,
) -> Result<(), String> {
    let live = convert::live_user(read);
    let mut diffs = Vec::new();
    for (field, _) in USER_TEXT_FIELDS {
        if let Some(want) = asked.text(field) {
            let want = (!want.is_empty()).then_some(want.as_str());
            let got = live.attrs.text(field).map(String::as_str);
            if want != got {
                diffs.push(format!("{field} is {got:?}, expected {want:?}"));
            }
        }
    }
    if let Some(want) = asked.password_never_expires {
        if live.attrs.password_never_expires.unwrap_or(false) != want {
            diffs.push(format!("password_never_expires is not {want}"));
        }
    }
    if let Some(want) = asked.state {
        if live.attrs.state != Some(want) {
            diffs.push(format!(
                "state is {}, expected {}",
                live.attrs.state.map_or("unset", UserState::config_name),
                want.config_name()
            ));
        }
    }
    if let Some(want) = authority {
        if live.delegated_authority.as_deref() != want {
            diffs.push(format!(
                "delegated authority is {:?}, expected {want:?}",
                live.delegated_authority
            ));
        }
    }
    mismatch("user", diffs)
}
