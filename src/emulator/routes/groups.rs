//! v2 user groups: `/api/v2/usergroups`, direct members, effective membership and the group's
//! own associations.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::graph::{
    direct, edit_association, effective_directories, list_associations, traversal,
    PRINCIPAL_TARGETS, TRAVERSAL_RULES,
};
use super::{id_of, list_params, opt_enum, page, req_str, v2_list, Body, Params};
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{Dialect, Rules, DEFAULT_LIMIT};
use crate::emulator::state::{
    fill_group_defaults, find, Node, Obj, Org, ACTIVE_DIRECTORY, OFFICE_365, USER, USER_GROUP,
};
use crate::emulator::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v2/usergroups", get(list).post(create))
        .route(
            "/api/v2/usergroups/{id}",
            get(get_one).put(update).delete(remove),
        )
        .route(
            "/api/v2/usergroups/{id}/members",
            get(members).post(edit_members),
        )
        .route("/api/v2/usergroups/{id}/membership", get(membership))
        .route(
            "/api/v2/usergroups/{id}/associations",
            get(associations).post(associate),
        )
        .route("/api/v2/usergroups/{id}/directories", get(directories))
        .route(
            "/api/v2/usergroups/{id}/activedirectories",
            get(activedirectories),
        )
        .route("/api/v2/usergroups/{id}/office365s", get(office365s))
        .route("/api/v2/groups", get(all_groups))
}

/// `groups_user_list`'s "Available filter fields", which are also the only fields it sorts by:
/// the API answers `400 invalid sort field: id` to `sort=id`.
const RULES: Rules = Rules {
    sort: Some(USER_GROUP_FIELDS),
    filter: Some(USER_GROUP_FIELDS),
    fields: true,
};
const USER_GROUP_FIELDS: &[&str] = &[
    "name",
    "disabled",
    "type",
    "membershipMethod",
    "memberQueryErrorFlags",
    "suggestionCounts.add",
    "suggestionCounts.remove",
    "suggestionCounts.total",
    "attributes.sudo.enabled",
    "attributes.sudo.withoutPassword",
];
/// `groups_list` (`GET /groups`): its "Available filter fields".
const GROUPS_RULES: Rules = Rules {
    sort: Some(GROUP_FIELDS),
    filter: Some(GROUP_FIELDS),
    fields: true,
};
const GROUP_FIELDS: &[&str] = &["name", "disabled", "type", "memberQueryErrorFlags"];
/// The properties of the spec's `Group`: what `GET /groups` shows of a user group.
const GROUP_KEYS: &[&str] = &[
    "attributes",
    "description",
    "email",
    "id",
    "memberQueryErrorFlags",
    "name",
    "organizationObjectId",
    "type",
];
/// `graph_userGroupMembership` sorts `GraphObjectWithPaths` rows.
const MEMBERSHIP_RULES: Rules = Rules {
    sort: Some(&["id", "type"]),
    filter: None,
    fields: false,
};

const METHODS: &[&str] = &[
    "NOTSET",
    "STATIC",
    "DYNAMIC_REVIEW_REQUIRED",
    "DYNAMIC_AUTOMATED",
];
/// Read-only in `UserGroup`.
const READ_ONLY: &[&str] = &[
    "id",
    "type",
    "memberQueryErrorFlags",
    "suggestionCounts",
    "organizationObjectId",
];

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("user group", id)
}

fn group<'a>(org: &'a Org, id: &str) -> ApiResult<&'a Obj> {
    find(&org.usergroups, "id", id)
        .map(|i| &org.usergroups[i])
        .ok_or_else(|| not_found(id))
}

/// Validates a POST/PUT body and turns it into the stored group (`id` added by the caller).
fn from_body(org: &Org, body: Obj, except: Option<&str>) -> ApiResult<Obj> {
    let name = req_str(&body, "name")?;
    opt_enum(&body, "membershipMethod", METHODS)?;
    let taken = org
        .usergroups
        .iter()
        .any(|g| Some(id_of(g, "id")) != except && id_of(g, "name") == name);
    if taken {
        return Err(ApiError::conflict(format!(
            "a user group named {name:?} already exists"
        )));
    }
    let mut group: Obj = body
        .into_iter()
        .filter(|(k, _)| !READ_ONLY.contains(&k.as_str()))
        .collect();
    fill_group_defaults(&mut group);
    Ok(group)
}

/// Puts `id` first, as the API lists it.
fn with_id(id: &str, group: Obj) -> Obj {
    let mut out = Obj::new();
    out.insert("id".into(), Value::String(id.into()));
    out.extend(group);
    out
}

