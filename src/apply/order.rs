//! Turns a `Plan` into a schedule: the steps `execute` runs and, for each, the steps that must be
//! done first. Pure data, so the order can be tested without a server.
//!
//! Why these edges (see design/LOCKOUT-RULES.md, "Order of changes that avoids a transient
//! lockout"):
//! - Creates follow what they reference (a membership after its user and group, a binding after
//!   its directory and subject), mirroring `graph::build`; deletes run in reverse (edges first,
//!   then the objects they name).
//! - A user's delegated authority is split out of the user's create/update into its own step,
//!   because it must be ordered against bindings and the AD domain, not against the profile:
//!   - onto delegation: bind (and create or update the domain, which enables delegation) first,
//!     then `Delegate`;
//!   - off delegation: `Undelegate` (initial password first, then clear the authority) before
//!     unbinding, before changing or deleting the old domain;
//!   - between domains: `Undelegate`, unbind the old, bind the new, then `Delegate` — the user is
//!     never bound to two delegation domains at once (LCK001 mid-apply). A direct switch cannot
//!     satisfy both rules above, so the move always goes through "none".
//! - A subject moved between two delegation domains is unbound from the old before being bound
//!   to the new, whoever's authority changes.
//! - Replacing a group's members: every add before any remove, so nobody loses access that both
//!   the old and new member lists grant.
//! - A replace is a delete followed by a create of the same address.
//!
//! Steps with no path between them are independent: `execute` may run them at the same time.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{Address, Directory, Subject};
use crate::plan::{Action, Plan};

/// What one step does to its address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Create the object or add the edge.
    Create,
    /// Change fields of an existing object (without its delegated authority).
    Update,
    /// Clear a user's delegated authority; the plan's initial password, if any, is set first.
    Undelegate,
    /// Set a user's delegated authority to an AD domain.
    Delegate,
    /// Delete the object or remove the edge.
    Delete,
}

impl StepKind {
    pub fn name(self) -> &'static str {
        match self {
            StepKind::Create => "create",
            StepKind::Update => "update",
            StepKind::Undelegate => "undelegate",
            StepKind::Delegate => "delegate",
            StepKind::Delete => "delete",
        }
    }
}

/// One write (or a short fixed sequence of writes to one object).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// Position in `Schedule::steps`; every dependency has a smaller id.
    pub id: usize,
    pub address: Address,
    pub kind: StepKind,
    /// The change this step comes from (index into `Plan::changes`).
    pub change: usize,
    /// The fields this step writes, config names (a part of the change's `after`).
    pub fields: Map<String, Value>,
    /// Steps that must be done first, sorted.
    pub needs: Vec<usize>,
}

impl Step {
    /// `user.alice delegate` for messages.
    pub fn label(&self) -> String {
        format!("{} {}", self.address, self.kind.name())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Schedule {
    /// In a deterministic topological order: dependencies first, ties by address then kind.
    pub steps: Vec<Step>,
}

impl Schedule {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The id of the step for `address` of `kind`, if the schedule has one.
    pub fn find(&self, address: &Address, kind: StepKind) -> Option<usize> {
        self.steps
            .iter()
            .find(|s| &s.address == address && s.kind == kind)
            .map(|s| s.id)
    }

    /// Whether step `later` (transitively) waits for step `earlier`.
    pub fn waits_for(&self, later: usize, earlier: usize) -> bool {
        let mut stack = vec![later];
        let mut seen = BTreeSet::new();
        while let Some(s) = stack.pop() {
            if !seen.insert(s) {
                continue;
            }
            let Some(step) = self.steps.get(s) else {
                continue;
            };
            for &n in &step.needs {
                if n == earlier {
                    return true;
                }
                stack.push(n);
            }
        }
        false
    }
}

/// Facts about the org the plan alone does not carry.
#[derive(Debug, Clone, Default)]
pub struct OrderHints {
    /// Config keys of AD domains whose delegation is enabled before or after the plan. A subject
    /// moved between two of them is unbound from the old one before being bound to the new one.
    pub delegation_domains: BTreeSet<String>,
    /// Direct members (usernames) of each live group, by group name. A group is deleted only
    /// after every membership or binding its members gain in this plan is in place, so a failed
    /// move elsewhere keeps the old group (and the access it gives).
    pub group_members: BTreeMap<String, BTreeSet<String>>,
}

/// The plan's steps would have to wait for each other in a circle (a bug in the rules above or
/// a plan that contradicts itself). Nothing is executed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the changes cannot be ordered: a cycle through {}", .0.join(", "))]
pub struct OrderError(pub Vec<String>);

/// What a `delegated_authority` value in a plan means: `Some(None)` = none (JumpCloud checks the
/// password), `Some(Some(key))` = the AD domain with this config key, `None` = not a value.
/// Accepts `"none"`/`null`, a plain key, or `{ad_domain: key}` / `{ad: key}`.
pub fn authority_value(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) if s == "none" => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Object(map) => ["ad_domain", "ad"]
            .iter()
            .find_map(|k| map.get(*k)?.as_str())
            .map(|s| Some(Some(s.to_string())))
            .unwrap_or(None),
        _ => None,
    }
}

