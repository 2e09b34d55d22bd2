//! v2 user groups: `/api/v2/usergroups`, direct members, effective membership and the group's
//! own associations.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::graph::{
    direct, edit_association, effective_directories, list_associations, traversal,
    PRINCIPAL_TARGETS, TRAVERSAL_RULES,
};
use super::{id_of, list_params, opt_enum, page, page_table, req_str, v2_list, Body, Params};
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{Dialect, Rules, DEFAULT_LIMIT};
use crate::emulator::state::{
    fill_group_defaults, Node, Obj, Org, ACTIVE_DIRECTORY, OFFICE_365, USER, USER_GROUP,
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
    org.usergroups.get(id).ok_or_else(|| not_found(id))
}

/// `queryType` values of the v1 member-query DSL (`Query.queryType`).
const QUERY_TYPES: &[&str] = &["Filter", "FilterQuery", "Search"];

/// Checks `memberQuery` against the DSL the `x-query-dsl` header names (`v1` when absent):
/// v1 requires `queryType`, v2 requires it left out (spec: `trait_queryDsl_x-query-dsl`). So a
/// client that sends a v2 rule back without the header is refused, as the API would misread it.
fn check_member_query(body: &Obj, headers: &HeaderMap) -> ApiResult<()> {
    let dsl = match headers.get("x-query-dsl").map(|v| v.to_str()) {
        None => "v1",
        Some(Ok("v1")) => "v1",
        Some(Ok("v2")) => "v2",
        Some(_) => return Err(ApiError::bad_request("x-query-dsl must be v1 or v2")),
    };
    let query = match body.get("memberQuery") {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(q)) => q,
        Some(_) => {
            return Err(ApiError::bad_request(
                "memberQuery must be an object or null",
            ))
        }
    };
    match (dsl, query.get("queryType").filter(|t| !t.is_null())) {
        ("v1", None) => Err(ApiError::bad_request(
            "memberQuery.queryType is required (FilterQuery, Filter or Search) unless the \
             x-query-dsl: v2 header is sent",
        )),
        ("v1", Some(t)) if !t.as_str().is_some_and(|t| QUERY_TYPES.contains(&t)) => Err(
            ApiError::bad_request("memberQuery.queryType must be FilterQuery, Filter or Search"),
        ),
        ("v2", Some(_)) => Err(ApiError::bad_request(
            "memberQuery.queryType must be left out with x-query-dsl: v2",
        )),
        _ => Ok(()),
    }
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
    let (page, total) = page_table(&app, &uri, &params, "id", |org| &org.usergroups);
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

async fn create(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<Response> {
    check_member_query(&body, &headers)?;
    let created = app.write(|org, ids| {
        let group = with_id(&ids.next_id(), from_body(org, body, None)?);
        org.usergroups.push(group.clone());
        Ok(group)
    })?;
    Ok((StatusCode::CREATED, Json(Value::Object(created))).into_response())
}

/// `groups_user_put`, a full replace: every writable field left out of the body is cleared
/// (the API has no PATCH for groups), so a client must send back what it does not manage.
/// Fields the server owns (`READ_ONLY`: counts, error flags, the organization) are kept from the
/// stored group whatever the body says.
async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    check_member_query(&body, &headers)?;
    let updated = app.write(|org, _| {
        let stored = org.usergroups.get(&id).ok_or_else(|| not_found(&id))?;
        let kept: Vec<(String, Value)> = READ_ONLY
            .iter()
            // `id` and `type` are set by `with_id` and `fill_group_defaults`.
            .filter(|k| !matches!(**k, "id" | "type"))
            .filter_map(|key| stored.get(*key).map(|v| ((*key).to_string(), v.clone())))
            .collect();
        let mut group = with_id(&id, from_body(org, body, Some(&id))?);
        group.extend(kept);
        if let Some(slot) = org.usergroups.get_mut(&id) {
            *slot = group.clone();
        }
        Ok(group)
    })?;
    Ok(Json(Value::Object(updated)))
}

async fn remove(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let removed = app.write(|org, _| {
        let removed = org.usergroups.remove(&id).ok_or_else(|| not_found(&id))?;
        org.remove_edges_of(&Node::new(USER_GROUP, &id));
        Ok(removed)
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
