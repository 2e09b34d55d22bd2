//! Runs a `Schedule` against an org through a `jumpcloud::Client`.
//!
//! - Concurrency: a step starts once every step it needs is done; at most `parallelism` steps
//!   run at once, and all their requests share the client's limiter.
//! - Failure: a failed step does not stop independent ones. Steps that need it (directly or
//!   through another) are skipped with "skipped: depends on failed step ..." naming the failed
//!   step(s) at the root, in the output, the report (`depends_on`) and the journal; the apply
//!   then exits 1. `order` makes removals depend on what replaces them, so a failed create or
//!   bind also stops the delete or unbind whose safety rested on it.
//! - Concurrent changes: every update first reads the object (one GET) and fails, writing
//!   nothing, when a field it writes no longer holds what the plan read (`precondition`).
//! - Unmanaged fields: a full-replace update (`PUT /usergroups/{id}`) sends the object just read
//!   back with only the managed fields changed; partial updates send only managed fields.
//! - Safe repeats: every write may be sent again, by the client's retries or by the next apply
//!   after an interruption, and ends in the same state:
//!   - PUT/PATCH set fields to given values; activate/suspend and set-password set a state.
//!   - Adding an edge that exists (409, or the API's own "already converged" answer) and removing
//!     one that is gone (404) count as done: the edge is as asked.
//!   - Deleting an object that is gone (404) counts as done.
//!   - Creates are the one write that is not idempotent. When the answer is lost
//!     (`ApiError::Ambiguous`, a transport error) or the name is taken (409), the object is
//!     looked up by its natural key (username, group name, AD domain); found = done, adopted with
//!     its remote id. So an interrupted apply never creates a duplicate on the next run.
//! - Read-after-write: every object created or updated is read back and compared with what the
//!   step asked for; a difference fails the step with the field named.
//! - Secrets: initial passwords are resolved from the model's `SecretSource` only here, right
//!   before the request, and never put in a result, an event or an error message.

mod directories;
mod edges;
mod fields;
mod groups;
mod ids;
mod sso_apps;
mod tenants;
mod users;

use fields::*;
use ids::*;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use serde::Serialize;
use serde_json::{json, Value};

use super::order::{Schedule, Step, StepKind};
use super::precondition;
use crate::jumpcloud::wire::{ActiveDirectory, SystemUser, UserGroup};
use crate::jumpcloud::{convert, writes};
use crate::jumpcloud::{ApiError, Client, Fetched, Op};
use crate::model::live::LiveState;
use crate::model::{
    ad_domain_to_dn, normalize_ad_domain, AdDomain, Address, Directory, M365Tenant, Model,
    PasswordAuthorityDecl, Subject, UserAttrs, UserState, USER_TEXT_FIELDS,
};
use crate::plan::fields::{
    AdDomainFields, Authority, Field, GroupFields, Side, SsoAppFields, TenantFields, UserFields,
};
use crate::plan::{Action, Plan};

#[derive(Debug, Clone)]
pub struct ExecuteOptions {
    /// Steps in flight at once (at least 1).
    pub parallelism: usize,
}

impl Default for ExecuteOptions {
    fn default() -> Self {
        ExecuteOptions { parallelism: 8 }
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Done,
    Failed,
    Skipped,
}

impl Outcome {
    /// ✓ ✗ - as the progress lines show it.
    pub fn mark(self) -> &'static str {
        match self {
            Outcome::Done => "✓",
            Outcome::Failed => "✗",
            Outcome::Skipped => "-",
        }
    }
}

/// One step's result. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepResult {
    pub step: usize,
    pub address: Address,
    pub kind: StepKind,
    /// The action of the change the step belongs to.
    pub action: Action,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    pub duration_ms: u64,
    /// Why it failed or was skipped, or a note on a done step ("already existed").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For a skipped step: the failed steps (ids) it depends on, directly or through skipped
    /// ones. Empty otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<usize>,
}

/// What happened, in schedule order.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApplyReport {
    pub results: Vec<StepResult>,
}

impl ApplyReport {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.results.iter().filter(|r| r.outcome == outcome).count()
    }

    /// Every step done.
    pub fn succeeded(&self) -> bool {
        self.results.iter().all(|r| r.outcome == Outcome::Done)
    }
}

/// What the journal and the progress display hear about.
#[derive(Debug)]
pub enum Event<'a> {
    Started(&'a Step),
    Finished(&'a Step, &'a StepResult),
}

