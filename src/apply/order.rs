//! Turns a `Plan` into its apply graph ([`apply_graph`]): the steps `execute` runs and, for each,
//! the steps that must be done first, every edge added by a named rule ([`EdgeRule`], one small
//! function each). [`schedule`] is a topological order of exactly that graph, and
//! `jcform graph --plan` draws it. Pure data, so the order can be tested without a server.
//!
//! Why these edges (see design/LOCKOUT-RULES.md, "Order of changes that avoids a transient
//! lockout"):
//! - Creates follow what they reference (a membership after its user and group, a binding after
//!   its directory and subject: `crate::graph::references`, the one definition the config
//!   graph draws too); deletes run in reverse (edges first,
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

use crate::plan::fields::{Authority, Field, Side, UserFields};
use serde::Serialize;

use crate::model::live::LiveState;
use crate::model::{Address, Delegation, Directory, Model, Subject};
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
    /// The fields this step writes (a part of the change's `after`; absent for deletes).
    pub fields: Side,
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

impl OrderHints {
    /// The hints for planning `model` against `live`: domains with delegation enabled in the
    /// files or the org (by config key, the live domain name for one the files leave out), and
    /// each live group's direct members by username. `apply`, `graph --plan` and the tests all
    /// take them from here.
    pub fn of_org(model: &Model, live: &LiveState) -> OrderHints {
        OrderHints::of_org_keyed(model, live, &crate::plan::keys::Keys::new(model, live))
    }

    /// [`OrderHints::of_org`] under the identity mapping the plan was made with (`Keys`, as
    /// `diff_keyed` returns it): live objects are named by their config keys, so a group or
    /// domain whose key differs from its live name in letter case is still recognised.
    pub fn of_org_keyed(
        model: &Model,
        live: &LiveState,
        keys: &crate::plan::keys::Keys,
    ) -> OrderHints {
        let mut delegation_domains: std::collections::BTreeSet<String> = model
            .ad_domains
            .iter()
            .filter(|(_, d)| d.delegation == Some(Delegation::Enabled))
            .map(|(k, _)| k.clone())
            .collect();
        for (id, ad) in &live.ad_domains {
            if ad.delegation == Delegation::Enabled {
                let key = keys.ad_domains.key(id).unwrap_or(&ad.domain);
                delegation_domains.insert(key.to_string());
            }
        }
        // Live members by group key, so a group is deleted only after its members' new
        // memberships and bindings are in place.
        let group_members = live
            .groups
            .keys()
            .filter_map(|id| {
                let key = keys.groups.key(id)?;
                let members = keys
                    .live_members(id)
                    .iter()
                    .map(|m| m.to_string())
                    .collect();
                Some((key.to_string(), members))
            })
            .collect();
        OrderHints {
            delegation_domains,
            group_members,
        }
    }
}

/// The plan's steps would have to wait for each other in a circle (a bug in the rules above or
/// a plan that contradicts itself). Nothing is executed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the changes cannot be ordered: a cycle through {}", .0.join(", "))]
pub struct OrderError(pub Vec<String>);

/// A step before ids are assigned.
#[derive(Debug)]
struct Draft {
    address: Address,
    kind: StepKind,
    change: usize,
    fields: Side,
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

/// The plan's steps in a lockout-safe order: a topological order of [`apply_graph`], exactly.
pub fn schedule(plan: &Plan, hints: &OrderHints) -> Result<Schedule, OrderError> {
    apply_graph(plan, hints).schedule()
}

/// A rule that makes one step wait for another. Each is a function below with its own doc;
/// `jcform graph --plan` labels every edge with the rule's [`EdgeRule::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeRule {
    /// [`references_first`].
    References,
    /// [`deletes_reversed`].
    DeletesReversed,
    /// [`domain_outlives_deleted_users`].
    DomainOutlivesUsers,
    /// [`members_added_before_removed`].
    MembersAddedFirst,
    /// [`old_delegation_domain_unbound_first`].
    OldDelegationDomainFirst,
    /// [`delegate_once_reachable`].
    DelegateOnceReachable,
    /// [`undelegate_before_leaving`].
    UndelegateBeforeLeaving,
    /// [`removal_after_replacement`] (only where it closes no cycle).
    RemovalAfterReplacement,
    /// [`group_outlives_members_moves`] (only where it closes no cycle).
    GroupOutlivesMoves,
    /// [`undelegate_once_new_domain_ready`] (only where it closes no cycle).
    NewDomainReadyFirst,
    /// [`directory_access_replaced_first`] (only where it closes no cycle).
    DirectoryAccessReplacedFirst,
}

