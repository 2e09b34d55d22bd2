//! Directories and the graph (v2): `/api/v2/directories`, associations of a directory or
//! an SSO app with users and groups (JumpCloud's name for jcform's bindings).

use super::*;

impl Client {
    /// Every directory of the org (`GET /directories`): the only way to find M365 instances.
    pub async fn list_directories(&self) -> Result<Vec<Fetched<WireDirectory>>, ApiError> {
        let dirs = || Collection::new("directories", v2(&["directories"]), Shape::V2);
        self.list_sorted(dirs, "id").await
    }

    /// Direct associations of a directory with users or groups.
    pub async fn list_associations(
        &self,
        directory: &Directory,
        target: Target,
    ) -> Result<Vec<Fetched<GraphConnection>>, ApiError> {
        let (kind, id) = directory_path(directory);
        let coll = Collection::new(
            format!("{} associations of {kind} {id}", target.api_name()),
            v2(&[kind, id, "associations"]),
            Shape::V2,
        )
        .query("targets", target.api_name())
        .id_of(paging::edge_target_id);
        self.list(coll).await
    }

    /// Users bound to a directory directly or through groups (`/{directory}/users`).
    pub async fn list_directory_users(
        &self,
        directory: &Directory,
    ) -> Result<Vec<Fetched<GraphObjectWithPaths>>, ApiError> {
        let (kind, id) = directory_path(directory);
        let coll = Collection::new(
            format!("users of {kind} {id}"),
            v2(&[kind, id, "users"]),
            Shape::V2,
        );
        self.list(coll).await
    }

    /// Groups bound to a directory (`/{directory}/usergroups`).
    pub async fn list_directory_groups(
        &self,
        directory: &Directory,
    ) -> Result<Vec<Fetched<GraphObjectWithPaths>>, ApiError> {
        let (kind, id) = directory_path(directory);
        let coll = Collection::new(
            format!("user groups of {kind} {id}"),
            v2(&[kind, id, "usergroups"]),
            Shape::V2,
        );
        self.list(coll).await
    }

    /// A user's direct associations with directories of one type (`active_directory`,
    /// `office_365`, ...).
    pub async fn list_user_associations(
        &self,
        user_id: &str,
        targets: &str,
    ) -> Result<Vec<Fetched<GraphConnection>>, ApiError> {
        let coll = Collection::new(
            format!("{targets} associations of user {user_id}"),
            v2(&["users", user_id, "associations"]),
            Shape::V2,
        )
        .query("targets", targets)
        .id_of(paging::edge_target_id);
        self.list(coll).await
    }

    /// Adds or removes one direct association between a directory and a user or group:
    /// `POST /activedirectories/{id}/associations` (operation
    /// `graph_activeDirectoryAssociationsPost`), `POST /office365s/{id}/associations`
    /// (operation `graph_office365AssociationsPost`) or `POST /applications/{id}/associations`
    /// (operation `graph_applicationAssociationsPost`), body `GraphOperation`. Touches only that
    /// edge.
    pub async fn association_op(
        &self,
        directory: &Directory,
        op: Op,
        subject: &Subject,
    ) -> Result<(), ApiError> {
        let (kind, id) = directory_path(directory);
        let (target, subject_id) = match subject {
            Subject::User(id) => (Target::User, id),
            Subject::Group(id) => (Target::UserGroup, id),
        };
        let body = graph_op(op, target.api_name(), subject_id)?;
        self.write_no_content(Method::POST, v2(&[kind, id, "associations"]), Some(&body))
            .await
    }
}
