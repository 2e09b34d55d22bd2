//! v1 system users: `/api/systemusers`, their state and password endpoints, and
//! `POST /api/search/systemusers`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::Uri;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{
    coerce_bools, list_params, opt_bool, opt_enum, opt_str, page_table, req_str, Body, Params,
};
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{
    parse_body_filter, parse_search_filter, parse_search_param, Dialect, Rules, DEFAULT_LIMIT,
};
use crate::emulator::state::{fill_user_defaults, find, now, Node, Obj, Org, USER, USER_GROUP};
use crate::emulator::App;
use crate::model::UserState;

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/systemusers", get(list).post(create))
        .route(
            "/api/systemusers/{id}",
            get(get_one).put(update).delete(remove),
        )
        .route("/api/systemusers/{id}/state/activate", post(activate))
        .route("/api/systemusers/{id}/state/suspend", post(suspend))
        .route("/api/systemusers/{id}/password", post(set_password))
        .route("/api/systemusers/{id}/unlock", post(unlock))
        .route("/api/systemusers/{id}/expire", post(expire))
        .route("/api/systemusers/{id}/resetmfa", post(reset_mfa))
        .route("/api/search/systemusers", post(search))
}

/// `sort` takes the scalar fields of `systemuserreturn` (lists and objects do not sort);
/// `filter` takes any field ("a valid field from an endpoint response", `trait_filter_filter`).
const RULES: Rules = Rules {
    sort: Some(&[
        "_id",
        "account_locked",
        "account_locked_date",
        "activated",
        "allow_public_key",
        "alternateEmail",
        "badLoginAttempts",
        "company",
        "costCenter",
        "created",
        "creationSource",
        "department",
        "description",
        "disableDeviceMaxLoginAttempts",
        "displayname",
        "email",
        "employeeIdentifier",
        "employeeType",
        "enable_managed_uid",
        "enable_user_portal_multifactor",
        "external_dn",
        "external_password_expiration_date",
        "external_source_type",
        "externally_managed",
        "firstname",
        "jobTitle",
        "lastname",
        "ldap_binding_user",
        "location",
        "managedAppleId",
        "manager",
        "middlename",
        "organization",
        "password_date",
        "password_expiration_date",
        "password_expired",
        "password_never_expires",
        "passwordless_sudo",
        "public_key",
        "samba_service_user",
        "state",
        "sudo",
        "suspended",
        "totp_enabled",
        "unix_guid",
        "unix_uid",
        "username",
    ]),
    filter: None,
    fields: true,
};

/// Boolean fields of `systemuserputpost` / `systemuserput` (see [`coerce_bools`]).
const BOOLEANS: &[&str] = &[
    "account_locked",
    "activated",
    "allow_public_key",
    "disableDeviceMaxLoginAttempts",
    "enable_managed_uid",
    "enable_user_portal_multifactor",
    "externally_managed",
    "ldap_binding_user",
    "password_never_expires",
    "passwordless_sudo",
    "samba_service_user",
    "sudo",
    "suspended",
    "mfa.configured",
    "mfa.exclusion",
    "recoveryEmail.verified",
];

const ID: &str = "_id";
/// The API's words for user states (`UserState`, one table for jcform and the emulator).
const ACTIVATED: &str = UserState::Active.api_name();
const SUSPENDED: &str = UserState::Suspended.api_name();
const STAGED: &str = UserState::Staged.api_name();
const CREATE_STATES: &[&str] = &[STAGED, ACTIVATED, SUSPENDED];
const PUT_STATES: &[&str] = &[ACTIVATED, SUSPENDED];
/// Read-only in `systemuserreturn`: ignored when a request sends them.
const READ_ONLY: &[&str] = &[
    "_id",
    "id",
    "organization",
    "created",
    "creationSource",
    "password_date",
    "password_expired",
    "password_expiration_date",
    "account_locked_date",
    "badLoginAttempts",
    "totp_enabled",
    "mfaEnrollment",
    "admin",
    "memberof",
];

fn not_found(id: &str) -> ApiError {
    ApiError::not_found("system user", id)
}

fn user<'a>(org: &'a Org, id: &str) -> ApiResult<&'a Obj> {
    org.systemusers.get(id).ok_or_else(|| not_found(id))
}

fn user_mut<'a>(org: &'a mut Org, id: &str) -> ApiResult<&'a mut Obj> {
    org.systemusers.get_mut(id).ok_or_else(|| not_found(id))
}

