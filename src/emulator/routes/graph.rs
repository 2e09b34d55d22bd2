//! The graph: association lists and edits shared by every resource, traversals (effective
//! users and groups, with `paths`), `/users/{id}/...` edges and `/directories`.
//!
//! Edits are idempotent by design: adding an edge that exists or removing one that does not
//! answers 204 and changes nothing. The spec does not say what the real API does; treating
//! both as already converged is what a reconciler needs and what the API digest recommends.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::{
    cached, list_params, opt_enum, page, page_rows, req_str, v2_list, v2_list_bytes, window, Body,
    Params,
};
use crate::emulator::cache::Rows;
use crate::emulator::error::{ApiError, ApiResult};
use crate::emulator::query::{Dialect, Query, Rules, DEFAULT_LIMIT};
use crate::emulator::state::{
    Edge, Node, Obj, Org, ACTIVE_DIRECTORY, APPLICATION, OFFICE_365, USER, USER_GROUP,
};
use crate::emulator::App;

/// What users and user groups may be associated with (`trait_graphTargetsUser_targets`).
pub const PRINCIPAL_TARGETS: &[&str] = &[
    ACTIVE_DIRECTORY,
    APPLICATION,
    "g_suite",
    "idp_routing_policy",
    "ldap_server",
    OFFICE_365,
    "password_manager_item",
    "policy",
    "policy_group",
    "radius_server",
    "system",
    "system_group",
];
/// What a directory (AD or M365) may be associated with.
pub const DIRECTORY_TARGETS: &[&str] = &[USER, USER_GROUP];

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route(
            "/api/v2/users/{id}/associations",
            get(user_associations).post(user_associate),
        )
        .route("/api/v2/users/{id}/memberof", get(user_memberof))
        .route("/api/v2/users/{id}/directories", get(user_directories))
        .route(
            "/api/v2/users/{id}/activedirectories",
            get(user_activedirectories),
        )
        .route("/api/v2/users/{id}/office365s", get(user_office365s))
        .route("/api/v2/directories", get(directories))
}

/// Traversals that declare only `filter`, `limit` and `skip` (`graph_userTraverseDirectory`,
/// `graph_activeDirectoryTraverseUser`, ...): `sort` and `fields` are ignored.
pub const TRAVERSAL_RULES: Rules = Rules {
    sort: None,
    filter: None,
    fields: false,
};
/// `graph_userMemberOf` also declares `sort`, over the `GraphObjectWithPaths` fields.
const MEMBEROF_RULES: Rules = Rules {
    sort: Some(&["id", "type"]),
    filter: None,
    fields: false,
};
/// Association lists declare `limit`, `skip` and `targets` only.
const ASSOCIATION_RULES: Rules = Rules {
    sort: None,
    filter: None,
    fields: false,
};
/// `directories_list`: "Supported filter field: `organizationId`"; sorts by `Directory`'s
/// scalar fields.
const DIRECTORY_RULES: Rules = Rules {
    sort: Some(&["id", "name", "type", "organizationId"]),
    filter: Some(&["organizationId"]),
    fields: true,
};

/// `GraphObject`.
fn object(node: &Node, attributes: Option<&Value>) -> Value {
    json!({"attributes": attributes.cloned().unwrap_or(Value::Null), "id": node.id, "type": node.kind})
}

/// `GraphConnection` seen from one end: `to` is the other object.
fn connection(to: &Node, edge_attributes: Option<&Value>) -> Value {
    json!({"attributes": edge_attributes.cloned().unwrap_or(Value::Null), "to": object(to, None)})
}

/// `GraphObjectWithPaths`.
fn with_paths(node: &Node, paths: Vec<Vec<Value>>) -> Obj {
    let mut obj = Obj::new();
    obj.insert("id".into(), Value::String(node.id.clone()));
    obj.insert("type".into(), Value::String(node.kind.clone()));
    obj.insert("paths".into(), json!(paths));
    obj
}