impl EdgeRule {
    /// The rule's name in DOT output and messages: `references`, `members-added-first`, ...
    pub fn name(self) -> &'static str {
        match self {
            EdgeRule::References => "references",
            EdgeRule::DeletesReversed => "deletes-reversed",
            EdgeRule::DomainOutlivesUsers => "domain-outlives-users",
            EdgeRule::MembersAddedFirst => "members-added-first",
            EdgeRule::OldDelegationDomainFirst => "old-delegation-domain-first",
            EdgeRule::DelegateOnceReachable => "delegate-once-reachable",
            EdgeRule::UndelegateBeforeLeaving => "undelegate-before-leaving",
            EdgeRule::RemovalAfterReplacement => "removal-after-replacement",
            EdgeRule::GroupOutlivesMoves => "group-outlives-moves",
            EdgeRule::NewDomainReadyFirst => "new-domain-ready-first",
            EdgeRule::DirectoryAccessReplacedFirst => "directory-access-replaced-first",
        }
    }
}

/// The lockout rules: every edge they add is kept ("Order of changes that avoids a transient
/// lockout" in the lockout catalogue).
const LOCKOUT_RULES: &[fn(&mut Builder)] = &[
    references_first,
    deletes_reversed,
    domain_outlives_deleted_users,
    members_added_before_removed,
    old_delegation_domain_unbound_first,
    delegate_once_reachable,
    undelegate_before_leaving,
];

/// The safety rules: a removal waits for what replaces it, so a failed step never leaves
/// someone with less access than both the old and the new state give. Their edges are added
/// after the lockout rules' and only where they close no cycle: the lockout rules win.
const SAFETY_RULES: &[fn(&mut Builder)] = &[
    removal_after_replacement,
    group_outlives_members_moves,
    undelegate_once_new_domain_ready,
    directory_access_replaced_first,
];

/// The apply graph of a plan: one node per step, and an edge from a step to each step it waits
/// for, labelled with the [`EdgeRule`] that added it. `schedule` runs a topological order of
/// it; `jcform graph --plan` draws it.
#[derive(Debug)]
pub struct ApplyGraph {
    drafts: Vec<Draft>,
    /// `needs[i]`: the drafts draft `i` waits for, with the first rule that said so.
    needs: Vec<BTreeMap<usize, EdgeRule>>,
}

/// Builds the apply graph: the plan's changes split into steps, then every rule in
/// [`LOCKOUT_RULES`] and [`SAFETY_RULES`] adds its edges.
pub fn apply_graph(plan: &Plan, hints: &OrderHints) -> ApplyGraph {
    let mut drafts: Vec<Draft> = Vec::new();
    let mut moves: Vec<Move> = Vec::new();
    for (i, change) in plan.changes.iter().enumerate() {
        expand(i, change, &mut drafts, &mut moves);
    }
    let mut b = Builder::new(&drafts, &moves, hints);
    for rule in LOCKOUT_RULES {
        rule(&mut b);
    }
    b.soft = true;
    for rule in SAFETY_RULES {
        rule(&mut b);
    }
    let needs = b.needs;
    ApplyGraph { drafts, needs }
}

impl ApplyGraph {
    /// Kahn's algorithm; among ready steps the smallest (address, kind) first, so the same plan
    /// always gives the same schedule. `Err` names the steps on a cycle.
    pub fn schedule(self) -> Result<Schedule, OrderError> {
        let needs = self
            .needs
            .iter()
            .map(|n| n.keys().copied().collect())
            .collect();
        topological(self.drafts, needs)
    }