async fn list(State(app): State<Arc<App>>, uri: Uri, Params(q): Params) -> ApiResult<Json<Value>> {
    let mut params = list_params(&q, Dialect::V1, DEFAULT_LIMIT, &RULES)?;
    if let Some(search) = q.get("search") {
        params.filter.search = Some(parse_search_param(search).map_err(ApiError::bad_request)?);
    }
    let (results, total) = page_table(&app, &uri, &params, ID, |org| &org.systemusers);
    Ok(Json(json!({"totalCount": total, "results": results})))
}

async fn get_one(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Json<Value>> {
    let params = list_params(&q, Dialect::V1, DEFAULT_LIMIT, &RULES)?;
    let found = app.read(|org| org.systemusers.get_full(&id).ok_or_else(|| not_found(&id)))?;
    Ok(Json(Value::Object(params.project(found, ID))))
}

/// The username or email is taken by another user (case-insensitively, as JumpCloud treats them).
fn check_unique(org: &Org, body: &Obj, except: Option<&str>) -> ApiResult<()> {
    for key in ["username", "email"] {
        let Some(wanted) = opt_str(body, key)? else {
            continue;
        };
        let taken = org
            .systemusers
            .find_ci(key, wanted)
            .iter()
            .any(|u| u.get(ID).and_then(Value::as_str) != except);
        if taken {
            return Err(ApiError::bad_request(format!(
                "User already exists: {key} {wanted:?} is taken"
            )));
        }
    }
    Ok(())
}

/// Text longer than the API's `maxLength` for the field (`model::limits`, from the v1
/// `systemuserput` schema) is refused with a 400, as the API refuses it.
fn check_lengths(body: &Obj) -> ApiResult<()> {
    for (key, value) in body {
        let (Some(max), Some(text)) = (
            crate::model::limits::user_max_chars_api(key),
            value.as_str(),
        ) else {
            continue;
        };
        let len = crate::model::limits::chars(text);
        if len > max {
            return Err(ApiError::bad_request(format!(
                "{key}: must be at most {max} characters long, got {len}"
            )));
        }
    }
    Ok(())
}

/// `delegatedAuthority` must be null or name an existing AD instance.
fn check_delegation(org: &Org, body: &Obj) -> ApiResult<()> {
    match body.get("delegatedAuthority") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Object(da)) => {
            if da.get("name").and_then(Value::as_str) != Some("ActiveDirectory") {
                return Err(ApiError::bad_request(
                    "delegatedAuthority.name must be \"ActiveDirectory\"",
                ));
            }
            let id = da.get("id").and_then(Value::as_str).unwrap_or_default();
            if find(&org.activedirectories, "id", id).is_none() {
                return Err(ApiError::bad_request(format!(
                    "delegatedAuthority.id {id:?} is not an Active Directory instance"
                )));
            }
            Ok(())
        }
        Some(_) => Err(ApiError::bad_request(
            "delegatedAuthority must be an object or null",
        )),
    }
}

/// Copies the writable fields of `body` into `user`; a password only sets `password_date`.
fn merge(user: &mut Obj, body: Obj) -> ApiResult<()> {
    for (key, value) in body {
        if key == "password" {
            let ok = value.as_str().is_some_and(|p| !p.is_empty());
            if !ok {
                return Err(ApiError::bad_request("password must be a non-empty string"));
            }
            // Never stored: the emulator only records that a password was set, and when.
            user.insert("password_date".into(), Value::String(now()));
            user.insert("password_expired".into(), Value::Bool(false));
        } else if !READ_ONLY.contains(&key.as_str()) {
            user.insert(key, value);
        }
    }
    Ok(())
}

/// Keeps `state`, `activated` and `suspended` consistent after a change to any of them.
fn sync_state(user: &mut Obj, state_sent: bool, suspended_sent: Option<bool>) {
    let current = user
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or(ACTIVATED)
        .to_string();
    let state = match (state_sent, suspended_sent) {
        (false, Some(true)) => SUSPENDED.to_string(),
        (false, Some(false)) if current == SUSPENDED => ACTIVATED.to_string(),
        _ => current,
    };
    set_state(user, &state);
}

fn set_state(user: &mut Obj, state: &str) {
    user.insert("state".into(), Value::String(state.into()));
    user.insert("suspended".into(), Value::Bool(state == SUSPENDED));
    match state {
        ACTIVATED => {
            user.insert("activated".into(), Value::Bool(true));
        }
        STAGED => {
            user.insert("activated".into(), Value::Bool(false));
        }
        // A suspended user keeps whatever `activated` was: it records past activation.
        _ => {}
    }
}