/// The `targets` query parameter (repeated or comma-separated); required.
fn targets(q: &Query, allowed: &[&str]) -> ApiResult<Vec<String>> {
    let targets: Vec<String> =
        q.0.iter()
            .filter(|(k, _)| k == "targets" || k == "targets[]")
            .flat_map(|(_, v)| v.split(','))
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
    if targets.is_empty() {
        return Err(ApiError::bad_request(format!(
            "targets is required (one of {})",
            allowed.join(", ")
        )));
    }
    if let Some(bad) = targets.iter().find(|t| !allowed.contains(&t.as_str())) {
        return Err(ApiError::bad_request(format!(
            "invalid target {bad:?}: must be one of {}",
            allowed.join(", ")
        )));
    }
    Ok(targets)
}

fn require(org: &Org, node: &Node) -> ApiResult<()> {
    if org.exists(node) {
        Ok(())
    } else {
        Err(ApiError::not_found(&node.kind, &node.id))
    }
}

/// `GET .../associations?targets=...`: direct edges from `node`, as `[GraphConnection]`.
pub fn list_associations(
    app: &App,
    uri: &Uri,
    q: &Query,
    node: Node,
    allowed: &[&str],
) -> ApiResult<Response> {
    let targets = targets(q, allowed)?;
    let params = list_params(q, Dialect::V2, DEFAULT_LIMIT, &ASSOCIATION_RULES)?;
    // The targets choose the rows, so they are part of what the cache keys on.
    let selects = targets.join(",");
    let kinds: Vec<&str> = targets.iter().map(String::as_str).collect();
    // The cache keeps edge slots, not built rows, and a page is written straight from the
    // edges: a full read lists 325,000 memberships at 100,000 users (issue 13), and building,
    // copying and dropping two JSON maps per row was most of what serving them cost.
    let body = app.read_versioned(|org, version| {
        let rows = cached(app, version, uri, &params, &selects, || {
            require(org, &node)?;
            let edges = org.associations.slots_of(&node).filter(|(_, e)| {
                e.other(&node)
                    .is_some_and(|o| kinds.contains(&o.kind.as_str()))
            });
            if params.fields_used().is_empty() {
                return Ok(Rows::Slots(edges.map(|(slot, _)| slot).collect()));
            }
            // A filter looks at the rows as served.
            let views: Vec<(usize, Obj)> = edges
                .filter_map(|(slot, e)| {
                    let to = e.other(&node)?;
                    match connection(to, e.attributes.as_ref()) {
                        Value::Object(map) => Some((slot, map)),
                        _ => None,
                    }
                })
                .collect();
            Ok(Rows::Slots(
                params.arrange(views.iter().map(|(s, v)| (*s, v))),
            ))
        })?;
        let Rows::Slots(slots) = &*rows else {
            return Ok((Vec::new(), 0));
        };
        let mut page: Vec<Connection> = window(slots, &params)
            .iter()
            .filter_map(|&slot| {
                let edge = org.associations.at(slot)?;
                Some(Connection {
                    attributes: edge.attributes.as_ref(),
                    to: Target {
                        attributes: (),
                        id: &edge.other(&node)?.id,
                        kind: &edge.other(&node)?.kind,
                    },
                })
            })
            .collect();
        if !page.is_empty() && app.faults.shorten_page(&uri.to_string()) {
            page.pop();
        }
        let body = serde_json::to_vec(&page).map_err(|e| ApiError::internal(e.to_string()))?;
        Ok::<_, ApiError>((body, slots.len()))
    })?;
    Ok(v2_list_bytes(body.0, body.1))
}

/// A `GraphConnection` row as [`connection`] draws it, written without building it.
#[derive(serde::Serialize)]
struct Connection<'a> {
    attributes: Option<&'a Value>,
    to: Target<'a>,
}

/// The `to` of a [`Connection`]: [`object`] with no attributes.
#[derive(serde::Serialize)]
struct Target<'a> {
    attributes: (),
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
}