/// Field names that steps split out of user changes.
const DELEGATED_AUTHORITY: &str = "delegated_authority";
const INITIAL_PASSWORD: &str = "initial_password";
const PASSWORD_AUTHORITY: &str = "password_authority";

/// A step before ids are assigned.
struct Draft {
    address: Address,
    kind: StepKind,
    change: usize,
    fields: Map<String, Value>,
}

/// A user's delegated-authority move, for the ordering rules.
struct Move {
    user: String,
    /// The domain the user leaves (`None`: none or unknown).
    from: Option<String>,
    /// The domain the user ends on (`None`: none).
    to: Option<String>,
    /// The `before` side named a value (so `from` is known rather than absent).
    from_known: bool,
}

pub fn schedule(plan: &Plan, hints: &OrderHints) -> Result<Schedule, OrderError> {
    let mut drafts: Vec<Draft> = Vec::new();
    let mut moves: Vec<Move> = Vec::new();
    for (i, change) in plan.changes.iter().enumerate() {
        expand(i, change, &mut drafts, &mut moves);
    }

    let mut by_key: BTreeMap<(Address, StepKind), usize> = BTreeMap::new();
    for (i, d) in drafts.iter().enumerate() {
        by_key.insert((d.address.clone(), d.kind), i);
    }
    let find = |a: &Address, k: StepKind| by_key.get(&(a.clone(), k)).copied();

    // needs[i]: drafts that draft i waits for.
    let mut needs: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); drafts.len()];
    let mut wait = |later: Option<usize>, earlier: Option<usize>| {
        if let (Some(l), Some(e)) = (later, earlier) {
            if l != e {
                needs[l].insert(e);
            }
        }
    };

    for (i, d) in drafts.iter().enumerate() {
        match (&d.address, d.kind) {
            // Creates after what they reference; a replace's create after its delete.
            (a, StepKind::Create) => {
                wait(Some(i), find(a, StepKind::Delete));
                for end in ends(a) {
                    wait(Some(i), find(&end, StepKind::Create));
                }
            }
            // Deletes in reverse: an object after the edges that name it.
            (a, StepKind::Delete) if ends(a).is_empty() => {
                for (j, e) in drafts.iter().enumerate() {
                    if e.kind == StepKind::Delete && ends(&e.address).contains(a) {
                        wait(Some(i), Some(j));
                    }
                }
            }
            // Updates of an edge's end don't matter to the edge; a user's profile update after
            // its create is impossible (one change per address).
            _ => {}
        }
    }

    // A user may delegate to an AD domain (the graph has user -> domain): a domain is deleted
    // only after the users being deleted, so no remaining user points at a missing domain.
    for (i, d) in drafts.iter().enumerate() {
        if let (Address::AdDomain(_), StepKind::Delete) = (&d.address, d.kind) {
            for (j, e) in drafts.iter().enumerate() {
                if let (Address::User(_), StepKind::Delete) = (&e.address, e.kind) {
                    wait(Some(i), Some(j));
                }
            }
        }
    }

    // Membership replace: within a group, removes after adds.
    for (i, d) in drafts.iter().enumerate() {
        if let (Address::Membership(group, _), StepKind::Delete) = (&d.address, d.kind) {
            for (j, e) in drafts.iter().enumerate() {
                if let (Address::Membership(g2, _), StepKind::Create) = (&e.address, e.kind) {
                    if g2 == group {
                        wait(Some(i), Some(j));
                    }
                }
            }
        }
    }

    // Between delegation domains: unbind the old before binding the new, per subject.
    for (i, d) in drafts.iter().enumerate() {
        let Some((to, subject)) = ad_binding(&d.address) else {
            continue;
        };
        if d.kind != StepKind::Create || !hints.delegation_domains.contains(to) {
            continue;
        }
        for (j, e) in drafts.iter().enumerate() {
            if let Some((from, s2)) = ad_binding(&e.address) {
                if e.kind == StepKind::Delete
                    && s2 == subject
                    && from != to
                    && hints.delegation_domains.contains(from)
                {
                    wait(Some(i), Some(j));
                }
            }
        }
    }

    // Delegated authority moves.
    for m in &moves {
        let user = Address::User(m.user.clone());
        let undelegate = find(&user, StepKind::Undelegate);
        let delegate = find(&user, StepKind::Delegate);
        wait(delegate, undelegate);
        wait(delegate, find(&user, StepKind::Create));

        if let Some(to) = &m.to {
            // Onto `to`: the domain exists with its delegation set, and the user reaches it
            // (directly, or through a group bound to it) before the authority points there.
            let domain = Address::AdDomain(to.clone());
            wait(delegate, find(&domain, StepKind::Create));
            wait(delegate, find(&domain, StepKind::Update));
            for (j, e) in drafts.iter().enumerate() {
                if e.kind != StepKind::Create {
                    continue;
                }
                let reaches = match &e.address {
                    // The user's own binding, or any group's (the user may reach the domain
                    // through it; waiting for one that doesn't only costs a little concurrency).
                    Address::Binding(b) if b.directory == Directory::AdDomain(to.clone()) => {
                        match &b.subject {
                            Subject::User(u) => *u == m.user,
                            Subject::Group(_) => true,
                        }
                    }
                    Address::Membership(_, u) => *u == m.user,
                    _ => false,
                };
                if reaches {
                    wait(delegate, Some(j));
                }
            }
        }

        if undelegate.is_some() {
            // Off the old domain: clear the authority before the user loses the domain in any
            // way. With the old domain unknown, before every AD unbind of the user.
            for (j, e) in drafts.iter().enumerate() {
                let leaves = match (&e.address, e.kind) {
                    (Address::Binding(b), StepKind::Delete) => match &b.directory {
                        Directory::AdDomain(d) => {
                            let old = match (&m.from, m.from_known) {
                                (Some(from), _) => d == from,
                                (None, false) => true,
                                (None, true) => false,
                            };
                            old && (matches!(&b.subject, Subject::User(u) if *u == m.user)
                                || matches!(b.subject, Subject::Group(_)))
                        }
                        Directory::M365Tenant(_) | Directory::SsoApp(_) => false,
                    },
                    (Address::Membership(_, u), StepKind::Delete) => *u == m.user,
                    (Address::AdDomain(d), StepKind::Update | StepKind::Delete) => {
                        m.from.as_ref() == Some(d)
                    }
                    _ => false,
                };
                if leaves {
                    wait(Some(j), undelegate);
                }
            }
            // Between domains: the new binding only once the authority is cleared.
            if let Some(to) = &m.to {
                let bind = Address::Binding(crate::model::Binding {
                    directory: Directory::AdDomain(to.clone()),
                    subject: Subject::User(m.user.clone()),
                });
                wait(find(&bind, StepKind::Create), undelegate);
                if let Some(from) = &m.from {
                    let unbind = Address::Binding(crate::model::Binding {
                        directory: Directory::AdDomain(from.clone()),
                        subject: Subject::User(m.user.clone()),
                    });
                    wait(
                        find(&bind, StepKind::Create),
                        find(&unbind, StepKind::Delete),
                    );
                }
            }
        }
    }

    // Safety: a removal runs only once what replaces it is in place, so a failed step never
    // leaves someone with less access than both the old and the new state give. These are
    // added last and only where they close no cycle: the lockout rules above win (a subject
    // moved between delegation domains is unbound from the old domain first, LCK001).
    let mut safety: Vec<(usize, usize)> = Vec::new();
    for (i, d) in drafts.iter().enumerate() {
        if d.kind != StepKind::Delete {
            continue;
        }
        // A subject's edge removals after its edge additions (moved between groups or
        // directories: the add first; if it fails, the old edge stays).
        if let Some(subject) = edge_subject(&d.address) {
            for (j, e) in drafts.iter().enumerate() {
                if e.kind == StepKind::Create && edge_subject(&e.address) == Some(subject.clone()) {
                    safety.push((i, j));
                }
            }
        }
        // An SSO app's assignments: removals after the additions to the same app, so users of
        // a federated domain keep the app while one group replaces another (LCK010 mid-apply).
        if let Address::Binding(b) = &d.address {
            if let Directory::SsoApp(_) = &b.directory {
                for (j, e) in drafts.iter().enumerate() {
                    let adds = e.kind == StepKind::Create
                        && matches!(&e.address, Address::Binding(o) if o.directory == b.directory);
                    if adds {
                        safety.push((i, j));
                    }
                }
            }
        }
        // A group is deleted after its members' new memberships and bindings are in place.
        if let Address::Group(group) = &d.address {
            let members = hints.group_members.get(group);
            for (j, e) in drafts.iter().enumerate() {
                let gains = e.kind == StepKind::Create
                    && matches!(edge_subject(&e.address), Some(Subject::User(u))
                        if members.is_some_and(|m| m.contains(&u)));
                if gains {
                    safety.push((i, j));
                }
            }
        }
    }
    // Between delegation domains the old binding goes first (above), so the move is guarded by
    // what the new side needs instead: the authority is cleared (and with it the old domain
    // left) only once the new domain is created or updated.
    for m in &moves {
        let (Some(to), Some(undelegate)) = (
            &m.to,
            find(&Address::User(m.user.clone()), StepKind::Undelegate),
        ) else {
            continue;
        };
        let domain = Address::AdDomain(to.clone());
        for kind in [StepKind::Create, StepKind::Update] {
            if let Some(j) = find(&domain, kind) {
                safety.push((undelegate, j));
            }
        }
    }
    for (later, earlier) in safety {
        if later != earlier && !waits(&needs, earlier, later) {
            needs[later].insert(earlier);
        }
    }

    topological(drafts, needs)
}

