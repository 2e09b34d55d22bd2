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
    TRAVERSAL_RULES,
};
use super::{id_of, list_params, opt_bool, opt_enum, page, req_str, v2_list, Body, Params};
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{Dialect, Rules, DEFAULT_LIMIT};
use crate::emulator::state::{find, now, Node, Obj, Org, ACTIVE_DIRECTORY, USER_GROUP};
use crate::emulator::App;
use crate::model::{Delegation, UseCase};

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v2/activedirectories", get(list).post(create))
        .route(
            "/api/v2/activedirectories/{id}",
            get(get_one).patch(update).delete(remove),
        )
        .route(
            "/api/v2/activedirectories/{id}/agents",
            get(agents).post(create_agent),
        )
        .route(
            "/api/v2/activedirectories/{id}/agents/{agent_id}",
            get(get_agent).delete(remove_agent),
        )
        .route(
            "/api/v2/activedirectories/{id}/associations",
            get(associations).post(associate),
        )
        .route("/api/v2/activedirectories/{id}/users", get(users))
        .route("/api/v2/activedirectories/{id}/usergroups", get(usergroups))
}

/// `activedirectories_list` sorts by the scalar fields of `active-directory`.
const RULES: Rules = Rules {
    sort: Some(&[
        "id",
        "domain",
        "useCase",
        "groupsEnabled",
        "delegationState",
        "updatedAt",
        "organizationId",
        "primaryAgent",
        "primaryImportAgent",
    ]),
    filter: None,
    fields: true,
};
/// `activedirectories_agentsList` declares `limit`, `skip` and `sort` (over the agent's fields).
const AGENT_RULES: Rules = Rules {
    sort: Some(&[
        "id",
        "agentType",
        "state",
        "hostname",
        "hostType",
        "contactAt",
        "source_ip",
        "version",
        "passwordUpdatedAt",
        "idSourceId",
    ]),
    filter: None,
    fields: false,
};
const AGENT_TYPES: &[&str] = &["SYNC", "IMPORT"];
/// Fields of `active-directory-agent-get` that a new agent has not reported yet.
const AGENT_UNREPORTED: &[&str] = &[
    "contactAt",
    "hostType",
    "hostname",
    "passwordUpdatedAt",
    "source_ip",
    "version",
];

/// The API's words (`UseCase`, `Delegation`: one table for jcform and the emulator).
const USE_CASES: &[&str] = &[
    UseCase::Unset.api_name(),
    UseCase::TwoWaySync.api_name(),
    UseCase::JcAsAuthority.api_name(),
    UseCase::AdAsAuthority.api_name(),
];
const DELEGATION: &[&str] = &[
    Delegation::Enabled.api_name(),
    Delegation::Pending.api_name(),
    Delegation::Disabled.api_name(),
];

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
    let params = list_params(&q, Dialect::V2, DEFAULT_LIMIT, &RULES)?;
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
        ad.entry("useCase")
            .or_insert(Value::String(UseCase::Unset.api_name().into()));
        ad.entry("groupsEnabled").or_insert(Value::Bool(false));
        ad.entry("delegationState")
            .or_insert(Value::String(Delegation::Disabled.api_name().into()));
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
    let params = list_params(&q, Dialect::V2, DEFAULT_LIMIT, &AGENT_RULES)?;
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

fn agent_not_found(ad: &str, agent: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("agent {agent} of active directory {ad} not found"),
    )
}

/// `POST .../agents` with `{agentType}` (`SYNC` unless given): a new agent, `unsealed` until it
/// first reports in. The answer (`active-directory-agent-get`, 201) carries the one-time
/// `connectKey` the agent installer needs; it is not stored.
async fn create_agent(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    let agent_type = opt_enum(&body, "agentType", AGENT_TYPES)?
        .unwrap_or("SYNC")
        .to_string();
    let (agent, connect_key) = app.write(|org, ids| {
        find(&org.activedirectories, "id", &id).ok_or_else(|| not_found(&id))?;
        let mut agent = Obj::new();
        agent.insert("id".into(), Value::String(ids.next_id()));
        agent.insert("agentType".into(), Value::String(agent_type));
        agent.insert("state".into(), Value::String("unsealed".into()));
        for key in AGENT_UNREPORTED {
            agent.insert((*key).into(), Value::Null);
        }
        org.activedirectory_agents
            .entry(id.clone())
            .or_default()
            .push(agent.clone());
        Ok((agent, ids.next_id()))
    })?;
    let mut out: Obj = agent
        .into_iter()
        .filter(|(k, _)| k != "agentType")
        .collect();
    out.insert("connectKey".into(), Value::String(connect_key));
    Ok((StatusCode::CREATED, Json(Value::Object(out))).into_response())
}

async fn get_agent(
    State(app): State<Arc<App>>,
    Path((id, agent_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let agent = app.read(|org| {
        find(&org.activedirectories, "id", &id).ok_or_else(|| not_found(&id))?;
        org.activedirectory_agents
            .get(&id)
            .and_then(|agents| find(agents, "id", &agent_id).map(|i| agents[i].clone()))
            .ok_or_else(|| agent_not_found(&id, &agent_id))
    })?;
    Ok(Json(Value::Object(agent)))
}

/// `DELETE .../agents/{agent_id}`: 204.
async fn remove_agent(
    State(app): State<Arc<App>>,
    Path((id, agent_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|org, _| {
        find(&org.activedirectories, "id", &id).ok_or_else(|| not_found(&id))?;
        let agents = org
            .activedirectory_agents
            .get_mut(&id)
            .ok_or_else(|| agent_not_found(&id, &agent_id))?;
        let i = find(agents, "id", &agent_id).ok_or_else(|| agent_not_found(&id, &agent_id))?;
        agents.remove(i);
        if agents.is_empty() {
            org.activedirectory_agents.remove(&id);
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
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
        &TRAVERSAL_RULES,
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
        &TRAVERSAL_RULES,
        Node::new(ACTIVE_DIRECTORY, &id),
        |org, node| direct(org, node, USER_GROUP),
    )
}