/// Receives events as steps start and finish (from the executing task, in order).
pub trait Observer {
    fn event(&self, event: &Event<'_>);

    /// Called by `execute` before it waits for a request and when it returns: an observer that
    /// buffers its events (the journal, the progress lines) writes them out here. The executor
    /// sends requests only while it waits, so a step's "started" event is written before any
    /// of its requests, and every event before the requests of the steps started after it
    /// (issue 13: one `write(2)` per event cost a third of the client's system time). The
    /// default writes nothing.
    fn flush(&self) {}
}

/// Ignores every event.
pub struct Silent;

impl Observer for Silent {
    fn event(&self, _: &Event<'_>) {}
}

/// Fans events out to several observers.
pub struct Observers<'a>(pub Vec<&'a dyn Observer>);

impl Observer for Observers<'_> {
    fn event(&self, event: &Event<'_>) {
        for o in &self.0 {
            o.event(event);
        }
    }

    fn flush(&self) {
        for o in &self.0 {
            o.flush();
        }
    }
}

/// What a step needs besides the plan: the desired model (secrets, AD domain names, tenant ids)
/// and the live state the plan was made from (remote ids, values to keep).
pub struct Context<'a> {
    pub model: &'a Model,
    pub live: &'a LiveState,
    /// The identity mapping the plan was made with (`diff_keyed`): live ids under config keys.
    pub keys: &'a crate::plan::keys::Keys,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Pending,
    Running,
    Done,
    Failed,
    Skipped,
}

/// Runs every step it can; returns when nothing more can run.
pub async fn execute(
    client: &Client,
    plan: &Plan,
    schedule: &Schedule,
    ctx: &Context<'_>,
    options: &ExecuteOptions,
    observer: &dyn Observer,
) -> ApplyReport {
    let runner = Runner {
        client,
        ctx,
        ids: Mutex::new(seed_ids(plan, ctx)),
        created: Mutex::new(BTreeSet::new()),
        authority: Mutex::new(BTreeMap::new()),
    };
    let parallelism = options.parallelism.max(1);
    let steps = &schedule.steps;
    let mut status = vec![Status::Pending; steps.len()];
    let mut results: Vec<Option<StepResult>> = vec![None; steps.len()];
    // For each step that did not complete, the failed steps at the root of it.
    let mut roots: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); steps.len()];
    let mut running = FuturesUnordered::new();
    // Event-driven scheduling, O(steps log steps) over the whole apply (issue 13: rescanning
    // every step on every completion was quadratic). `waiting[i]`: needs of step i not done
    // yet; `dependents[n]`: the steps that need n; `ready`: pending steps whose needs are all
    // done, started lowest id first as the scan did.
    let mut waiting: Vec<usize> = steps.iter().map(|s| s.needs.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for step in steps {
        for &need in &step.needs {
            dependents[need].push(step.id);
        }
    }
    let mut ready: BTreeSet<usize> = steps
        .iter()
        .filter(|s| s.needs.is_empty())
        .map(|s| s.id)
        .collect();
    // Steps that may now have to be skipped (a need failed or was skipped).
    let mut doomed: BTreeSet<usize> = BTreeSet::new();

    loop {
        // Skip what waits on a failure, lowest id first: ids only point backwards, so a skip
        // propagates through the steps after it, and each skipped step names every need that
        // had failed or been skipped by then, as one pass in order did.
        while let Some(id) = doomed.pop_first() {
            let step = &steps[id];
            if status[step.id] != Status::Pending {
                continue;
            }
            let blocked: Vec<usize> = step
                .needs
                .iter()
                .copied()
                .filter(|&n| matches!(status[n], Status::Failed | Status::Skipped))
                .collect();
            if !blocked.is_empty() {
                status[step.id] = Status::Skipped;
                doomed.extend(dependents[step.id].iter().copied());
                let failed: BTreeSet<usize> =
                    blocked.iter().flat_map(|&n| roots[n].clone()).collect();
                let message = skip_message(steps, &failed, &blocked);
                roots[step.id] = failed.clone();
                let result = StepResult {
                    step: step.id,
                    address: step.address.clone(),
                    kind: step.kind,
                    action: action_of(plan, step),
                    outcome: Outcome::Skipped,
                    remote_id: None,
                    duration_ms: 0,
                    message: Some(message),
                    depends_on: failed.into_iter().collect(),
                };
                observer.event(&Event::Finished(step, &result));
                results[step.id] = Some(result);
            }
        }
        while running.len() < parallelism {
            let Some(id) = ready.pop_first() else {
                break;
            };
            let step = &steps[id];
            if status[step.id] != Status::Pending {
                continue;
            }
            status[step.id] = Status::Running;
            observer.event(&Event::Started(step));
            let runner = &runner;
            running.push(async move {
                let started = Instant::now();
                let outcome = runner.run(step).await;
                (step, outcome, started.elapsed())
            });
        }
        // Requests are sent only while `running` is polled: what the observers heard so far
        // (the steps just started, the ones just finished) is written out first.
        observer.flush();
        let mut next = running.next().await;
        if next.is_none() {
            break;
        }
        // Every completion already in (one wake-up often brings several) is taken before new
        // steps start and the observers write out, with one flush for all of them. Polling for
        // them may let running steps send their next request: their "started" lines are
        // written already.
        while let Some((step, outcome, elapsed)) = next {
            let (outcome, remote_id, message) = match outcome {
                Ok(done) => (Outcome::Done, done.remote_id, done.note),
                Err(message) => (Outcome::Failed, None, Some(message)),
            };
            status[step.id] = if outcome == Outcome::Done {
                for &d in &dependents[step.id] {
                    waiting[d] -= 1;
                    if waiting[d] == 0 {
                        ready.insert(d);
                    }
                }
                Status::Done
            } else {
                roots[step.id] = BTreeSet::from([step.id]);
                doomed.extend(dependents[step.id].iter().copied());
                Status::Failed
            };
            let result = StepResult {
                step: step.id,
                address: step.address.clone(),
                kind: step.kind,
                action: action_of(plan, step),
                outcome,
                remote_id,
                duration_ms: millis(elapsed),
                message,
                depends_on: Vec::new(),
            };
            observer.event(&Event::Finished(step, &result));
            results[step.id] = Some(result);
            next = running.next().now_or_never().flatten();
        }
    }
    observer.flush();
    ApplyReport {
        results: results.into_iter().flatten().collect(),
    }
}