    /// Graphviz DOT: a node per step (`user.alice create`), an edge from each step to each step
    /// it waits for, labelled with the rule (as Terraform draws dependencies).
    pub fn to_dot(&self) -> String {
        use std::fmt::Write as _;
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let label = |d: &Draft| format!("{} {}", d.address, d.kind.name());
        let mut order: Vec<usize> = (0..self.drafts.len()).collect();
        order.sort_by(|a, b| {
            let (x, y) = (&self.drafts[*a], &self.drafts[*b]);
            (&x.address, x.kind).cmp(&(&y.address, y.kind))
        });
        let mut out = String::from(
            "digraph jcform_apply {\n    rankdir = \"RL\";\n    node [shape = box, fontname = \"Helvetica\"];\n",
        );
        for &i in &order {
            let l = quote(&label(&self.drafts[i]));
            let _ = writeln!(out, "    {l} [label = {l}];");
        }
        for &i in &order {
            let mut edges: Vec<(String, EdgeRule)> = self.needs[i]
                .iter()
                .map(|(e, r)| (label(&self.drafts[*e]), *r))
                .collect();
            edges.sort();
            for (to, rule) in edges {
                let _ = writeln!(
                    out,
                    "    {} -> {} [label = {}];",
                    quote(&label(&self.drafts[i])),
                    quote(&to),
                    quote(rule.name())
                );
            }
        }
        out.push_str("}\n");
        out
    }

    /// Every edge as `(step waiting, step waited for, rule)`, by step label.
    pub fn edges(&self) -> Vec<(String, String, EdgeRule)> {
        let label = |d: &Draft| format!("{} {}", d.address, d.kind.name());
        let mut out: Vec<(String, String, EdgeRule)> = self
            .needs
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.iter().map(move |(e, r)| (i, *e, *r)).collect::<Vec<_>>())
            .map(|(i, e, r)| (label(&self.drafts[i]), label(&self.drafts[e]), r))
            .collect();
        out.sort();
        out
    }
}

/// What the rules read and the edges they add.
struct Builder<'a> {
    drafts: &'a [Draft],
    moves: &'a [Move],
    hints: &'a OrderHints,
    by_key: BTreeMap<(Address, StepKind), usize>,
    needs: Vec<BTreeMap<usize, EdgeRule>>,
    /// Safety rules: an edge that would close a cycle is left out.
    soft: bool,
}

impl<'a> Builder<'a> {
    fn new(drafts: &'a [Draft], moves: &'a [Move], hints: &'a OrderHints) -> Builder<'a> {
        let by_key = drafts
            .iter()
            .enumerate()
            .map(|(i, d)| ((d.address.clone(), d.kind), i))
            .collect();
        Builder {
            drafts,
            moves,
            hints,
            by_key,
            needs: vec![BTreeMap::new(); drafts.len()],
            soft: false,
        }
    }

    fn find(&self, address: &Address, kind: StepKind) -> Option<usize> {
        self.by_key.get(&(address.clone(), kind)).copied()
    }

    /// Step `later` waits for step `earlier` (either absent: nothing to order).
    fn wait(&mut self, later: Option<usize>, earlier: Option<usize>, rule: EdgeRule) {
        let (Some(l), Some(e)) = (later, earlier) else {
            return;
        };
        if l == e || (self.soft && waits(&self.needs, e, l)) {
            return;
        }
        self.needs[l].entry(e).or_insert(rule);
    }

    /// Indexes of the drafts of `kind` that satisfy `pred`.
    fn steps(&self, kind: StepKind, pred: impl Fn(&Address) -> bool) -> Vec<usize> {
        self.drafts
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == kind && pred(&d.address))
            .map(|(i, _)| i)
            .collect()
    }
}

/// A create follows the creates of what it references (a membership its user and group, a
/// binding its directory and subject: [`crate::graph::references`]), and a replace's create
/// follows its own delete.
fn references_first(b: &mut Builder) {
    for i in b.steps(StepKind::Create, |_| true) {
        let a = b.drafts[i].address.clone();
        b.wait(Some(i), b.find(&a, StepKind::Delete), EdgeRule::References);
        for end in crate::graph::references(&a, None) {
            b.wait(
                Some(i),
                b.find(&end, StepKind::Create),
                EdgeRule::References,
            );
        }
    }
}

/// Deletes run in reverse: an object is deleted after the edges that name it.
fn deletes_reversed(b: &mut Builder) {
    for j in b.steps(StepKind::Delete, |a| {
        !crate::graph::references(a, None).is_empty()
    }) {
        let edge = b.drafts[j].address.clone();
        for end in crate::graph::references(&edge, None) {
            b.wait(
                b.find(&end, StepKind::Delete),
                Some(j),
                EdgeRule::DeletesReversed,
            );
        }
    }
}

/// A user may delegate to an AD domain: a domain is deleted only after the users being
/// deleted, so no remaining user points at a missing domain.
fn domain_outlives_deleted_users(b: &mut Builder) {
    let users = b.steps(StepKind::Delete, |a| matches!(a, Address::User(_)));
    for i in b.steps(StepKind::Delete, |a| matches!(a, Address::AdDomain(_))) {
        for &j in &users {
            b.wait(Some(i), Some(j), EdgeRule::DomainOutlivesUsers);
        }
    }
}