/// `POST .../associations` (and `/usergroups/{id}/members`): a `GraphOperation` on an edge of
/// `node`. Answers 204.
pub fn edit_association(
    app: &App,
    node: Node,
    allowed: &[&str],
    body: &Obj,
) -> ApiResult<Response> {
    let op = opt_enum(body, "op", &["add", "remove", "update"])?
        .ok_or_else(|| ApiError::bad_request("op is required (add, remove or update)"))?;
    let kind = opt_enum(body, "type", allowed)?.ok_or_else(|| {
        ApiError::bad_request(format!("type is required (one of {})", allowed.join(", ")))
    })?;
    let other = Node::new(kind, req_str(body, "id")?);
    let attributes = body.get("attributes").filter(|a| !a.is_null()).cloned();
    app.write(|org, _| {
        require(org, &node)?;
        require(org, &other)?;
        match (op, org.edge_index(&node, &other)) {
            ("add", None) => {
                let mut edge = Edge::new(node.clone(), other.clone());
                edge.attributes = attributes;
                org.associations.add(edge);
            }
            ("remove", Some(i)) => {
                org.associations.remove_at(i);
            }
            ("update", Some(i)) => org.associations.set_attributes(i, attributes),
            ("update", None) => {
                return Err(ApiError::not_found(
                    "association with",
                    &format!("{} {}", other.kind, other.id),
                ))
            }
            // Add of an existing edge, remove of a missing one: already converged.
            _ => {}
        }
        Ok(())
    })?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Effective users of a directory: bound directly (a path of one connection) or through a bound
/// group (group, then user). One entry per user, with every path.
pub fn effective_users(org: &Org, dir: &Node) -> Vec<Obj> {
    let mut found: Vec<(Node, Vec<Vec<Value>>)> = Vec::new();
    let mut seen: std::collections::HashMap<Node, usize> = std::collections::HashMap::new();
    let mut add = |user: &Node, path: Vec<Value>| match seen.get(user) {
        Some(&i) => found[i].1.push(path),
        None => {
            seen.insert(user.clone(), found.len());
            found.push((user.clone(), vec![path]));
        }
    };
    for edge in org.neighbours(dir, &[USER, USER_GROUP]) {
        let Some(other) = edge.other(dir) else {
            continue;
        };
        let first = connection(other, edge.attributes.as_ref());
        if other.kind == USER {
            add(other, vec![first]);
        } else {
            for member in org.neighbours(other, &[USER]) {
                if let Some(user) = member.other(other) {
                    add(
                        user,
                        vec![first.clone(), connection(user, member.attributes.as_ref())],
                    );
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(n, paths)| with_paths(&n, paths))
        .collect()
}

/// Directories of `kinds` a user or group reaches: bound directly (a one-step path) or, for a
/// user, through a group it is a member of (group, then directory). One entry per directory,
/// with every path, in the order first reached.
pub fn effective_directories(org: &Org, principal: &Node, kinds: &[&str]) -> Vec<Obj> {
    let mut found: Vec<(Node, Vec<Vec<Value>>)> = Vec::new();
    let mut add = |dir: &Node, path: Vec<Value>| match found.iter_mut().find(|(n, _)| n == dir) {
        Some((_, paths)) => paths.push(path),
        None => found.push((dir.clone(), vec![path])),
    };
    for edge in org.neighbours(principal, kinds) {
        if let Some(dir) = edge.other(principal) {
            add(dir, vec![connection(dir, edge.attributes.as_ref())]);
        }
    }
    if principal.kind == USER {
        for membership in org.neighbours(principal, &[USER_GROUP]) {
            let Some(group) = membership.other(principal) else {
                continue;
            };
            let first = connection(group, membership.attributes.as_ref());
            for edge in org.neighbours(group, kinds) {
                if let Some(dir) = edge.other(group) {
                    add(
                        dir,
                        vec![first.clone(), connection(dir, edge.attributes.as_ref())],
                    );
                }
            }
        }
    }
    found
        .into_iter()
        .map(|(n, paths)| with_paths(&n, paths))
        .collect()
}

/// Direct neighbours of `node` of one type, each with its one-step path.
pub fn direct(org: &Org, node: &Node, kind: &str) -> Vec<Obj> {
    org.neighbours(node, &[kind])
        .filter_map(|e| {
            e.other(node)
                .map(|o| with_paths(o, vec![vec![connection(o, e.attributes.as_ref())]]))
        })
        .collect()
}

/// A traversal answer: `[GraphObjectWithPaths]`, paged, `x-total-count`.
pub fn traversal(
    app: &App,
    uri: &Uri,
    q: &Query,
    rules: &Rules,
    node: Node,
    f: impl FnOnce(&Org, &Node) -> Vec<Obj>,
) -> ApiResult<Response> {
    let params = list_params(q, Dialect::V2, DEFAULT_LIMIT, rules)?;
    let (page, total) = page_rows(app, uri, &params, "", "id", |org| {
        require(org, &node)?;
        Ok(f(org, &node))
    })?;
    Ok(v2_list(page, total))
}

async fn user_associations(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    list_associations(&app, &uri, &q, Node::new(USER, &id), PRINCIPAL_TARGETS)
}

async fn user_associate(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Body(body): Body,
) -> ApiResult<Response> {
    edit_association(&app, Node::new(USER, &id), PRINCIPAL_TARGETS, &body)
}

async fn user_memberof(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    traversal(
        &app,
        &uri,
        &q,
        &MEMBEROF_RULES,
        Node::new(USER, &id),
        |org, node| direct(org, node, USER_GROUP),
    )
}

/// `GET /users/{id}/directories`: AD instances and M365 tenants the user reaches.
async fn user_directories(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let node = Node::new(USER, &id);
    traversal(&app, &uri, &q, &TRAVERSAL_RULES, node, |org, node| {
        effective_directories(org, node, &[ACTIVE_DIRECTORY, OFFICE_365])
    })
}

async fn user_activedirectories(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let node = Node::new(USER, &id);
    traversal(&app, &uri, &q, &TRAVERSAL_RULES, node, |org, node| {
        effective_directories(org, node, &[ACTIVE_DIRECTORY])
    })
}

async fn user_office365s(
    State(app): State<Arc<App>>,
    uri: Uri,
    Path(id): Path<String>,
    Params(q): Params,
) -> ApiResult<Response> {
    let node = Node::new(USER, &id);
    traversal(&app, &uri, &q, &TRAVERSAL_RULES, node, |org, node| {
        effective_directories(org, node, &[OFFICE_365])
    })
}

/// `GET /directories`: the AD instances and M365 tenants as `Directory` objects.
async fn directories(
    State(app): State<Arc<App>>,
    uri: Uri,
    Params(q): Params,
) -> ApiResult<Response> {
    let params = list_params(&q, Dialect::V2, DEFAULT_LIMIT, &DIRECTORY_RULES)?;
    let rows = app.read(|org| {
        let org_id = Value::String(org.organization_id());
        let ads = org.activedirectories.iter().map(|ad| {
            let domain = ad.get("domain").cloned().unwrap_or(Value::Null);
            directory(ad, domain, ACTIVE_DIRECTORY, Value::Null, &org_id)
        });
        let tenants = org.office365s.iter().map(|o| {
            let id = o.get("id").and_then(Value::as_str).unwrap_or_default();
            let name = o.get("name").cloned().unwrap_or(Value::Null);
            let default = super::o365::default_domain(org, id);
            directory(o, name, OFFICE_365, default, &org_id)
        });
        ads.chain(tenants).collect::<Vec<Obj>>()
    });
    let (page, total) = page(&app, &uri, &params, rows, "id");
    Ok(v2_list(page, total))
}

fn directory(
    source: &Obj,
    name: Value,
    kind: &str,
    default_domain: Value,
    organization: &Value,
) -> Obj {
    let mut obj = Obj::new();
    obj.insert(
        "id".into(),
        source.get("id").cloned().unwrap_or(Value::Null),
    );
    obj.insert("name".into(), name);
    obj.insert("type".into(), Value::String(kind.into()));
    obj.insert("oAuthStatus".into(), Value::Null);
    obj.insert("defaultDomain".into(), default_domain);
    obj.insert("organizationId".into(), organization.clone());
    obj
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An association page is written from the edges without building `connection`'s maps; the
    /// bytes must be the ones `connection` serialises to, with and without edge attributes.
    #[test]
    fn connection_rows_are_written_as_connection_draws_them() {
        let to = Node::new(USER, "5f0c1a2b3c4d5e6f7a8b9c0d");
        let attributes = json!({"sudo": {"enabled": true, "withoutPassword": false}});
        for attrs in [None, Some(&attributes)] {
            let row = Connection {
                attributes: attrs,
                to: Target {
                    attributes: (),
                    id: &to.id,
                    kind: &to.kind,
                },
            };
            assert_eq!(
                serde_json::to_string(&row).unwrap(),
                serde_json::to_string(&connection(&to, attrs)).unwrap()
            );
        }
    }
}