/// `skipped: depends on failed step 3 (user.zed create)`, plus the step it waited for directly
/// when that is a skipped one in between.
fn skip_message(steps: &[Step], failed: &BTreeSet<usize>, blocked: &[usize]) -> String {
    let named: Vec<String> = failed
        .iter()
        .map(|&f| format!("{f} ({})", steps[f].label()))
        .collect();
    let mut message = format!(
        "skipped: depends on failed step{} {}",
        if named.len() == 1 { "" } else { "s" },
        named.join(", ")
    );
    let through: Vec<String> = blocked
        .iter()
        .filter(|b| !failed.contains(b))
        .map(|&b| steps[b].label())
        .collect();
    if !through.is_empty() {
        message.push_str(&format!(", through {}", through.join(", ")));
    }
    message
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn action_of(plan: &Plan, step: &Step) -> Action {
    plan.changes
        .get(step.change)
        .map(|c| c.action)
        .unwrap_or(Action::Update)
}

/// A finished step.
struct Done {
    remote_id: Option<String>,
    note: Option<String>,
}

impl Done {
    fn id(id: impl Into<String>) -> Done {
        Done {
            remote_id: Some(id.into()),
            note: None,
        }
    }

    fn noted(id: Option<String>, note: &str) -> Done {
        Done {
            remote_id: id,
            note: Some(note.to_string()),
        }
    }
}

type StepOutcome = Result<Done, String>;

struct Runner<'a> {
    client: &'a Client,
    ctx: &'a Context<'a>,
    ids: Mutex<BTreeMap<Address, String>>,
    /// Remote ids of objects this apply created: their fields start as this apply wrote them,
    /// not as the plan read them (it read nothing).
    created: Mutex<BTreeSet<String>>,
    /// User id -> delegated authority (AD id) this apply has written, for the precondition of a
    /// later step on the same user (a move: undelegate, then delegate).
    authority: Mutex<BTreeMap<String, Option<String>>>,
}