async fn list(State(app): State<Arc<App>>, uri: Uri, Params(q): Params) -> ApiResult<Response> {
    let params = list_params(&q, Dialect::V2, DEFAULT_LIMIT, &RULES)?;
    let rows = app.read(|org| org.usergroups.clone());
    let (page, total) = page(&app, &uri, &params, rows, "id");
    Ok(v2_list(page, total))
}

/// `GET /groups`: every group of the org as a `Group`. The sandbox models user groups only.
async fn all_groups(
    State(app): State<Arc<App>>,
    uri: Uri,
    Params(q): Params,
) -> ApiResult<Response> {
    let params = list_params(&q, Dialect::V2, DEFAULT_LIMIT, &GROUPS_RULES)?;
    let rows = app.read(|org| {
        org.usergroups
            .iter()
            .map(|g| {
                let mut row: Obj = g
                    .iter()
                    .filter(|(k, _)| GROUP_KEYS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                row.insert("type".into(), Value::String(USER_GROUP.into()));
                row
            })
            .collect::<Vec<Obj>>()
    });
    let (page, total) = page(&app, &uri, &params, rows, "id");
    Ok(v2_list(page, total))
}

async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let found = app.read(|org| group(org, &id).cloned())?;
    Ok(Json(Value::Object(found)))
}

async fn create(State(app): State<Arc<App>>, Body(body): Body) -> ApiResult<Response> {
    let created = app.write(|org, ids| {
        let group = with_id(&ids.next_id(), from_body(org, body, None)?);
        org.usergroups.push(group.clone());
        Ok(group)
    })?;
    Ok((StatusCode::CREATED, Json(Value::Object(created))).into_response())
}

/// A full update: fields left out are cleared (the API has no PATCH for groups).
async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let updated = app.write(|org, _| {
        let i = find(&org.usergroups, "id", &id).ok_or_else(|| not_found(&id))?;
        let group = with_id(&id, from_body(org, body, Some(&id))?);
        org.usergroups[i] = group.clone();
        Ok(group)
    })?;
    Ok(Json(Value::Object(updated)))
}

async fn remove(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let removed = app.write(|org, _| {
        let i = find(&org.usergroups, "id", &id).ok_or_else(|| not_found(&id))?;
        org.remove_edges_of(&Node::new(USER_GROUP, &id));
        Ok(org.usergroups.remove(i))
    })?;
    Ok(Json(Value::Object(removed)))
}

/// Direct members, `[GraphConnection]`.
async fn members(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(mut q): Params,
) -> ApiResult<Response> {
    // Same answer as associations with targets=user; the route takes no `targets`.
    q.0.retain(|(k, _)| k != "targets");
    q.0.push(("targets".into(), USER.into()));
    list_associations(&app, &uri, &q, Node::new(USER_GROUP, &id), &[USER])
}

async fn edit_members(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    edit_association(&app, Node::new(USER_GROUP, &id), &[USER], &body)
}

/// Effective members, `[GraphObjectWithPaths]`. Groups only hold users, so these are the direct
/// members, each with a one-step path.
async fn membership(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    traversal(
        &app,
        &uri,
        &q,
        &MEMBERSHIP_RULES,
        Node::new(USER_GROUP, &id),
        |org, node| direct(org, node, USER),
    )
}

/// `GET /usergroups/{id}/directories`: the AD instances and M365 tenants the group is bound to.
async fn directories(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let node = Node::new(USER_GROUP, &id);
    traversal(&app, &uri, &q, &TRAVERSAL_RULES, node, |org, node| {
        effective_directories(org, node, &[ACTIVE_DIRECTORY, OFFICE_365])
    })
}

async fn activedirectories(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let node = Node::new(USER_GROUP, &id);
    traversal(&app, &uri, &q, &TRAVERSAL_RULES, node, |org, node| {
        effective_directories(org, node, &[ACTIVE_DIRECTORY])
    })
}

async fn office365s(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let node = Node::new(USER_GROUP, &id);
    traversal(&app, &uri, &q, &TRAVERSAL_RULES, node, |org, node| {
        effective_directories(org, node, &[OFFICE_365])
    })
}

async fn associations(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    list_associations(
        &app,
        &uri,
        &q,
        Node::new(USER_GROUP, &id),
        PRINCIPAL_TARGETS,
    )
}

async fn associate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    edit_association(&app, Node::new(USER_GROUP, &id), PRINCIPAL_TARGETS, &body)
}
