//! SSO applications: `/api/applications` (v1); their assignments are v2 associations.

use super::*;

impl Client {
    /// `GET /applications` (operation `applications_list`): `{totalCount, results}`.
    pub async fn list_applications(&self) -> Result<Vec<Fetched<Application>>, ApiError> {
        let apps = || Collection::new("applications", v1(&["applications"]), Shape::V1);
        self.list_sorted(apps, "_id").await
    }

    /// `GET /applications/{id}` (operation `applications_get`).
    pub async fn get_application(&self, id: &str) -> Result<Fetched<Application>, ApiError> {
        self.get(v1(&["applications", id])).await
    }

    /// `POST /applications` (operation `applications_post`, body `application`): creates; 200.
    /// On `ApiError::Ambiguous` list and match the label before trying again.
    pub async fn create_application(&self, body: Value) -> Result<Fetched<Application>, ApiError> {
        self.write(Method::POST, v1(&["applications"]), &body, Safety::Create)
            .await
    }

    /// `PUT /applications/{id}` (operation `applications_put`, body `application`): a **full
    /// replace** ("Any fields not provided will be reset or created with default values"). The
    /// body must be the app as just read with only the managed fields changed: build it with
    /// `convert::sso_app_body`.
    pub async fn update_application(
        &self,
        id: &str,
        body: Value,
    ) -> Result<Fetched<Application>, ApiError> {
        self.write(
            Method::PUT,
            v1(&["applications", id]),
            &body,
            Safety::Idempotent,
        )
        .await
    }

    /// `DELETE /applications/{id}` (operation `applications_delete`).
    pub async fn delete_application(&self, id: &str) -> Result<(), ApiError> {
        self.write_no_content(Method::DELETE, v1(&["applications", id]), None)
            .await
    }
}
