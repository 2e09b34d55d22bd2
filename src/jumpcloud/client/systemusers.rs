//! Users: `/api/systemusers` (v1): list, search, get, create, update, delete, state
//! changes and the password.

use super::*;

impl Client {
    pub async fn list_users(&self) -> Result<Vec<Fetched<SystemUser>>, ApiError> {
        self.list_users_map(&|user| user).await
    }

    /// [`Client::list_users`], each user turned into an `R` as its page arrives (the live-state
    /// reader keeps typed users, not every user's JSON value).
    pub async fn list_users_map<R>(
        &self,
        f: &(dyn Fn(Fetched<SystemUser>) -> R + Sync),
    ) -> Result<Vec<R>, ApiError> {
        let users = || Collection::new("users", v1(&["systemusers"]), Shape::V1);
        self.list_sorted_map(users, "_id", f).await
    }

    /// Every user decoded and checked, with its JSON text, each turned into an `R` as its page
    /// arrives without being parsed into a `Value` (the live-state reader, issue 13).
    pub async fn list_users_wire<R>(
        &self,
        f: &(dyn Fn(SystemUser, &RawValue) -> R + Sync),
    ) -> Result<Vec<R>, ApiError> {
        let users = || Collection::new("users", v1(&["systemusers"]), Shape::V1);
        self.list_sorted_wire_map(users, "_id", f).await
    }

    /// `POST /search/systemusers` with a search body (`{filter: ..., searchFilter: ...}`).
    pub async fn search_users(&self, search: Value) -> Result<Vec<Fetched<SystemUser>>, ApiError> {
        let coll = Collection::new(
            "user search results",
            v1(&["search", "systemusers"]),
            Shape::V1,
        )
        .sort("_id")
        .post(search);
        self.list(coll).await
    }

    pub async fn get_user(&self, id: &str) -> Result<Fetched<SystemUser>, ApiError> {
        self.get(v1(&["systemusers", id])).await
    }

    /// `POST /systemusers` (operation `systemusers_post`, body `systemuserputpost`): creates.
    /// Not retried once it may have reached the server: on `ApiError::Ambiguous` look the
    /// username up before trying again.
    pub async fn create_user(&self, body: Value) -> Result<Fetched<SystemUser>, ApiError> {
        self.write(Method::POST, v1(&["systemusers"]), &body, Safety::Create)
            .await
    }

    /// `PUT /systemusers/{id}` (operation `systemusers_put`, body `systemuserput`): a **partial**
    /// update despite the verb. Fields left out are left as they are (the spec's samples send
    /// partial bodies and there is no PATCH), so the body holds only the fields being changed:
    /// never read-only `systemuserreturn` fields (`_id`, `created`, `password_date`, ...), never
    /// `state: STAGED`, `activated` or `passwordless_sudo` (not in the PUT schema).
    pub async fn update_user(
        &self,
        id: &str,
        body: Value,
    ) -> Result<Fetched<SystemUser>, ApiError> {
        self.write(
            Method::PUT,
            v1(&["systemusers", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    /// `DELETE /systemusers/{id}` (operation `systemusers_delete`).
    pub async fn delete_user(&self, id: &str) -> Result<(), ApiError> {
        self.write_no_content(Method::DELETE, v1(&["systemusers", id]), None)
            .await
    }

    /// `POST /systemusers/{id}/state/activate` (operation `systemusers_state_activate`):
    /// STAGED or SUSPENDED -> ACTIVATED; touches only the state. `send_email: false` suppresses
    /// the activation email.
    pub async fn activate_user(&self, id: &str, send_email: bool) -> Result<(), ApiError> {
        let body = json!({ "email": send_email });
        self.write_no_content(
            Method::POST,
            v1(&["systemusers", id, "state", "activate"]),
            Some(&body),
        )
        .await
    }

    /// `POST /systemusers/{id}/state/suspend` (operation `systemusers_state_suspend`): touches
    /// only the state.
    pub async fn suspend_user(&self, id: &str) -> Result<(), ApiError> {
        // The spec says the body must be empty.
        self.write_no_content(
            Method::POST,
            v1(&["systemusers", id, "state", "suspend"]),
            None,
        )
        .await
    }

    /// `POST /systemusers/{id}/password` (operation `systemusers_password`): force-sets the
    /// password and touches nothing else. The value goes only into the request body.
    pub async fn set_password(&self, id: &str, password: &str) -> Result<(), ApiError> {
        let body = json!({ "password": password });
        self.write_no_content(
            Method::POST,
            v1(&["systemusers", id, "password"]),
            Some(&body),
        )
        .await
    }
}
