//! v2 Microsoft 365 tenants: `/api/v2/office365s/{id}` (GET, PATCH only: the API cannot list,
//! create or delete them), their domains, associations and traversals.
//!
//! The domains' `default` flags are the single source of truth for `defaultDomain`, so the
//! tenant and its domain list can never disagree.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::graph::{
    direct, edit_association, effective_users, list_associations, traversal, DIRECTORY_TARGETS,
    TRAVERSAL_RULES,
};
use super::{id_of, list_params, opt_bool, opt_enum, opt_str, page, v2_list, Body, Params};
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{Dialect, ListParams, Rules, DEFAULT_LIMIT};
use crate::emulator::state::{find, Node, Obj, Org, OFFICE_365, USER_GROUP};
use crate::emulator::App;
use crate::model::M365Action;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v2/office365s/{id}", get(get_one).patch(update))
        .route("/api/v2/office365s/{id}/domains", get(domains))
        .route(
            "/api/v2/office365s/{id}/associations",
            get(associations).post(associate),
        )
        .route("/api/v2/office365s/{id}/users", get(users))
        .route("/api/v2/office365s/{id}/usergroups", get(usergroups))
        .route(
            "/api/v2/office365s/{id}/translationrules",
            get(rules).post(create_rule),
        )
        .route(
            "/api/v2/office365s/{id}/translationrules/{rule_id}",
            get(get_rule).delete(remove_rule),
        )
}

/// `translationRules_office365List` sorts and filters by `Office365TranslationRule`'s fields.
const RULE_RULES: Rules = Rules {
    sort: Some(RULE_FIELDS),
    filter: Some(RULE_FIELDS),
    fields: true,
};
const RULE_FIELDS: &[&str] = &["id", "builtIn", "direction"];
/// `Office365BuiltinTranslation`.
const BUILT_INS: &[&str] = &[
    "user_alternate_email",
    "user_business_phones",
    "user_city",
    "user_country",
    "user_department",
    "user_job_title",
    "user_manager",
    "user_mobile_phone",
    "user_office_location",
    "user_postal_code",
    "user_principal_name_from_alternate_email",
    "user_state",
    "user_street_address",
];
/// `Office365DirectionTranslation`: a constant, `export` (also the default).
const DIRECTIONS: &[&str] = &["export"];

/// The API's words (`M365Action`: one table for jcform and the emulator).
const ACTIONS: &[&str] = &[
    M365Action::Suspend.api_name(),
    M365Action::Maintain.api_name(),
];
/// `GET .../domains` pages 100 at a time unless asked otherwise.
const DOMAINS_LIMIT: usize = 100;

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("office365", id)
}

/// `defaultDomain` of tenant `id`: `{id, domain}` of its default domain, or null.
pub fn default_domain(org: &Org, id: &str) -> Value {
    org.office365_domains
        .get(id)
        .and_then(|domains| {
            domains
                .iter()
                .find(|d| d.get("default") == Some(&Value::Bool(true)))
        })
        .map(|d| json!({"id": id_of(d, "objectId"), "domain": id_of(d, "domain")}))
        .unwrap_or(Value::Null)
}

/// The tenant as the API returns it.
fn render(org: &Org, tenant: &Obj) -> Obj {
    let mut out = tenant.clone();
    out.insert(
        "defaultDomain".into(),
        default_domain(org, id_of(tenant, "id")),
    );
    out
}

async fn get_one(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let found =
        app.read(|org| find(&org.office365s, "id", &id).map(|i| render(org, &org.office365s[i])));
    Ok(Json(Value::Object(found.ok_or_else(|| not_found(&id))?)))
}

/// Partial update of `name`, `groupsEnabled`, the two `...Action` fields and `defaultDomain`
/// (`{"id": <domain objectId>}` sets it, `{}` or null unsets it). Other fields are ignored.
async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    opt_str(&body, "name")?;
    opt_bool(&body, "groupsEnabled")?;
    opt_enum(&body, "userLockoutAction", ACTIONS)?;
    opt_enum(&body, "userPasswordExpirationAction", ACTIONS)?;
    let new_default = match body.get("defaultDomain") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Object(d)) => Some(opt_str(d, "id")?.map(String::from)),
        Some(_) => return Err(ApiError::bad_request("defaultDomain must be an object")),
    };
    let updated = app.write(|org, _| {
        let i = find(&org.office365s, "id", &id).ok_or_else(|| not_found(&id))?;
        if let Some(new_default) = new_default {
            let domains = org.office365_domains.entry(id.clone()).or_default();
            if let Some(wanted) = &new_default {
                if find(domains, "objectId", wanted).is_none() {
                    return Err(ApiError::bad_request(format!(
                        "defaultDomain.id {wanted:?} is not a domain of this tenant"
                    )));
                }
            }
            for d in domains.iter_mut() {
                let is_default = new_default.as_deref() == Some(id_of(d, "objectId"));
                d.insert("default".into(), Value::Bool(is_default));
            }
            if org.office365_domains.get(&id).is_some_and(Vec::is_empty) {
                org.office365_domains.remove(&id);
            }
        }
        let tenant = &mut org.office365s[i];
        for key in [
            "name",
            "groupsEnabled",
            "userLockoutAction",
            "userPasswordExpirationAction",
        ] {
            if let Some(value) = body.get(key).filter(|v| !v.is_null()) {
                tenant.insert(key.into(), value.clone());
            }
        }
        // Derived from the domains on every read; a stored copy could only go stale.
        tenant.remove("defaultDomain");
        Ok(render(org, &org.office365s[i]))
    })?;
    Ok(Json(Value::Object(updated)))
}