async fn create(State(app): State<Arc<App>>, Body(mut body): Body) -> ApiResult<Json<Value>> {
    coerce_bools(&mut body, BOOLEANS)?;
    req_str(&body, "username")?;
    req_str(&body, "email")?;
    check_lengths(&body)?;
    let state = opt_enum(&body, "state", CREATE_STATES)?
        .unwrap_or(ACTIVATED)
        .to_string();
    opt_bool(&body, "suspended")?;
    let created = app.write(|org, ids| {
        check_unique(org, &body, None)?;
        check_delegation(org, &body)?;
        let mut user = Obj::new();
        user.insert(ID.into(), Value::String(ids.next_id()));
        merge(&mut user, body)?;
        user.insert("created".into(), Value::String(now()));
        set_state(&mut user, &state);
        if !user.get("unix_uid").is_some_and(Value::is_u64) {
            user.insert("unix_uid".into(), Value::from(org.next_unix_id()));
        }
        if !user.get("unix_guid").is_some_and(Value::is_u64) {
            let uid = user["unix_uid"].clone();
            user.insert("unix_guid".into(), uid);
        }
        user.insert("organization".into(), Value::String(org.organization_id()));
        fill_user_defaults(&mut user);
        org.note_unix_ids(&user);
        org.systemusers.push(user.clone());
        Ok(user)
    })?;
    Ok(Json(Value::Object(created)))
}

async fn update(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(mut body): Body,
) -> ApiResult<Json<Value>> {
    coerce_bools(&mut body, BOOLEANS)?;
    if opt_str(&body, "state")? == Some(STAGED) {
        return Err(ApiError::bad_request("state cannot be set back to STAGED"));
    }
    let state_sent = opt_enum(&body, "state", PUT_STATES)?.is_some();
    let suspended = opt_bool(&body, "suspended")?;
    for key in ["username", "email"] {
        if body.contains_key(key) {
            req_str(&body, key)?;
        }
    }
    check_lengths(&body)?;
    let updated = app.write(|org, _| {
        user(org, &id)?;
        check_unique(org, &body, Some(&id))?;
        check_delegation(org, &body)?;
        org.forget_unix_ids();
        let user = user_mut(org, &id)?;
        merge(user, body)?;
        sync_state(user, state_sent, suspended);
        Ok(user.clone())
    })?;
    Ok(Json(Value::Object(updated)))
}

async fn remove(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let removed = app.write(|org, _| {
        let mut removed = org.systemusers.remove(&id).ok_or_else(|| not_found(&id))?;
        fill_user_defaults(&mut removed);
        org.remove_edges_of(&Node::new(USER, &id));
        org.forget_unix_ids();
        Ok(removed)
    })?;
    Ok(Json(Value::Object(removed)))
}

async fn activate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(_): Body,
) -> ApiResult<Json<Value>> {
    let updated = app.write(|org, _| {
        let user = user_mut(org, &id)?;
        set_state(user, ACTIVATED);
        Ok(user.clone())
    })?;
    Ok(Json(Value::Object(updated)))
}

async fn suspend(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    if !body.is_empty() {
        return Err(ApiError::bad_request(
            "the suspend request body must be empty",
        ));
    }
    let updated = app.write(|org, _| {
        let user = user_mut(org, &id)?;
        set_state(user, SUSPENDED);
        Ok(user.clone())
    })?;
    Ok(Json(Value::Object(updated)))
}

async fn set_password(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    req_str(&body, "password")?;
    let password = body.get("password").cloned().unwrap_or_default();
    let updated = app.write(|org, _| {
        let user = user_mut(org, &id)?;
        let mut only_password = Obj::new();
        only_password.insert("password".into(), password);
        merge(user, only_password)?;
        Ok(user.clone())
    })?;
    Ok(Json(Value::Object(updated)))
}

/// The answer of the unlock / expire / resetmfa endpoints: `200`, a JSON string (the spec
/// gives `type: string` and no example; clients ignore the body).
fn done() -> Json<Value> {
    Json(Value::String("OK".into()))
}

/// `POST /systemusers/{id}/unlock`: clears the lockout and the failed-login count.
async fn unlock(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(_): Body,
) -> ApiResult<Json<Value>> {
    app.write(|org, _| {
        let user = user_mut(org, &id)?;
        user.insert("account_locked".into(), Value::Bool(false));
        user.insert("account_locked_date".into(), Value::Null);
        user.insert("badLoginAttempts".into(), Value::from(0));
        Ok(())
    })?;
    Ok(done())
}

/// `POST /systemusers/{id}/expire`: the password counts as expired from now on.
async fn expire(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(_): Body,
) -> ApiResult<Json<Value>> {
    app.write(|org, _| {
        let user = user_mut(org, &id)?;
        user.insert("password_expired".into(), Value::Bool(true));
        user.insert("password_expiration_date".into(), Value::String(now()));
        Ok(())
    })?;
    Ok(done())
}