/// Replacing a group's members: within a group, every add before any remove, so nobody loses
/// access that both the old and the new member lists grant.
fn members_added_before_removed(b: &mut Builder) {
    let mut adds: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
    for (j, d) in b.drafts.iter().enumerate() {
        if let (Address::Membership(g, _), StepKind::Create) = (&d.address, d.kind) {
            adds.entry(g).or_default().push(j);
        }
    }
    for i in b.steps(StepKind::Delete, |a| matches!(a, Address::Membership(..))) {
        let Address::Membership(g, _) = &b.drafts[i].address else {
            continue;
        };
        for &j in adds.get(g).map(Vec::as_slice).unwrap_or_default() {
            b.wait(Some(i), Some(j), EdgeRule::MembersAddedFirst);
        }
    }
}

/// A subject moved between two delegation domains is unbound from the old before being bound
/// to the new, whoever's authority changes: never bound to two at once (LCK001 mid-apply).
fn old_delegation_domain_unbound_first(b: &mut Builder) {
    let delegating = &b.hints.delegation_domains;
    let mut unbinds: BTreeMap<&Subject, Vec<(usize, &String)>> = BTreeMap::new();
    for (j, d) in b.drafts.iter().enumerate() {
        if let (Some((from, subject)), StepKind::Delete) = (ad_binding(&d.address), d.kind) {
            if delegating.contains(from) {
                unbinds.entry(subject).or_default().push((j, from));
            }
        }
    }
    for (i, d) in b.drafts.iter().enumerate() {
        let Some((to, subject)) = ad_binding(&d.address) else {
            continue;
        };
        if d.kind != StepKind::Create || !delegating.contains(to) {
            continue;
        }
        for &(j, from) in unbinds.get(subject).map(Vec::as_slice).unwrap_or_default() {
            if from != to {
                b.needs[i]
                    .entry(j)
                    .or_insert(EdgeRule::OldDelegationDomainFirst);
            }
        }
    }
}

/// Onto a domain: the user exists, the domain exists with its delegation set, and the user
/// reaches it (their own binding, any group's binding to it, their new memberships) before the
/// authority points there; and after any clearing of the old authority.
fn delegate_once_reachable(b: &mut Builder) {
    for m in b.moves {
        let user = Address::User(m.user.clone());
        let delegate = b.find(&user, StepKind::Delegate);
        let rule = EdgeRule::DelegateOnceReachable;
        b.wait(delegate, b.find(&user, StepKind::Undelegate), rule);
        b.wait(delegate, b.find(&user, StepKind::Create), rule);
        let Some(to) = &m.to else { continue };
        for domain in crate::graph::references(&user, Some(to)) {
            b.wait(delegate, b.find(&domain, StepKind::Create), rule);
            b.wait(delegate, b.find(&domain, StepKind::Update), rule);
        }
        let reaching = b.steps(StepKind::Create, |a| match a {
            // The user's own binding, or any group's (the user may reach the domain through
            // it; waiting for one that doesn't only costs a little concurrency).
            Address::Binding(bd) if bd.directory == Directory::AdDomain(to.clone()) => {
                match &bd.subject {
                    Subject::User(u) => *u == m.user,
                    Subject::Group(_) => true,
                }
            }
            Address::Membership(_, u) => *u == m.user,
            _ => false,
        });
        for j in reaching {
            b.wait(delegate, Some(j), rule);
        }
    }
}