/// `{totalCount, domains}`; errors here are `google.rpc.Status` (see `error::Style`).
async fn domains(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Json<Value>> {
    let params =
        ListParams::parse(&q, Dialect::V2, DOMAINS_LIMIT).map_err(ApiError::bad_request)?;
    let params = ListParams {
        sort: Vec::new(),
        fields: None,
        ..params
    };
    let rows = app.read(|org| {
        find(&org.office365s, "id", &id).ok_or_else(|| not_found(&id))?;
        let domains = org.office365_domains.get(&id).cloned().unwrap_or_default();
        Ok::<_, ApiError>(
            domains
                .into_iter()
                .map(|mut d| {
                    d.entry("resourceObjectId")
                        .or_insert_with(|| Value::String(id.clone()));
                    d.entry("default").or_insert(Value::Bool(false));
                    d
                })
                .collect::<Vec<Obj>>(),
        )
    })?;
    let (page, total) = page(&app, &uri, &params, rows, "objectId");
    Ok(Json(json!({"totalCount": total, "domains": page})))
}

fn tenant_exists(org: &Org, id: &str) -> ApiResult<()> {
    find(&org.office365s, "id", id)
        .map(|_| ())
        .ok_or_else(|| not_found(id))
}

fn rule_not_found(tenant: &str, rule: &str) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!("translation rule {rule} of office365 {tenant} not found"),
    )
}

/// `GET .../translationrules`: `[Office365TranslationRule]`, paged, `x-total-count`.
async fn rules(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let params = list_params(&q, Dialect::V2, DEFAULT_LIMIT, &RULE_RULES)?;
    let rows = app.read(|org| {
        tenant_exists(org, &id)?;
        Ok::<_, ApiError>(
            org.office365_translation_rules
                .get(&id)
                .cloned()
                .unwrap_or_default(),
        )
    })?;
    let (page, total) = page(&app, &uri, &params, rows, "id");
    Ok(v2_list(page, total))
}

/// `POST .../translationrules` with `{builtIn, direction}`: 201 with the rule. A tenant has at
/// most one rule per built-in translation; a second is a 409.
async fn create_rule(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    let built_in = opt_enum(&body, "builtIn", BUILT_INS)?
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "builtIn is required (one of {})",
                BUILT_INS.join(", ")
            ))
        })?
        .to_string();
    let direction = opt_enum(&body, "direction", DIRECTIONS)?
        .unwrap_or("export")
        .to_string();
    let rule = app.write(|org, ids| {
        tenant_exists(org, &id)?;
        let rules = org
            .office365_translation_rules
            .entry(id.clone())
            .or_default();
        if rules.iter().any(|r| id_of(r, "builtIn") == built_in) {
            return Err(ApiError::conflict(format!(
                "a translation rule {built_in:?} already exists"
            )));
        }
        let mut rule = Obj::new();
        rule.insert("id".into(), Value::String(ids.next_id()));
        rule.insert("builtIn".into(), Value::String(built_in));
        rule.insert("direction".into(), Value::String(direction));
        rules.push(rule.clone());
        Ok(rule)
    })?;
    Ok((StatusCode::CREATED, Json(Value::Object(rule))).into_response())
}

async fn get_rule(
    State(app): State<Arc<App>>,
    Path((id, rule_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let rule = app.read(|org| {
        tenant_exists(org, &id)?;
        org.office365_translation_rules
            .get(&id)
            .and_then(|rules| find(rules, "id", &rule_id).map(|i| rules[i].clone()))
            .ok_or_else(|| rule_not_found(&id, &rule_id))
    })?;
    Ok(Json(Value::Object(rule)))
}

/// `DELETE .../translationrules/{rule_id}`: 204.
async fn remove_rule(
    State(app): State<Arc<App>>,
    Path((id, rule_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    app.write(|org, _| {
        tenant_exists(org, &id)?;
        let rules = org
            .office365_translation_rules
            .get_mut(&id)
            .ok_or_else(|| rule_not_found(&id, &rule_id))?;
        let i = find(rules, "id", &rule_id).ok_or_else(|| rule_not_found(&id, &rule_id))?;
        rules.remove(i);
        if rules.is_empty() {
            org.office365_translation_rules.remove(&id);
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
        Node::new(OFFICE_365, &id),
        DIRECTORY_TARGETS,
    )
}

async fn associate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    edit_association(&app, Node::new(OFFICE_365, &id), DIRECTORY_TARGETS, &body)
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
        Node::new(OFFICE_365, &id),
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
        Node::new(OFFICE_365, &id),
        |org, node| direct(org, node, USER_GROUP),
    )
}
