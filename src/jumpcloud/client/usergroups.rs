//! User groups: `/api/v2/usergroups` and their members (v2).

use super::*;

impl Client {
    pub async fn list_groups(&self) -> Result<Vec<Fetched<UserGroup>>, ApiError> {
        let groups = || Collection::new("user groups", v2(&["usergroups"]), Shape::V2);
        self.list_sorted(groups, USER_GROUP_SORT).await
    }

    pub async fn get_group(&self, id: &str) -> Result<Fetched<UserGroup>, ApiError> {
        self.get(v2(&["usergroups", id])).await
    }

    /// `POST /usergroups` (operation `groups_user_post`, body `UserGroupPost`): creates. On
    /// `ApiError::Ambiguous` look the name up before trying again.
    pub async fn create_group(&self, body: Value) -> Result<Fetched<UserGroup>, ApiError> {
        self.write(Method::POST, v2(&["usergroups"]), &body, Safety::Create)
            .await
    }

    /// `PUT /usergroups/{id}` (operation `groups_user_put`, body `UserGroupPut`): a **full
    /// replace** ("a full update of the User Group"; there is no PATCH), `name` required. A
    /// field left out of the body is cleared, so the body must be the whole live group as just
    /// read with only the managed fields changed: build it with `writes::group_put_body`.
    ///
    /// A dynamic rule written in the v2 query DSL (`memberQuery` without `queryType`) must be
    /// sent with `x-query-dsl: v2`, or the API reads it as v1 (where `queryType` is required);
    /// the header is added here from the body itself.
    pub async fn update_group(
        &self,
        id: &str,
        body: Value,
    ) -> Result<Fetched<UserGroup>, ApiError> {
        let dsl = crate::jumpcloud::writes::member_query_dsl(&body);
        let headers: Vec<(&'static str, &str)> =
            dsl.map(|d| ("x-query-dsl", d)).into_iter().collect();
        self.write_with_headers(
            Method::PUT,
            v2(&["usergroups", id]),
            &body,
            Safety::Idempotent,
            &headers,
        )
        .await
    }

    /// `DELETE /usergroups/{id}` (operation `groups_user_delete`).
    pub async fn delete_group(&self, id: &str) -> Result<(), ApiError> {
        self.write_no_content(Method::DELETE, v2(&["usergroups", id]), None)
            .await
    }

    /// Remote ids of the group's direct members (`GET /usergroups/{id}/members`).
    pub async fn list_group_members(&self, group_id: &str) -> Result<Vec<String>, ApiError> {
        let coll = Collection::new(
            format!("members of user group {group_id}"),
            v2(&["usergroups", group_id, "members"]),
            Shape::V2,
        )
        .id_of(paging::edge_target_id);
        // Only the far end is kept: no row is parsed into a `Value` (issue 13).
        let users = self
            .list_wire_map(coll, &|edge: GraphConnection, _| {
                (edge.to.kind == crate::model::GraphKind::User.api_name()).then_some(edge.to.id)
            })
            .await?;
        Ok(users.into_iter().flatten().collect())
    }

    /// The group's effective users, direct and through nested rules (`/membership`).
    pub async fn list_group_membership(
        &self,
        group_id: &str,
    ) -> Result<Vec<Fetched<GraphObjectWithPaths>>, ApiError> {
        let coll = Collection::new(
            format!("membership of user group {group_id}"),
            v2(&["usergroups", group_id, "membership"]),
            Shape::V2,
        );
        self.list(coll).await
    }

    /// `POST /usergroups/{id}/members` (operation `graph_userGroupMembersPost`, body
    /// `GraphOperation (UserGroup-Member)`): adds or removes one edge and touches neither the
    /// group nor the user.
    pub async fn member_op(&self, group_id: &str, op: Op, user_id: &str) -> Result<(), ApiError> {
        let body = graph_op(op, crate::model::GraphKind::User.api_name(), user_id)?;
        self.write_no_content(
            Method::POST,
            v2(&["usergroups", group_id, "members"]),
            Some(&body),
        )
        .await
    }
}