/// Whether draft `later` already waits for draft `earlier`, directly or through others.
fn waits(needs: &[BTreeSet<usize>], later: usize, earlier: usize) -> bool {
    let mut stack = vec![later];
    let mut seen = BTreeSet::new();
    while let Some(s) = stack.pop() {
        if s == earlier {
            return true;
        }
        if seen.insert(s) {
            stack.extend(needs[s].iter().copied());
        }
    }
    false
}

/// The user or group an edge gives access to (a membership's user, a binding's subject).
fn edge_subject(address: &Address) -> Option<Subject> {
    match address {
        Address::Membership(_, u) => Some(Subject::User(u.clone())),
        Address::Binding(b) => Some(b.subject.clone()),
        _ => None,
    }
}

/// The objects an edge address names (empty for objects).
fn ends(address: &Address) -> Vec<Address> {
    match address {
        Address::Membership(group, user) => {
            vec![Address::Group(group.clone()), Address::User(user.clone())]
        }
        Address::Binding(b) => {
            let directory = b.directory.address();
            let subject = match &b.subject {
                Subject::User(k) => Address::User(k.clone()),
                Subject::Group(k) => Address::Group(k.clone()),
            };
            vec![directory, subject]
        }
        _ => Vec::new(),
    }
}

/// `(domain key, subject)` of a binding to an AD domain.
fn ad_binding(address: &Address) -> Option<(&String, &Subject)> {
    match address {
        Address::Binding(b) => match &b.directory {
            Directory::AdDomain(d) => Some((d, &b.subject)),
            Directory::M365Tenant(_) | Directory::SsoApp(_) => None,
        },
        _ => None,
    }
}