/// Off a domain: the authority is cleared (initial password first) before the user loses the
/// old domain in any way (unbind, membership removal, the domain changed or deleted); with the
/// old domain unknown, before every AD unbind of the user. Between domains the move goes
/// through "none": the new binding waits for the clear and for the old unbind.
fn undelegate_before_leaving(b: &mut Builder) {
    let rule = EdgeRule::UndelegateBeforeLeaving;
    for m in b.moves {
        let user = Address::User(m.user.clone());
        let Some(undelegate) = b.find(&user, StepKind::Undelegate) else {
            continue;
        };
        let leaving: Vec<usize> = b
            .drafts
            .iter()
            .enumerate()
            .filter(|(_, e)| match (&e.address, e.kind) {
                (Address::Binding(bd), StepKind::Delete) => match &bd.directory {
                    Directory::AdDomain(d) => {
                        let old = match (&m.from, m.from_known) {
                            (Some(from), _) => d == from,
                            (None, false) => true,
                            (None, true) => false,
                        };
                        old && (matches!(&bd.subject, Subject::User(u) if *u == m.user)
                            || matches!(bd.subject, Subject::Group(_)))
                    }
                    Directory::M365Tenant(_) | Directory::SsoApp(_) => false,
                },
                (Address::Membership(_, u), StepKind::Delete) => *u == m.user,
                (Address::AdDomain(d), StepKind::Update | StepKind::Delete) => {
                    m.from.as_ref() == Some(d)
                }
                _ => false,
            })
            .map(|(j, _)| j)
            .collect();
        for j in leaving {
            b.wait(Some(j), Some(undelegate), rule);
        }
        let Some(to) = &m.to else { continue };
        let bind = Address::Binding(crate::model::Binding {
            directory: Directory::AdDomain(to.clone()),
            subject: Subject::User(m.user.clone()),
        });
        let bind = b.find(&bind, StepKind::Create);
        b.wait(bind, Some(undelegate), rule);
        if let Some(from) = &m.from {
            let unbind = Address::Binding(crate::model::Binding {
                directory: Directory::AdDomain(from.clone()),
                subject: Subject::User(m.user.clone()),
            });
            b.wait(bind, b.find(&unbind, StepKind::Delete), rule);
        }
    }
}

/// A subject's edge removals wait for its edge additions (moved between groups or
/// directories: the add first; if it fails, the old edge stays).
fn removal_after_replacement(b: &mut Builder) {
    let mut adds: BTreeMap<Subject, Vec<usize>> = BTreeMap::new();
    for (j, e) in b.drafts.iter().enumerate() {
        if let (Some(s), StepKind::Create) = (edge_subject(&e.address), e.kind) {
            adds.entry(s).or_default().push(j);
        }
    }
    for i in b.steps(StepKind::Delete, |a| edge_subject(a).is_some()) {
        let Some(subject) = edge_subject(&b.drafts[i].address) else {
            continue;
        };
        for j in adds.get(&subject).cloned().unwrap_or_default() {
            b.wait(Some(i), Some(j), EdgeRule::RemovalAfterReplacement);
        }
    }
}

/// A directory's (or SSO app's) bindings: a removal waits for every binding the plan adds to
/// the same directory and for the memberships of the groups it newly binds, so users who move
/// from one bound group to another keep Microsoft 365, the app or the domain while they move
/// (LCK101 / LCK010 mid-apply); if a replacing step fails, the removal is skipped.
fn directory_access_replaced_first(b: &mut Builder) {
    let mut adds: BTreeMap<&Directory, Vec<usize>> = BTreeMap::new();
    let mut newly_bound: BTreeMap<&String, Vec<&Directory>> = BTreeMap::new();
    for (j, e) in b.drafts.iter().enumerate() {
        if let (Address::Binding(bd), StepKind::Create) = (&e.address, e.kind) {
            adds.entry(&bd.directory).or_default().push(j);
            if let Subject::Group(g) = &bd.subject {
                newly_bound.entry(g).or_default().push(&bd.directory);
            }
        }
    }
    for (j, e) in b.drafts.iter().enumerate() {
        if let (Address::Membership(g, _), StepKind::Create) = (&e.address, e.kind) {
            for dir in newly_bound.get(g).map(Vec::as_slice).unwrap_or_default() {
                adds.entry(dir).or_default().push(j);
            }
        }
    }
    for (i, d) in b.drafts.iter().enumerate() {
        let (Address::Binding(bd), StepKind::Delete) = (&d.address, d.kind) else {
            continue;
        };
        for &j in adds
            .get(&bd.directory)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            b.wait(Some(i), Some(j), EdgeRule::DirectoryAccessReplacedFirst);
        }
    }
}

/// A group is deleted after its (live) members' new memberships and bindings are in place, so
/// a failed move elsewhere keeps the old group and the access it gives.
fn group_outlives_members_moves(b: &mut Builder) {
    for i in b.steps(StepKind::Delete, |a| matches!(a, Address::Group(_))) {
        let Address::Group(group) = &b.drafts[i].address else {
            continue;
        };
        let Some(members) = b.hints.group_members.get(group) else {
            continue;
        };
        let gains = b.steps(
            StepKind::Create,
            |a| matches!(edge_subject(a), Some(Subject::User(u)) if members.contains(&u)),
        );
        for j in gains {
            b.wait(Some(i), Some(j), EdgeRule::GroupOutlivesMoves);
        }
    }
}

