//! Active Directory instances: `/api/v2/activedirectories` and their import agents (v2).

use super::*;

impl Client {
    pub async fn list_ads(&self) -> Result<Vec<Fetched<ActiveDirectory>>, ApiError> {
        let ads = || Collection::new("active directories", v2(&["activedirectories"]), Shape::V2);
        self.list_sorted(ads, "id").await
    }

    pub async fn get_ad(&self, id: &str) -> Result<Fetched<ActiveDirectory>, ApiError> {
        self.get(v2(&["activedirectories", id])).await
    }

    /// `POST /activedirectories` (operation `activedirectories_post`, body `active-directory`)
    /// with `domain` (DN form) plus `fields` (camelCase: `useCase`, `groupsEnabled`,
    /// `delegationState`). On `ApiError::Ambiguous` list and match the domain.
    pub async fn create_ad(
        &self,
        domain_dn: &str,
        fields: Value,
    ) -> Result<Fetched<ActiveDirectory>, ApiError> {
        let mut body = match fields {
            Value::Object(map) => map,
            Value::Null => serde_json::Map::new(),
            other => {
                return Err(ApiError::Config(format!(
                    "AD create fields must be an object, not {other}"
                )))
            }
        };
        body.insert("domain".into(), Value::String(domain_dn.to_string()));
        self.write(
            Method::POST,
            v2(&["activedirectories"]),
            &Value::Object(body),
            Safety::Create,
        )
        .await
    }

    /// `PATCH /activedirectories/{id}` (operation `activedirectories_patch`, body
    /// `active-directory`): a **partial** update; fields left out are left as they are. Send only
    /// the managed writable fields (`useCase`, `delegationState`, `groupsEnabled`), camelCase,
    /// never the read-only `id`, `primaryAgent`, `primaryImportAgent`, `permission`,
    /// `organizationId`.
    pub async fn patch_ad(
        &self,
        id: &str,
        body: Value,
    ) -> Result<Fetched<ActiveDirectory>, ApiError> {
        self.write(
            Method::PATCH,
            v2(&["activedirectories", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    /// `DELETE /activedirectories/{id}` (operation `activedirectories_delete`).
    pub async fn delete_ad(&self, id: &str) -> Result<(), ApiError> {
        self.write_no_content(Method::DELETE, v2(&["activedirectories", id]), None)
            .await
    }

    pub async fn list_ad_agents(&self, ad_id: &str) -> Result<Vec<Fetched<AdAgent>>, ApiError> {
        let agents = || {
            Collection::new(
                format!("agents of active directory {ad_id}"),
                v2(&["activedirectories", ad_id, "agents"]),
                Shape::V2,
            )
        };
        self.list_sorted(agents, "id").await
    }
}