fn as_map(value: &Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    }
}

/// One change as drafts; user changes with a delegated authority become two or three.
fn expand(i: usize, change: &crate::plan::Change, drafts: &mut Vec<Draft>, moves: &mut Vec<Move>) {
    let draft = |kind: StepKind, fields: Map<String, Value>| Draft {
        address: change.address.clone(),
        kind,
        change: i,
        fields,
    };
    let after = as_map(&change.after);
    match change.action {
        Action::Delete => drafts.push(draft(StepKind::Delete, Map::new())),
        Action::Create | Action::Replace | Action::Update => {
            if change.action == Action::Replace {
                drafts.push(draft(StepKind::Delete, Map::new()));
            }
            let Address::User(user) = &change.address else {
                let kind = if change.action == Action::Update {
                    StepKind::Update
                } else {
                    StepKind::Create
                };
                drafts.push(draft(kind, after));
                return;
            };
            let creates = change.action != Action::Update;
            let mut fields = after;
            let authority = fields
                .remove(DELEGATED_AUTHORITY)
                .and_then(|v| authority_value(&v));
            let (from, from_known) = if creates {
                (None, true)
            } else {
                match change
                    .before
                    .get(DELEGATED_AUTHORITY)
                    .and_then(authority_value)
                {
                    Some(from) => (from, true),
                    None => (None, false),
                }
            };
            let mut undelegate = Map::new();
            let mut delegate = Map::new();
            if let Some(to) = &authority {
                // An unknown `before` counts as none: clearing an authority that may not be set
                // would leave a user without a password unable to log in for a moment.
                let leaving = !creates && from.is_some() && from != *to;
                if leaving || (!creates && to.is_none()) {
                    undelegate.insert(DELEGATED_AUTHORITY.into(), Value::String("none".into()));
                    // The password goes with the clear: set first, so no moment without one.
                    if let Some(p) = fields.remove(INITIAL_PASSWORD) {
                        undelegate.insert(INITIAL_PASSWORD.into(), p);
                    }
                }
                if let Some(to) = to {
                    delegate.insert(DELEGATED_AUTHORITY.into(), Value::String(to.clone()));
                    // Active Directory as password authority names the domain: set it once
                    // the user delegates to it (the domain may be created by this plan).
                    if let Some(p) = fields.remove(PASSWORD_AUTHORITY) {
                        delegate.insert(PASSWORD_AUTHORITY.into(), p);
                    }
                }
                moves.push(Move {
                    user: user.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    from_known,
                });
            }
            if creates {
                drafts.push(draft(StepKind::Create, fields));
            } else if !fields.is_empty() {
                drafts.push(draft(StepKind::Update, fields));
            }
            if !undelegate.is_empty() {
                drafts.push(draft(StepKind::Undelegate, undelegate));
            }
            if !delegate.is_empty() {
                drafts.push(draft(StepKind::Delegate, delegate));
            }
        }
    }
}