impl Runner<'_> {
    fn id(&self, address: &Address) -> Result<String, String> {
        // A poisoned lock only means a step panicked mid-insert; the map is still usable.
        let ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        ids.get(address).cloned().ok_or_else(|| {
            format!(
                "no remote id for {address}: it is neither in the org nor created by this apply"
            )
        })
    }

    fn remember(&self, address: &Address, id: &str) {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        ids.insert(address.clone(), id.to_string());
    }

    fn forget(&self, address: &Address) {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        ids.remove(address);
    }

    fn mark_created(&self, id: &str) {
        let mut created = self.created.lock().unwrap_or_else(|e| e.into_inner());
        created.insert(id.to_string());
    }

    fn was_created(&self, id: &str) -> bool {
        let created = self.created.lock().unwrap_or_else(|e| e.into_inner());
        created.contains(id)
    }

    /// The object as the plan read it, for the precondition of an update. An object this apply
    /// created has no plan-time read: `Ok(None)`, nothing to compare. One the plan never read
    /// and this apply did not create fails the step: jcform cannot tell a concurrent change.
    fn planned<'l, T>(
        &self,
        address: &Address,
        id: &str,
        found: Option<&'l T>,
    ) -> Result<Option<&'l T>, String> {
        match found {
            Some(t) => Ok(Some(t)),
            None if self.was_created(id) => Ok(None),
            None => Err(format!(
                "precondition failed: {address} (id {id}) is not in the state the plan was made \
                 from, so a concurrent change cannot be ruled out; nothing was written. Plan again"
            )),
        }
    }

    async fn run(&self, step: &Step) -> StepOutcome {
        let f = &step.fields;
        match (&step.address, step.kind) {
            (Address::User(name), kind @ (StepKind::Create | StepKind::Update)) => {
                let fields = part(f, Side::user)?;
                if kind == StepKind::Create {
                    self.create_user(name, &fields).await
                } else {
                    self.update_user(name, &fields).await
                }
            }
            (Address::User(name), StepKind::Undelegate) => {
                self.undelegate(name, &part(f, Side::user)?).await
            }
            (Address::User(name), StepKind::Delegate) => {
                self.delegate(name, &part(f, Side::user)?).await
            }
            (Address::Group(name), StepKind::Create) => {
                self.create_group(name, &part(f, Side::group)?).await
            }
            (Address::Group(name), StepKind::Update) => {
                self.update_group(name, &part(f, Side::group)?).await
            }
            (Address::AdDomain(key), StepKind::Create) => {
                self.create_ad(key, &part(f, Side::ad_domain)?).await
            }
            (Address::AdDomain(key), StepKind::Update) => {
                self.update_ad(key, &part(f, Side::ad_domain)?).await
            }
            (Address::M365Tenant(key), StepKind::Update) => {
                self.update_tenant(key, &part(f, Side::m365_tenant)?).await
            }
            (Address::SsoApp(key), StepKind::Create) => {
                self.create_app(key, &part(f, Side::sso_app)?).await
            }
            (Address::SsoApp(key), StepKind::Update) => {
                self.update_app(key, &part(f, Side::sso_app)?).await
            }
            (Address::M365Tenant(_), _) => Err(
                "M365 tenants cannot be created or deleted through the API; authorise or remove \
                 them in the admin console"
                    .into(),
            ),
            (a @ (Address::Membership(..) | Address::Binding(_)), StepKind::Create) => {
                self.edge(a, Op::Add).await
            }
            (a @ (Address::Membership(..) | Address::Binding(_)), StepKind::Delete) => {
                self.edge(a, Op::Remove).await
            }
            (a, StepKind::Delete) => self.delete(a).await,
            (a, kind) => Err(format!("jcform cannot {} {a}", kind.name())),
        }
    }

    // --------------------------------------------------------------------------------------
    // Deletes (edges: `edges.rs`)

    async fn delete(&self, address: &Address) -> StepOutcome {
        let id = self.id(address)?;
        let result = match address {
            Address::User(_) => self.client.delete_user(&id).await,
            Address::Group(_) => self.client.delete_group(&id).await,
            Address::AdDomain(_) => self.client.delete_ad(&id).await,
            Address::SsoApp(_) => self.client.delete_application(&id).await,
            other => return Err(format!("jcform cannot delete {other}")),
        };
        let done = match result {
            Ok(()) => Done::id(id),
            // Gone already (an earlier attempt, or someone else): the state is as asked.
            Err(e) if e.is_not_found() => Done::noted(Some(id), "already gone"),
            Err(e) => return Err(e.to_string()),
        };
        self.forget(address);
        Ok(done)
    }
}

/// The create may have happened (answer lost) or the object exists already: look it up.
fn lost_or_taken(e: &ApiError) -> bool {
    e.is_ambiguous() || taken(e) || matches!(e, ApiError::Transport { .. })
}

/// The name is taken. v2 says 409; v1 `POST /systemusers` says 400 "User already exists".
fn taken(e: &ApiError) -> bool {
    match e {
        ApiError::Status {
            status: 400,
            message,
            ..
        } => message.to_ascii_lowercase().contains("already exists"),
        other => other.is_conflict(),
    }
}

fn found_note(e: &ApiError) -> String {
    if taken(e) {
        "already existed; adopted".into()
    } else {
        "create unanswered; found on read-back".into()
    }
}

fn mismatch(kind: &str, diffs: Vec<String>) -> Result<(), String> {
    if diffs.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "read-after-write: the {kind} does not match what was written: {}",
            diffs.join("; ")
        ))
    }
}