/// `POST /systemusers/{id}/resetmfa` with `{exclusion, exclusionUntil, exclusionDays}`: drops the
/// TOTP enrollment and starts a new enrollment period (`mfa.configured` false, the exclusion as
/// sent).
async fn reset_mfa(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(mut body): Body,
) -> ApiResult<Json<Value>> {
    coerce_bools(&mut body, &["exclusion"])?;
    let exclusion = opt_bool(&body, "exclusion")?.unwrap_or(false);
    let until = opt_str(&body, "exclusionUntil")?;
    if let Some(until) = until {
        time::OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339)
            .map_err(|_| ApiError::bad_request("exclusionUntil must be an RFC 3339 date-time"))?;
    }
    let days = match body.get("exclusionDays") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64() {
            Some(d) if d >= 1.0 => Some(v.clone()),
            _ => return Err(ApiError::bad_request("exclusionDays must be a number >= 1")),
        },
    };
    app.write(|org, _| {
        let user = user_mut(org, &id)?;
        let mut mfa = Obj::new();
        mfa.insert("configured".into(), Value::Bool(false));
        mfa.insert("exclusion".into(), Value::Bool(exclusion));
        if let Some(until) = until {
            mfa.insert("exclusionUntil".into(), Value::String(until.into()));
        }
        if let Some(days) = days {
            mfa.insert("exclusionDays".into(), days);
        }
        user.insert("mfa".into(), Value::Object(mfa));
        user.insert("totp_enabled".into(), Value::Bool(false));
        if let Some(Value::Object(enrollment)) = user.get_mut("mfaEnrollment") {
            enrollment.insert("totpStatus".into(), Value::String("NOT_ENROLLED".into()));
        }
        Ok(())
    })?;
    Ok(done())
}

/// `POST /search/systemusers`: query-string `filter`/`fields`/`limit`/`skip` plus the body's
/// `filter`, `searchFilter` and `fields`. Results also carry `memberof` (group ids).
async fn search(
    State(app): State<Arc<App>>,
    uri: Uri,
    Params(q): Params,
    Body(body): Body,
) -> ApiResult<Json<Value>> {
    // The spec declares no `sort` here, but the search endpoint sorts like the list (jcform
    // sends `sort=_id` for stable paging), so the list's rules apply.
    let mut params = list_params(&q, Dialect::V1, DEFAULT_LIMIT, &RULES)?;
    let body_filter = parse_body_filter(body.get("filter").unwrap_or(&Value::Null))
        .map_err(ApiError::bad_request)?;
    params.filter.all.extend(body_filter.all);
    params.filter.any.extend(body_filter.any);
    params.filter.search = parse_search_filter(body.get("searchFilter").unwrap_or(&Value::Null))
        .map_err(ApiError::bad_request)?;
    if let Some(fields) = opt_str(&body, "fields")? {
        params.fields = Some(fields.split_whitespace().map(String::from).collect());
    }
    let (mut results, total) = page_table(&app, &uri, &params, ID, |org| &org.systemusers);
    app.read(|org| {
        for result in &mut results {
            let id = result
                .get(ID)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let node = Node::new(USER, &id);
            let groups: Vec<Value> = org
                .associations
                .of(&node)
                .filter(|e| e.to == node && e.from.kind == USER_GROUP)
                .map(|e| Value::String(e.from.id.clone()))
                .collect();
            if let Some(obj) = result.as_object_mut() {
                obj.insert("memberof".into(), Value::Array(groups));
            }
        }
    });
    Ok(Json(json!({"totalCount": total, "results": results})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_flags_follow_state() {
        let mut u = Obj::new();
        set_state(&mut u, "ACTIVATED");
        sync_state(&mut u, false, Some(true));
        assert_eq!(u["state"], "SUSPENDED");
        assert_eq!(u["activated"], true);
        sync_state(&mut u, false, Some(false));
        assert_eq!(
            (u["state"].as_str(), u["suspended"].as_bool()),
            (Some("ACTIVATED"), Some(false))
        );
    }

    #[test]
    fn passwords_are_never_stored() {
        let mut u = Obj::new();
        let body = json!({"password": "hunter2", "firstname": "A", "_id": "forged"});
        merge(&mut u, body.as_object().unwrap().clone()).unwrap();
        assert!(!u.contains_key("password"));
        assert!(!u.contains_key("_id"));
        assert!(u["password_date"].is_string());
        assert!(!serde_json::to_string(&u).unwrap().contains("hunter2"));
    }
}
