//! Microsoft 365 / Entra ID tenants: `/api/v2/office365s` and their domains (v2; the API
//! cannot list, create or delete them).

use super::*;

impl Client {
    pub async fn get_m365(&self, id: &str) -> Result<Fetched<Office365>, ApiError> {
        self.get(v2(&["office365s", id])).await
    }

    /// `PATCH /office365s/{id}` (operation `office365s_patch`, body `office365`): a **partial**
    /// update; fields left out are left as they are. Send only the managed fields (`name`,
    /// `groupsEnabled`, `defaultDomain: {id}`, the two `...Action` fields), never the read-only
    /// `id` or `defaultDomain.domain`.
    pub async fn patch_m365(&self, id: &str, body: Value) -> Result<Fetched<Office365>, ApiError> {
        self.write(
            Method::PATCH,
            v2(&["office365s", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    pub async fn list_m365_domains(
        &self,
        id: &str,
    ) -> Result<Vec<Fetched<Office365Domain>>, ApiError> {
        let coll = Collection::new(
            format!("domains of office365 {id}"),
            v2(&["office365s", id, "domains"]),
            Shape::Domains,
        )
        .id_of(paging::domain_id);
        self.list(coll).await
    }
}