/// Kahn's algorithm; among ready steps the smallest (address, kind) first, so the same plan
/// always gives the same schedule.
fn topological(drafts: Vec<Draft>, needs: Vec<BTreeSet<usize>>) -> Result<Schedule, OrderError> {
    let mut remaining: Vec<usize> = needs.iter().map(BTreeSet::len).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); drafts.len()];
    for (i, n) in needs.iter().enumerate() {
        for &e in n {
            dependents[e].push(i);
        }
    }
    let key = |i: usize| (drafts[i].address.clone(), drafts[i].kind, i);
    let mut ready: BTreeSet<(Address, StepKind, usize)> = (0..drafts.len())
        .filter(|&i| remaining[i] == 0)
        .map(key)
        .collect();
    let mut order: Vec<usize> = Vec::with_capacity(drafts.len());
    while let Some((_, _, i)) = ready.pop_first() {
        order.push(i);
        for &d in &dependents[i] {
            remaining[d] -= 1;
            if remaining[d] == 0 {
                ready.insert(key(d));
            }
        }
    }
    if order.len() != drafts.len() {
        let placed: BTreeSet<usize> = order.iter().copied().collect();
        let cycle = (0..drafts.len())
            .filter(|i| !placed.contains(i))
            .map(|i| format!("{} {}", drafts[i].address, drafts[i].kind.name()))
            .collect();
        return Err(OrderError(cycle));
    }
    let mut new_id = vec![0usize; drafts.len()];
    for (pos, &i) in order.iter().enumerate() {
        new_id[i] = pos;
    }
    let mut slots: Vec<Option<Draft>> = drafts.into_iter().map(Some).collect();
    let steps = order
        .iter()
        .enumerate()
        .filter_map(|(pos, &i)| {
            let d = slots[i].take()?;
            let mut n: Vec<usize> = needs[i].iter().map(|&e| new_id[e]).collect();
            n.sort_unstable();
            Some(Step {
                id: pos,
                address: d.address,
                kind: d.kind,
                change: d.change,
                fields: d.fields,
                needs: n,
            })
        })
        .collect();
    Ok(Schedule { steps })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::model::Binding;
    use crate::plan::Change;

    fn change(address: Address, action: Action, before: Value, after: Value) -> Change {
        Change {
            address,
            action,
            reason: String::new(),
            before,
            after,
            remote_ids: BTreeMap::new(),
        }
    }

    fn user(k: &str) -> Address {
        Address::User(k.into())
    }

    fn ad_bind(domain: &str, user: &str) -> Address {
        Address::Binding(Binding {
            directory: Directory::AdDomain(domain.into()),
            subject: Subject::User(user.into()),
        })
    }

    fn member(group: &str, user: &str) -> Address {
        Address::Membership(group.into(), user.into())
    }

    fn plan(mut changes: Vec<Change>) -> Plan {
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        Plan {
            changes,
            ..Plan::default()
        }
    }

    fn step(s: &Schedule, a: &Address, k: StepKind) -> usize {
        s.find(a, k)
            .unwrap_or_else(|| panic!("no step {a} {}", k.name()))
    }

    fn labels(s: &Schedule) -> Vec<String> {
        s.steps.iter().map(Step::label).collect()
    }

    fn delegation_hints() -> OrderHints {
        OrderHints {
            delegation_domains: ["a".to_string(), "b".to_string()].into(),
            ..Default::default()
        }
    }

    /// Issue "apply: execute plans in a lockout-safe order": a user moved from delegation domain
    /// A to B goes through "none" and is never bound to both.
    #[test]
    fn delegation_move_between_domains() {
        let p = plan(vec![
            change(
                user("alice"),
                Action::Update,
                json!({"delegated_authority": "a"}),
                json!({"delegated_authority": "b", "department": "Ops"}),
            ),
            change(
                ad_bind("a", "alice"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                ad_bind("b", "alice"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &delegation_hints()).expect("orders");
        let undelegate = step(&s, &user("alice"), StepKind::Undelegate);
        let unbind = step(&s, &ad_bind("a", "alice"), StepKind::Delete);
        let bind = step(&s, &ad_bind("b", "alice"), StepKind::Create);
        let delegate = step(&s, &user("alice"), StepKind::Delegate);
        let update = step(&s, &user("alice"), StepKind::Update);
        assert!(s.waits_for(unbind, undelegate));
        assert!(s.waits_for(bind, unbind), "never bound to both");
        assert!(s.waits_for(delegate, bind));
        // The profile update is independent of the move.
        assert!(!s.waits_for(update, undelegate) && !s.waits_for(delegate, update));
        assert_eq!(
            s.steps[update].fields,
            json!({"department": "Ops"})
                .as_object()
                .cloned()
                .unwrap_or_default()
        );
        assert_eq!(
            labels(&s),
            [
                "user.alice update",
                "user.alice undelegate",
                "binding.ad_domain.a.user.alice delete",
                "binding.ad_domain.b.user.alice create",
                "user.alice delegate",
            ]
        );
    }

    #[test]
    fn onto_delegation_binds_and_enables_first() {
        let p = plan(vec![
            change(
                Address::AdDomain("corp".into()),
                Action::Create,
                Value::Null,
                json!({"domain": "corp.example.com", "delegation": "enabled"}),
            ),
            change(
                user("bob"),
                Action::Create,
                Value::Null,
                json!({"email": "bob@example.com", "delegated_authority": "corp"}),
            ),
            change(
                ad_bind("corp", "bob"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        let create = step(&s, &user("bob"), StepKind::Create);
        let domain = step(&s, &Address::AdDomain("corp".into()), StepKind::Create);
        let bind = step(&s, &ad_bind("corp", "bob"), StepKind::Create);
        let delegate = step(&s, &user("bob"), StepKind::Delegate);
        assert!(s.waits_for(bind, create) && s.waits_for(bind, domain));
        assert!(s.waits_for(delegate, bind));
        assert!(!s.steps[create].fields.contains_key("delegated_authority"));
        assert!(s.find(&user("bob"), StepKind::Undelegate).is_none());
    }

    #[test]
    fn off_delegation_sets_password_and_clears_before_unbinding_and_disabling() {
        let p = plan(vec![
            change(
                Address::AdDomain("corp".into()),
                Action::Update,
                json!({"delegation": "enabled"}),
                json!({"delegation": "disabled"}),
            ),
            change(
                user("carol"),
                Action::Update,
                json!({"delegated_authority": "corp"}),
                json!({"delegated_authority": "none", "initial_password": "(set)"}),
            ),
            change(
                ad_bind("corp", "carol"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        let undelegate = step(&s, &user("carol"), StepKind::Undelegate);
        assert!(s.waits_for(
            step(&s, &ad_bind("corp", "carol"), StepKind::Delete),
            undelegate
        ));
        assert!(s.waits_for(
            step(&s, &Address::AdDomain("corp".into()), StepKind::Update),
            undelegate
        ));
        // The password travels with the clear, not as a separate profile update.
        assert!(s.steps[undelegate].fields.contains_key("initial_password"));
        assert!(s.find(&user("carol"), StepKind::Update).is_none());
        assert!(s.find(&user("carol"), StepKind::Delegate).is_none());
    }

    /// Issue 16: replacing the group assigned to an SSO app adds the new one first.
    #[test]
    fn sso_app_group_replace_adds_before_removing() {
        let assign = |g: &str| {
            Address::Binding(Binding {
                directory: Directory::SsoApp("m365".into()),
                subject: Subject::Group(g.into()),
            })
        };
        let s = schedule(
            &plan(vec![
                change(assign("old"), Action::Delete, json!({}), Value::Null),
                change(assign("new"), Action::Create, Value::Null, json!({})),
            ]),
            &OrderHints::default(),
        )
        .unwrap();
        let add = step(&s, &assign("new"), StepKind::Create);
        let remove = step(&s, &assign("old"), StepKind::Delete);
        assert!(s.waits_for(remove, add), "{:?}", labels(&s));
    }

    #[test]
    fn membership_replace_adds_before_removing() {
        let p = plan(vec![
            change(
                member("eng", "alice"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                member("eng", "bob"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                member("eng", "zoe"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
            change(
                member("ops", "alice"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        let add = step(&s, &member("eng", "zoe"), StepKind::Create);
        for old in ["alice", "bob"] {
            assert!(s.waits_for(step(&s, &member("eng", old), StepKind::Delete), add));
        }
        // Another group's removal does not wait.
        assert!(s.steps[step(&s, &member("ops", "alice"), StepKind::Delete)]
            .needs
            .is_empty());
    }

    #[test]
    fn deletes_run_in_reverse_dependency_order() {
        let p = plan(vec![
            change(user("dave"), Action::Delete, Value::Null, Value::Null),
            change(
                Address::Group("old".into()),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                Address::AdDomain("legacy".into()),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                member("old", "dave"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                ad_bind("legacy", "dave"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        let dave = step(&s, &user("dave"), StepKind::Delete);
        let group = step(&s, &Address::Group("old".into()), StepKind::Delete);
        let domain = step(&s, &Address::AdDomain("legacy".into()), StepKind::Delete);
        let m = step(&s, &member("old", "dave"), StepKind::Delete);
        let b = step(&s, &ad_bind("legacy", "dave"), StepKind::Delete);
        assert!(s.waits_for(dave, m) && s.waits_for(dave, b));
        assert!(s.waits_for(group, m) && s.waits_for(domain, b));
        assert!(
            s.waits_for(domain, dave),
            "users before the domain they may delegate to"
        );
        assert!(!s.waits_for(m, b) && !s.waits_for(b, m));
    }

    #[test]
    fn creates_follow_their_ends_and_replace_deletes_first() {
        let p = plan(vec![
            change(
                user("erin"),
                Action::Create,
                Value::Null,
                json!({"email": "e@x.io"}),
            ),
            change(
                Address::Group("eng".into()),
                Action::Replace,
                json!({}),
                json!({"description": "E"}),
            ),
            change(
                member("eng", "erin"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        let g_del = step(&s, &Address::Group("eng".into()), StepKind::Delete);
        let g_new = step(&s, &Address::Group("eng".into()), StepKind::Create);
        let m = step(&s, &member("eng", "erin"), StepKind::Create);
        assert!(s.waits_for(g_new, g_del));
        assert!(s.waits_for(m, g_new) && s.waits_for(m, step(&s, &user("erin"), StepKind::Create)));
        // Every dependency points backwards: the schedule is a valid sequential order too.
        assert!(s.steps.iter().all(|st| st.needs.iter().all(|&n| n < st.id)));
    }

    #[test]
    fn subject_moved_between_delegation_domains_is_unbound_first() {
        let group_bind = |d: &str| {
            Address::Binding(Binding {
                directory: Directory::AdDomain(d.into()),
                subject: Subject::Group("eng".into()),
            })
        };
        let p = plan(vec![
            change(group_bind("a"), Action::Delete, Value::Null, Value::Null),
            change(group_bind("b"), Action::Create, Value::Null, Value::Null),
        ]);
        let s = schedule(&p, &delegation_hints()).expect("orders");
        assert!(s.waits_for(
            step(&s, &group_bind("b"), StepKind::Create),
            step(&s, &group_bind("a"), StepKind::Delete)
        ));
        // Without delegation on both, the safe order is the other way round: the new binding
        // first, and the old one removed only once it is in place (issue 10: a failed bind
        // keeps the old one).
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        assert!(s.waits_for(
            step(&s, &group_bind("a"), StepKind::Delete),
            step(&s, &group_bind("b"), StepKind::Create)
        ));
    }

    /// Issue 10 (failure propagation): a removal waits for what replaces it, so a failed add
    /// or bind keeps the old edge.
    #[test]
    fn removals_wait_for_the_additions_that_replace_them() {
        let p = plan(vec![
            change(
                member("sales", "bob"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                member("eng", "bob"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
            change(
                member("eng", "carol"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        let remove = step(&s, &member("sales", "bob"), StepKind::Delete);
        assert!(s.waits_for(remove, step(&s, &member("eng", "bob"), StepKind::Create)));
        // Another user's edge is not what replaces bob's.
        assert!(!s.waits_for(remove, step(&s, &member("eng", "carol"), StepKind::Create)));
    }

    /// A group deleted while its members move elsewhere goes only once they have arrived.
    #[test]
    fn a_group_is_deleted_after_its_members_new_edges() {
        let p = plan(vec![
            change(
                Address::Group("old".into()),
                Action::Delete,
                json!({}),
                Value::Null,
            ),
            change(
                member("new", "bob"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
            change(
                ad_bind("corp", "bob"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
            change(
                member("new", "zoe"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
        ]);
        let hints = OrderHints {
            group_members: [("old".to_string(), ["bob".to_string()].into())].into(),
            ..Default::default()
        };
        let s = schedule(&p, &hints).expect("orders");
        let delete = step(&s, &Address::Group("old".into()), StepKind::Delete);
        assert!(s.waits_for(delete, step(&s, &member("new", "bob"), StepKind::Create)));
        assert!(s.waits_for(delete, step(&s, &ad_bind("corp", "bob"), StepKind::Create)));
        assert!(!s.waits_for(delete, step(&s, &member("new", "zoe"), StepKind::Create)));
        // Without knowing the members, nothing to wait for.
        let s = schedule(&p, &OrderHints::default()).expect("orders");
        let delete = step(&s, &Address::Group("old".into()), StepKind::Delete);
        assert!(s.steps[delete].needs.is_empty());
    }

    /// Between delegation domains the old binding must go first (LCK001), so the move starts
    /// only once the new domain is created: a failed create leaves the user where they were.
    #[test]
    fn a_move_between_domains_waits_for_the_new_domain() {
        let p = plan(vec![
            change(
                Address::AdDomain("b".into()),
                Action::Create,
                Value::Null,
                json!({"domain": "b.example.com", "delegation": "enabled"}),
            ),
            change(
                user("alice"),
                Action::Update,
                json!({"delegated_authority": "a"}),
                json!({"delegated_authority": "b"}),
            ),
            change(
                ad_bind("a", "alice"),
                Action::Delete,
                Value::Null,
                Value::Null,
            ),
            change(
                ad_bind("b", "alice"),
                Action::Create,
                Value::Null,
                Value::Null,
            ),
        ]);
        let s = schedule(&p, &delegation_hints()).expect("orders");
        let domain = step(&s, &Address::AdDomain("b".into()), StepKind::Create);
        let undelegate = step(&s, &user("alice"), StepKind::Undelegate);
        let unbind = step(&s, &ad_bind("a", "alice"), StepKind::Delete);
        let bind = step(&s, &ad_bind("b", "alice"), StepKind::Create);
        assert!(s.waits_for(undelegate, domain) && s.waits_for(unbind, domain));
        assert!(s.waits_for(bind, unbind), "still never bound to both");
    }

    /// Two users swapping delegation domains while both domains change: the safety edges must
    /// not make the schedule circular.
    #[test]
    fn opposite_moves_still_order() {
        let mut changes = Vec::new();
        for (u, from, to) in [("alice", "a", "b"), ("bob", "b", "a")] {
            changes.push(change(
                user(u),
                Action::Update,
                json!({"delegated_authority": from}),
                json!({"delegated_authority": to}),
            ));
            changes.push(change(
                ad_bind(from, u),
                Action::Delete,
                Value::Null,
                Value::Null,
            ));
            changes.push(change(
                ad_bind(to, u),
                Action::Create,
                Value::Null,
                Value::Null,
            ));
        }
        for d in ["a", "b"] {
            changes.push(change(
                Address::AdDomain(d.into()),
                Action::Update,
                json!({"use_case": "two_way_sync"}),
                json!({"use_case": "jc_as_authority"}),
            ));
        }
        let s = schedule(&plan(changes), &delegation_hints()).expect("no cycle");
        assert!(s.steps.iter().all(|st| st.needs.iter().all(|&n| n < st.id)));
    }
}
