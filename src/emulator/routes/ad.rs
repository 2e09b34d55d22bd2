//! v2 Active Directory instances: `/api/v2/activedirectories`, their agents, associations and
//! traversals.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use super::graph::{
    direct, edit_association, effective_users, list_associations, traversal, DIRECTORY_TARGETS,
};
use super::{id_of, opt_bool, opt_enum, page, req_str, v2_list, Body, Params};
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{Dialect, ListParams, DEFAULT_LIMIT};
use crate::emulator::state::{find, now, Node, Obj, Org, ACTIVE_DIRECTORY, USER_GROUP};
use crate::emulator::App;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v2/activedirectories", get(list).post(create))
        .route(
            "/api/v2/activedirectories/{id}",
            get(get_one).patch(update).delete(remove),
        )
        .route("/api/v2/activedirectories/{id}/agents", get(agents))
        .route(
            "/api/v2/activedirectories/{id}/associations",
            get(associations).post(associate),
        )
        .route("/api/v2/activedirectories/{id}/users", get(users))
        .route("/api/v2/activedirectories/{id}/usergroups", get(usergroups))
}

const USE_CASES: &[&str] = &["UNSET", "TWOWAYSYNC", "JCASAUTHORITY", "ADASAUTHORITY"];
const DELEGATION: &[&str] = &["ENABLED", "PENDING", "DISABLED"];

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("active directory", id)
}

/// Checks the writable fields of a POST/PATCH body. Other fields (read-only ones, or the
/// snake_case `use_case` of one spec sample) are ignored, as a schema-tolerant server would.
fn writable(body: &Obj) -> ApiResult<Obj> {
    opt_enum(body, "useCase", USE_CASES)?;
    opt_enum(body, "delegationState", DELEGATION)?;
    opt_bool(body, "groupsEnabled")?;
    if body.contains_key("domain") {
        req_str(body, "domain")?;
    }
    Ok(["domain", "useCase", "groupsEnabled", "delegationState"]
        .iter()
        .filter_map(|k| body.get(*k).map(|v| (k.to_string(), v.clone())))
        .collect())
}

fn check_unique_domain(org: &Org, domain: Option<&Value>, except: Option<&str>) -> ApiResult<()> {
    let Some(domain) = domain.and_then(Value::as_str) else {
        return Ok(());
    };
    let taken = org.activedirectories.iter().any(|ad| {
        Some(id_of(ad, "id")) != except && id_of(ad, "domain").eq_ignore_ascii_case(domain)
    });
    if taken {
        return Err(ApiError::conflict(format!(
            "an Active Directory instance for {domain:?} already exists"
        )));
    }
    Ok(())
}

async fn list(State(app): State<Arc<App>>, uri: Uri, Params(q): Params) -> ApiResult<Response> {
    let params =
        ListParams::parse(&q, Dialect::V2, DEFAULT_LIMIT).map_err(ApiError::bad_request)?;
    let rows = app.read(|org| org.activedirectories.clone());
    let (page, total) = page(&app, &uri, &params, rows, "id");
    Ok(v2_list(page, total))
}

async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let found = app.read(|org| {
        find(&org.activedirectories, "id", &id).map(|i| org.activedirectories[i].clone())
    });
    Ok(Json(Value::Object(found.ok_or_else(|| not_found(&id))?)))
}

async fn create(State(app): State<Arc<App>>, Body(body): Body) -> ApiResult<Response> {
    req_str(&body, "domain")?;
    let fields = writable(&body)?;
    let created = app.write(|org, ids| {
        check_unique_domain(org, fields.get("domain"), None)?;
        let mut ad = Obj::new();
        ad.insert("id".into(), Value::String(ids.next_id()));
        ad.extend(fields);
        ad.entry("useCase").or_insert(Value::String("UNSET".into()));
        ad.entry("groupsEnabled").or_insert(Value::Bool(false));
        ad.entry("delegationState")
            .or_insert(Value::String("DISABLED".into()));
        ad.insert("updatedAt".into(), Value::String(now()));
        org.activedirectories.push(ad.clone());
        Ok(ad)
    })?;
    Ok((StatusCode::CREATED, Json(Value::Object(created))).into_response())
}

async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let fields = writable(&body)?;
    let updated = app.write(|org, _| {
        let i = find(&org.activedirectories, "id", &id).ok_or_else(|| not_found(&id))?;
        check_unique_domain(org, fields.get("domain"), Some(&id))?;
        let ad = &mut org.activedirectories[i];
        let changed = fields.iter().any(|(k, v)| ad.get(k) != Some(v));
        ad.extend(fields);
        if changed {
            ad.insert("updatedAt".into(), Value::String(now()));
        }
        Ok(ad.clone())
    })?;
    Ok(Json(Value::Object(updated)))
}

/// Deletes the instance with its agents and associations. Users whose `delegatedAuthority`
/// names it keep the (now dangling) reference: the spec does not say the API clears it.
async fn remove(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let removed = app.write(|org, _| {
        let i = find(&org.activedirectories, "id", &id).ok_or_else(|| not_found(&id))?;
        org.remove_edges_of(&Node::new(ACTIVE_DIRECTORY, &id));
        org.activedirectory_agents.remove(&id);
        Ok(org.activedirectories.remove(i))
    })?;
    Ok(Json(Value::Object(removed)))
}

async fn agents(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let params =
        ListParams::parse(&q, Dialect::V2, DEFAULT_LIMIT).map_err(ApiError::bad_request)?;
    let rows = app.read(|org| {
        find(&org.activedirectories, "id", &id).ok_or_else(|| not_found(&id))?;
        Ok::<_, ApiError>(
            org.activedirectory_agents
                .get(&id)
                .cloned()
                .unwrap_or_default(),
        )
    })?;
    let (page, total) = page(&app, &uri, &params, rows, "id");
    Ok(v2_list(page, total))
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
        Node::new(ACTIVE_DIRECTORY, &id),
        DIRECTORY_TARGETS,
    )
}

async fn associate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    edit_association(
        &app,
        Node::new(ACTIVE_DIRECTORY, &id),
        DIRECTORY_TARGETS,
        &body,
    )
}

async fn users(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    traversal(
        &app,
        &uri,
        &q,
        Node::new(ACTIVE_DIRECTORY, &id),
        effective_users,
    )
}

async fn usergroups(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    traversal(
        &app,
        &uri,
        &q,
        Node::new(ACTIVE_DIRECTORY, &id),
        |org, node| direct(org, node, USER_GROUP),
    )
}
