//! v1 SSO applications (`/api/applications`, `applications_*`) and their v2 associations
//! (`/api/v2/applications/{application_id}/associations`, `graph_applicationAssociations*`).
//!
//! The list answers `{totalCount, results}` like every v1 list; create answers 200 (not 201);
//! PUT is a full replace, as the spec says ("Any fields not provided will be reset or created
//! with default values"): what the body leaves out is gone afterwards. Every app holds the
//! sandbox's public signing certificate; no response ever carries a private key.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::graph::{edit_association, list_associations};
use super::{list_params, opt_str, page, req_str, Body, Params};
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{Dialect, Rules, DEFAULT_LIMIT};
use crate::emulator::state::{
    fill_application_defaults, find, now, Node, Obj, APPLICATION, USER, USER_GROUP,
};
use crate::emulator::App;

/// `trait_graphTargetsApplication_targets` / `GraphOperation-Application.type`.
pub const APPLICATION_TARGETS: &[&str] = &["agent_group", USER, USER_GROUP];

const ID: &str = "_id";

/// `applications_list`: `sort` (default `name`), `fields`, `filter` over the app's fields.
const RULES: Rules = Rules {
    sort: Some(&[
        "_id",
        "name",
        "displayLabel",
        "displayName",
        "description",
        "active",
        "created",
        "ssoUrl",
        "organization",
    ]),
    filter: None,
    fields: true,
};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/applications", get(list).post(create))
        .route(
            "/api/applications/{id}",
            get(get_one).put(replace).delete(remove),
        )
        .route(
            "/api/v2/applications/{id}/associations",
            get(associations).post(associate),
        )
}

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("application", id)
}

/// Checks the shape of an `application` body: `name` required (the schema also requires
/// `config` and `ssoUrl`; an absent `ssoUrl` is stored empty), `config` an object, text where
/// the schema has text. Read-only and server-owned fields (`_id`, `organization`, `created`)
/// are not taken from the body.
fn checked(body: &Obj) -> ApiResult<Obj> {
    req_str(body, "name")?;
    opt_str(body, "displayLabel")?;
    opt_str(body, "ssoUrl")?;
    match body.get("config") {
        Some(Value::Object(config)) => {
            for (key, entry) in config {
                if let Some(v) = entry.get("value") {
                    let text_field = matches!(
                        key.as_str(),
                        "idpEntityId" | "spEntityId" | "acsUrl" | "idpCertificate"
                    );
                    if text_field && !(v.is_string() || v.is_null()) {
                        return Err(ApiError::bad_request(format!(
                            "config.{key}.value must be a string"
                        )));
                    }
                }
            }
        }
        None => return Err(ApiError::bad_request("config is required")),
        Some(_) => return Err(ApiError::bad_request("config must be an object")),
    }
    Ok(body
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "_id" | "id" | "organization" | "created"))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect())
}

async fn list(State(app): State<Arc<App>>, uri: Uri, Params(q): Params) -> ApiResult<Json<Value>> {
    let params = list_params(&q, Dialect::V1, DEFAULT_LIMIT, &RULES)?;
    let rows = app.read(|org| org.applications.clone());
    let (results, total) = page(&app, &uri, &params, rows, ID);
    Ok(Json(json!({"totalCount": total, "results": results})))
}

async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let found =
        app.read(|org| find(&org.applications, ID, &id).map(|i| org.applications[i].clone()));
    Ok(Json(Value::Object(found.ok_or_else(|| not_found(&id))?)))
}

/// `applications_post`: 200 with the new app.
async fn create(State(app): State<Arc<App>>, Body(body): Body) -> ApiResult<Json<Value>> {
    let fields = checked(&body)?;
    let created = app.write(|org, ids| {
        let mut obj = Obj::new();
        obj.insert(ID.into(), Value::String(ids.next_id()));
        obj.extend(fields);
        obj.insert("organization".into(), Value::String(org.organization_id()));
        obj.insert("created".into(), Value::String(now()));
        fill_application_defaults(&mut obj);
        org.applications.push(obj.clone());
        Ok(obj)
    })?;
    Ok(Json(Value::Object(created)))
}

/// `applications_put`: a full replace. The body becomes the app (what it leaves out is reset to
/// the defaults), keeping only the server-owned `_id`, `organization` and `created`.
async fn replace(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    let fields = checked(&body)?;
    let updated = app.write(|org, _| {
        let i = find(&org.applications, ID, &id).ok_or_else(|| not_found(&id))?;
        let old = &org.applications[i];
        let mut obj = Obj::new();
        for key in [ID, "organization", "created"] {
            if let Some(v) = old.get(key) {
                obj.insert(key.into(), v.clone());
            }
        }
        obj.extend(fields);
        fill_application_defaults(&mut obj);
        org.applications[i] = obj.clone();
        Ok(obj)
    })?;
    Ok(Json(Value::Object(updated)))
}

/// `applications_delete`: 200 with the deleted app; its associations go with it.
async fn remove(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let removed = app.write(|org, _| {
        let i = find(&org.applications, ID, &id).ok_or_else(|| not_found(&id))?;
        org.remove_edges_of(&Node::new(APPLICATION, &id));
        Ok(org.applications.remove(i))
    })?;
    Ok(Json(Value::Object(removed)))
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
        Node::new(APPLICATION, &id),
        APPLICATION_TARGETS,
    )
}

async fn associate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    edit_association(
        &app,
        Node::new(APPLICATION, &id),
        APPLICATION_TARGETS,
        &body,
    )
}