/// Between delegation domains the old binding goes first ([`old_delegation_domain_unbound_first`]),
/// so the move is guarded by what the new side needs instead: the authority is cleared (and
/// with it the old domain left) only once the new domain is created or updated.
fn undelegate_once_new_domain_ready(b: &mut Builder) {
    for m in b.moves {
        let (Some(to), Some(undelegate)) = (
            &m.to,
            b.find(&Address::User(m.user.clone()), StepKind::Undelegate),
        ) else {
            continue;
        };
        let domain = Address::AdDomain(to.clone());
        for kind in [StepKind::Create, StepKind::Update] {
            b.wait(
                Some(undelegate),
                b.find(&domain, kind),
                EdgeRule::NewDomainReadyFirst,
            );
        }
    }
}

/// Whether draft `later` already waits for draft `earlier`, directly or through others.
fn waits(needs: &[BTreeMap<usize, EdgeRule>], later: usize, earlier: usize) -> bool {
    let mut stack = vec![later];
    let mut seen = BTreeSet::new();
    while let Some(s) = stack.pop() {
        if s == earlier {
            return true;
        }
        if seen.insert(s) {
            stack.extend(needs[s].keys().copied());
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

/// What a `delegated_authority` field of a change says: `None` when the change does not set
/// it, `Some(None)` for none (`"none"` or `null`: JumpCloud checks the password),
/// `Some(Some(key))` for the AD domain with this config key.
fn authority(field: Field<Authority>) -> Option<Option<String>> {
    match field {
        Field::Omitted => None,
        Field::Null => Some(None),
        Field::Set(a) => Some(a.into_ad()),
    }
}

/// One change as drafts; user changes with a delegated authority become two or three.
fn expand(i: usize, change: &crate::plan::Change, drafts: &mut Vec<Draft>, moves: &mut Vec<Move>) {
    let draft = |kind: StepKind, fields: Side| Draft {
        address: change.address.clone(),
        kind,
        change: i,
        fields,
    };
    match change.action {
        Action::Delete => drafts.push(draft(StepKind::Delete, Side::Absent)),
        Action::Create | Action::Replace | Action::Update => {
            if change.action == Action::Replace {
                drafts.push(draft(StepKind::Delete, Side::Absent));
            }
            let Address::User(user) = &change.address else {
                let kind = if change.action == Action::Update {
                    StepKind::Update
                } else {
                    StepKind::Create
                };
                drafts.push(draft(kind, change.after.clone()));
                return;
            };
            let creates = change.action != Action::Update;
            let mut fields = change.after.user().cloned().unwrap_or_default();
            let to = authority(fields.delegated_authority.take());
            let (from, from_known) = if creates {
                (None, true)
            } else {
                let before = change
                    .before
                    .user()
                    .map(|b| b.delegated_authority.clone())
                    .unwrap_or_default();
                match authority(before) {
                    Some(from) => (from, true),
                    None => (None, false),
                }
            };
            let mut undelegate = None;
            let mut delegate = None;
            if let Some(to) = &to {
                // An unknown `before` counts as none: clearing an authority that may not be set
                // would leave a user without a password unable to log in for a moment.
                let leaving = !creates && from.is_some() && from != *to;
                if leaving || (!creates && to.is_none()) {
                    undelegate = Some(UserFields {
                        delegated_authority: Field::Set(Authority::None),
                        // The password goes with the clear: set first, so no moment without one.
                        initial_password: fields.initial_password.take(),
                        ..UserFields::default()
                    });
                }
                if let Some(to) = to {
                    delegate = Some(UserFields {
                        delegated_authority: Field::Set(Authority::Ad(to.clone())),
                        // Active Directory as password authority names the domain: set it once
                        // the user delegates to it (the domain may be created by this plan).
                        password_authority: fields.password_authority.take(),
                        ..UserFields::default()
                    });
                }
                moves.push(Move {
                    user: user.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    from_known,
                });
            }
            let fields = Side::from(fields);
            if creates {
                drafts.push(draft(StepKind::Create, fields));
            } else if !fields.is_empty() {
                drafts.push(draft(StepKind::Update, fields));
            }
            if let Some(undelegate) = undelegate {
                drafts.push(draft(StepKind::Undelegate, Side::from(undelegate)));
            }
            if let Some(delegate) = delegate {
                drafts.push(draft(StepKind::Delegate, Side::from(delegate)));
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

    use serde_json::{json, Value};

    use super::*;
    use crate::model::Binding;
    use crate::plan::Change;

    /// A change with sides as plan JSON; `{}` for an edge stands for its two ends.
    fn change(address: Address, action: Action, before: Value, after: Value) -> Change {
        let side = |v: Value| match Side::edge(&address) {
            Some(edge) if v == json!({}) => edge,
            _ => Side::from_json(&address, &v).expect("a plan side"),
        };
        Change {
            before: side(before),
            after: side(after),
            address: address.clone(),
            action,
            reason: String::new(),
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
            s.steps[update].fields.to_json(),
            json!({"department": "Ops"})
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
        assert!(s.steps[create]
            .fields
            .user()
            .is_some_and(|u| u.delegated_authority.is_omitted()));
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
        assert!(s.steps[undelegate]
            .fields
            .user()
            .is_some_and(|u| u.initial_password.is_present()));
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

    /// A domain is deleted after the users being deleted, and the graph names the rule.
    #[test]
    fn a_domain_outlives_the_users_deleted_with_it() {
        let p = plan(vec![
            change(user("alice"), Action::Delete, json!({}), Value::Null),
            change(
                Address::AdDomain("a".into()),
                Action::Delete,
                json!({}),
                Value::Null,
            ),
        ]);
        let g = apply_graph(&p, &OrderHints::default());
        assert_eq!(
            g.edges(),
            vec![(
                "ad_domain.a delete".to_string(),
                "user.alice delete".to_string(),
                EdgeRule::DomainOutlivesUsers
            )]
        );
        assert!(g.to_dot().contains(
            "\"ad_domain.a delete\" -> \"user.alice delete\" [label = \"domain-outlives-users\"];"
        ));
        let s = g.schedule().expect("orders");
        assert_eq!(labels(&s), vec!["user.alice delete", "ad_domain.a delete"]);
    }

    /// A safety edge that would close a cycle with a lockout edge is left out (the lockout
    /// rule wins), and the graph still orders.
    #[test]
    fn safety_edges_never_close_a_cycle() {
        // alice moves from delegation domain a to b: the lockout rule unbinds a first; the
        // safety rule (removal after replacement) would want the opposite.
        let p = plan(vec![
            change(
                ad_bind("a", "alice"),
                Action::Delete,
                json!({}),
                Value::Null,
            ),
            change(
                ad_bind("b", "alice"),
                Action::Create,
                Value::Null,
                json!({}),
            ),
        ]);
        let g = apply_graph(&p, &delegation_hints());
        let rules: Vec<EdgeRule> = g.edges().into_iter().map(|(_, _, r)| r).collect();
        assert_eq!(rules, vec![EdgeRule::OldDelegationDomainFirst]);
        assert!(g.schedule().is_ok());
    }

    /// The reviewer's case: an app's groups change from [engineering] to [all]; the old
    /// assignment is removed only after the new group's members are in it, so a failed
    /// membership keeps the old assignment (and everyone's sign-in). Same for a tenant.
    #[test]
    fn a_binding_is_removed_after_the_replacing_group_is_filled() {
        for dir in [
            Directory::SsoApp("m365".into()),
            Directory::M365Tenant("contoso".into()),
        ] {
            let bind = |g: &str| {
                Address::Binding(Binding {
                    directory: dir.clone(),
                    subject: Subject::Group(g.into()),
                })
            };
            let p = plan(vec![
                change(bind("engineering"), Action::Delete, json!({}), Value::Null),
                change(bind("all"), Action::Create, Value::Null, json!({})),
                change(
                    Address::Group("all".into()),
                    Action::Create,
                    Value::Null,
                    json!({}),
                ),
                change(
                    member("all", "alice"),
                    Action::Create,
                    Value::Null,
                    json!({}),
                ),
            ]);
            let s = schedule(&p, &OrderHints::default()).unwrap();
            let remove = step(&s, &bind("engineering"), StepKind::Delete);
            let fill = step(&s, &member("all", "alice"), StepKind::Create);
            assert!(s.waits_for(remove, fill), "{dir:?}: {:?}", labels(&s));
        }
    }
}
