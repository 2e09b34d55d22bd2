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
mod fields;
mod groups;
mod ids;

use fields::*;
use ids::*;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::order::{Schedule, Step, StepKind};
use super::precondition;
use crate::jumpcloud::wire::{ActiveDirectory, SystemUser, UserGroup};
use crate::jumpcloud::{convert, writes};
use crate::jumpcloud::{ApiError, Client, Fetched, Op};
use crate::model::live::LiveState;
use crate::model::{
    ad_domain_to_dn, normalize_ad_domain, AdDomain, Address, Delegation, Directory, M365Action,
    M365Tenant, Model, Subject, UseCase, UserAttrs, UserState, USER_TEXT_FIELDS,
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
}

/// What a step needs besides the plan: the desired model (secrets, AD domain names, tenant ids)
/// and the live state the plan was made from (remote ids, values to keep).
pub struct Context<'a> {
    pub model: &'a Model,
    pub live: &'a LiveState,
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
        let Some((step, outcome, elapsed)) = running.next().await else {
            break;
        };
        let (outcome, remote_id, message) = match outcome {
            Ok(done) => (Outcome::Done, done.remote_id, done.note),
            Err(message) => (Outcome::Failed, None, Some(message)),
        };
        status[step.id] = if outcome == Outcome::Done {
            for &next in &dependents[step.id] {
                waiting[next] -= 1;
                if waiting[next] == 0 {
                    ready.insert(next);
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
    }
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
                "precondition failed: {address} (id {id}) is not in the state the plan was made                  from, so a concurrent change cannot be ruled out; nothing was written. Plan again"
            )),
        }
    }

    /// The delegated authority the user had when the plan read it, or as this apply last set
    /// it.
    fn authority_baseline(&self, user_id: &str) -> Option<Option<String>> {
        let written = self.authority.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(a) = written.get(user_id) {
            return Some(a.clone());
        }
        drop(written);
        match self.ctx.live.users.get(user_id) {
            Some(u) => Some(u.delegated_authority.clone()),
            // Created by this apply without one (creates never set it).
            None if self.was_created(user_id) => Some(None),
            None => None,
        }
    }

    /// Reads the user and checks its delegated authority is still `baseline` (or already
    /// `wanted`) before a delegate or undelegate step writes it.
    async fn check_authority(
        &self,
        address: &Address,
        id: &str,
        wanted: Option<&str>,
    ) -> Result<(), String> {
        let Some(baseline) = self.authority_baseline(id) else {
            return self.planned::<()>(address, id, None).map(|_| ());
        };
        let now = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user before the write: {e}"))?;
        let now = convert::live_user(&now).delegated_authority;
        if now == baseline || now.as_deref() == wanted {
            return Ok(());
        }
        let drift = precondition::Drift {
            field: "delegated_authority".into(),
            planned: baseline,
            now,
        };
        precondition::check(address, &[drift])
    }

    fn wrote_authority(&self, user_id: &str, authority: Option<&str>) {
        let mut written = self.authority.lock().unwrap_or_else(|e| e.into_inner());
        written.insert(user_id.to_string(), authority.map(str::to_string));
    }

    async fn run(&self, step: &Step) -> StepOutcome {
        let f = &step.fields;
        match (&step.address, step.kind) {
            (Address::User(name), StepKind::Create) => self.create_user(name, f).await,
            (Address::User(name), StepKind::Update) => self.update_user(name, f).await,
            (Address::User(name), StepKind::Undelegate) => self.undelegate(name, f).await,
            (Address::User(name), StepKind::Delegate) => self.delegate(name, f).await,
            (Address::Group(name), StepKind::Create) => self.create_group(name, f).await,
            (Address::Group(name), StepKind::Update) => self.update_group(name, f).await,
            (Address::AdDomain(key), StepKind::Create) => self.create_ad(key, f).await,
            (Address::AdDomain(key), StepKind::Update) => self.update_ad(key, f).await,
            (Address::M365Tenant(key), StepKind::Update) => self.update_tenant(key, f).await,
            (Address::SsoApp(key), StepKind::Create) => self.create_app(key, f).await,
            (Address::SsoApp(key), StepKind::Update) => self.update_app(key, f).await,
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
    // Users

    async fn create_user(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let attrs = user_attrs(fields)?;
        let mut body = convert::user_body(name, &attrs, true);
        if fields.contains_key("initial_password") {
            let password = self.password(name)?;
            if let Value::Object(map) = &mut body {
                map.insert("password".into(), Value::String(password));
            }
        }
        let address = Address::User(name.to_string());
        let (id, note, answer) = match self.client.create_user(body).await {
            Ok(u) => (u.wire.id.clone(), None, Some(u)),
            Err(e) if lost_or_taken(&e) => match self.find_user(name).await? {
                Some(id) => (id, Some(found_note(&e)), None),
                None => return Err(e.to_string()),
            },
            Err(e) => return Err(e.to_string()),
        };
        self.remember(&address, &id);
        self.mark_created(&id);
        // The create's answer is the stored user: when it shows every field as asked, no read
        // back is needed (issue 13: read-backs were 23% of a bootstrap's requests). An answer
        // that lacks a field or differs is not trusted: the user is read back and checked.
        let confirmed = answer.is_some_and(|u| verify_user(&u, &attrs, None).is_ok());
        if !confirmed {
            self.check_user(&id, &attrs, None).await?;
        }
        self.set_password_authority(&id, name, fields).await?;
        Ok(Done {
            remote_id: Some(id),
            note,
        })
    }

    async fn find_user(&self, name: &str) -> Result<Option<String>, String> {
        let found = self
            .client
            .search_users(json!({ "filter": [{ "username": name }] }))
            .await
            .map_err(|e| format!("looking the user up after the create: {e}"))?;
        Ok(found
            .into_iter()
            .find(|u| u.wire.username == name)
            .map(|u| u.wire.id))
    }

    async fn update_user(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::User(name.to_string());
        let id = self.id(&address)?;
        let attrs = user_attrs(fields)?;
        // `PUT /systemusers/{id}` merges (see `Client::update_user`): the body holds only the
        // managed fields the step changes. Precondition first: the object as it is now.
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.users.get(&id))? {
            let now = self
                .client
                .get_user(&id)
                .await
                .map_err(|e| format!("reading the user before the update: {e}"))?;
            let now = convert::live_user(&now);
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &now, precondition::user_field),
            )?;
        }
        let mut body = convert::user_body(name, &attrs, false);
        // A rename (or a new spelling) of the same user: the address is the new username.
        if fields.contains_key("username") {
            if let Value::Object(map) = &mut body {
                map.insert("username".into(), Value::String(name.to_string()));
            }
        }
        if body.as_object().is_some_and(|m| !m.is_empty()) {
            self.client
                .update_user(&id, body)
                .await
                .map_err(|e| e.to_string())?;
        }
        // State moves have their own endpoints; the PUT cannot stage a user again.
        match attrs.state {
            Some(UserState::Active) => self.client.activate_user(&id, false).await,
            Some(UserState::Suspended) => self.client.suspend_user(&id).await,
            Some(UserState::Staged) => {
                return Err("an existing user cannot be made staged again".into())
            }
            None => Ok(()),
        }
        .map_err(|e| e.to_string())?;
        if fields.contains_key("initial_password") {
            let password = self.password(name)?;
            self.client
                .set_password(&id, &password)
                .await
                .map_err(|e| e.to_string())?;
        }
        self.check_user(&id, &attrs, None).await?;
        self.set_password_authority(&id, name, fields).await?;
        Ok(Done::id(id))
    }

    /// `password_authority` (the console's "Password Authority"): the user's `restrictedFields`
    /// entry for `password` (v1 `restrictedField`, in the `systemuserput` body). The PUT
    /// replaces the whole array, so every other entry is kept exactly as the org has it (read
    /// just before); `jumpcloud` removes the entry, `active_directory` names the AD domain the
    /// user delegates to (from the step, else the files). Read back and compared.
    async fn set_password_authority(
        &self,
        id: &str,
        name: &str,
        fields: &Map<String, Value>,
    ) -> Result<(), String> {
        let Some(want) = fields.get("password_authority") else {
            return Ok(());
        };
        let want = want
            .as_str()
            .ok_or("password_authority must be a word")?
            .to_string();
        let entry = match want.as_str() {
            "jumpcloud" => None,
            "active_directory" => {
                let from_step = fields
                    .get("delegated_authority")
                    .and_then(Value::as_str)
                    .filter(|k| *k != "none")
                    .map(str::to_string);
                let from_files = match self.ctx.model.users.get(name) {
                    Some(crate::model::User {
                        delegated_authority: Some(crate::model::DelegatedAuthority::Ad(k)),
                        ..
                    }) => Some(k.clone()),
                    _ => None,
                };
                let key = from_step.or(from_files).ok_or(
                    "password_authority: active_directory needs the AD domain the user \
                     delegates to (delegated_authority)",
                )?;
                let ad_id = self.id(&Address::AdDomain(key))?;
                Some(json!({"field": "password", "type": "active_directory", "id": ad_id}))
            }
            other => return Err(format!("password_authority: unknown value {other:?}")),
        };
        let read = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user's restricted fields: {e}"))?;
        let mut list: Vec<Value> = read
            .raw
            .get("restrictedFields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|f| f.get("field").and_then(Value::as_str) != Some("password"))
            .collect();
        let want_kind = entry
            .as_ref()
            .and_then(|e| e.get("type"))
            .and_then(Value::as_str)
            .map(str::to_string);
        list.extend(entry);
        self.client
            .update_user(id, json!({ "restrictedFields": list }))
            .await
            .map_err(|e| e.to_string())?;
        let back = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user back: {e}"))?;
        let got = convert::live_user(&back).password_authority.map(|p| p.kind);
        if got != want_kind {
            return mismatch(
                "user",
                vec![format!(
                    "password authority is {}, expected {want}",
                    got.as_deref().unwrap_or("jumpcloud")
                )],
            );
        }
        Ok(())
    }

    /// Password first (when the plan has one), then clear: the user is never without a way to
    /// log in that the plan can give.
    async fn undelegate(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::User(name.to_string());
        let id = self.id(&address)?;
        self.check_authority(&address, &id, None).await?;
        if fields.contains_key("initial_password") {
            let password = self.password(name)?;
            self.client
                .set_password(&id, &password)
                .await
                .map_err(|e| e.to_string())?;
        }
        self.client
            .update_user(&id, convert::delegated_authority_body(None))
            .await
            .map_err(|e| e.to_string())?;
        self.wrote_authority(&id, None);
        self.check_user(&id, &UserAttrs::default(), Some(None))
            .await?;
        Ok(Done::id(id))
    }

    async fn delegate(&self, name: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::User(name.to_string());
        let id = self.id(&address)?;
        let key = fields
            .get("delegated_authority")
            .and_then(Value::as_str)
            .ok_or("the step names no AD domain to delegate to")?;
        let ad_id = self.id(&Address::AdDomain(key.to_string()))?;
        self.check_authority(&address, &id, Some(&ad_id)).await?;
        self.client
            .update_user(&id, convert::delegated_authority_body(Some(&ad_id)))
            .await
            .map_err(|e| e.to_string())?;
        self.wrote_authority(&id, Some(&ad_id));
        self.check_user(&id, &UserAttrs::default(), Some(Some(&ad_id)))
            .await?;
        self.set_password_authority(&id, name, fields).await?;
        Ok(Done::id(id))
    }

    /// Resolves the user's initial password from the model, at the last moment.
    fn password(&self, name: &str) -> Result<String, String> {
        let source = self
            .ctx
            .model
            .users
            .get(name)
            .and_then(|u| u.initial_password.as_ref())
            .ok_or_else(|| {
                format!("the plan sets an initial password for {name}, but the config has none")
            })?;
        source.resolve()
    }

    /// Reads the user back and compares every field the step wrote.
    async fn check_user(
        &self,
        id: &str,
        asked: &UserAttrs,
        authority: Option<Option<&str>>,
    ) -> Result<(), String> {
        let read = self
            .client
            .get_user(id)
            .await
            .map_err(|e| format!("reading the user back: {e}"))?;
        verify_user(&read, asked, authority)
    }
}

/// Compares a user as the API answered (a create's answer or a read back) with every field the
/// step wrote.
fn verify_user(
    read: &Fetched<SystemUser>,
    asked: &UserAttrs,
    authority: Option<Option<&str>>,
) -> Result<(), String> {
    let live = convert::live_user(read);
    let mut diffs = Vec::new();
    for (field, _) in USER_TEXT_FIELDS {
        if let Some(want) = asked.text(field) {
            let want = (!want.is_empty()).then_some(want.as_str());
            let got = live.attrs.text(field).map(String::as_str);
            if want != got {
                diffs.push(format!("{field} is {got:?}, expected {want:?}"));
            }
        }
    }
    if let Some(want) = asked.password_never_expires {
        if live.attrs.password_never_expires.unwrap_or(false) != want {
            diffs.push(format!("password_never_expires is not {want}"));
        }
    }
    if let Some(want) = asked.state {
        if live.attrs.state != Some(want) {
            diffs.push(format!(
                "state is {}, expected {}",
                live.attrs.state.map_or("unset", UserState::config_name),
                want.config_name()
            ));
        }
    }
    if let Some(want) = authority {
        if live.delegated_authority.as_deref() != want {
            diffs.push(format!(
                "delegated authority is {:?}, expected {want:?}",
                live.delegated_authority
            ));
        }
    }
    mismatch("user", diffs)
}

impl Runner<'_> {
    /// `PATCH /office365s/{id}` merges: the body holds only the managed fields. The tenant is
    /// read first anyway (the default domain is written by its object id), and that read is
    /// also the precondition.
    async fn update_tenant(&self, key: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::M365Tenant(key.to_string());
        let id = self.id(&address)?;
        let asked = tenant_fields(&id, fields)?;
        let live = self.read_tenant(&id).await?;
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.m365_tenants.get(&id))? {
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &live, precondition::tenant_field),
            )?;
        }
        let body = convert::m365_patch(&asked, &live)?;
        self.client
            .patch_m365(&id, body)
            .await
            .map_err(|e| e.to_string())?;
        let live = self.read_tenant(&id).await?;
        let mut diffs = Vec::new();
        let pairs: [(&str, Option<String>, Option<String>); 5] = [
            ("name", asked.name.clone(), live.name.clone()),
            (
                "groups_enabled",
                asked.groups_enabled.map(|b| b.to_string()),
                Some(live.groups_enabled.to_string()),
            ),
            (
                "default_domain",
                asked.default_domain.clone(),
                live.default_domain.clone(),
            ),
            (
                "user_lockout_action",
                asked.user_lockout_action.map(|a| a.name().to_string()),
                live.user_lockout_action.map(|a| a.name().to_string()),
            ),
            (
                "user_password_expiration_action",
                asked
                    .user_password_expiration_action
                    .map(|a| a.name().to_string()),
                live.user_password_expiration_action
                    .map(|a| a.name().to_string()),
            ),
        ];
        for (field, want, got) in pairs {
            if let Some(want) = want {
                let same = got
                    .as_deref()
                    .is_some_and(|g| g.eq_ignore_ascii_case(&want));
                if !same {
                    diffs.push(format!("{field} is {got:?}, expected {want:?}"));
                }
            }
        }
        mismatch("tenant", diffs)?;
        Ok(Done::id(id))
    }

    async fn read_tenant(&self, id: &str) -> Result<crate::model::live::LiveM365Tenant, String> {
        let tenant = self
            .client
            .get_m365(id)
            .await
            .map_err(|e| format!("reading tenant {id}: {e}"))?;
        let domains = self
            .client
            .list_m365_domains(id)
            .await
            .map_err(|e| format!("reading the domains of tenant {id}: {e}"))?;
        Ok(convert::live_m365(&tenant, &domains))
    }

    // --------------------------------------------------------------------------------------
    // SSO applications

    /// `POST /applications`; a lost answer or a taken label is looked up by template and label.
    async fn create_app(&self, key: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::SsoApp(key.to_string());
        let template = text(fields, "template")?
            .ok_or_else(|| format!("{address} has no template to create it from"))?;
        let asked = sso_app_fields(fields)?;
        let body = convert::sso_app_body(&json!({}), &template, &asked);
        let (id, note) = match self.client.create_application(body).await {
            Ok(app) => (app.wire.id, None),
            Err(e) if lost_or_taken(&e) => {
                let apps = self
                    .client
                    .list_applications()
                    .await
                    .map_err(|e| format!("looking the app up after the create: {e}"))?;
                let label = asked
                    .iter()
                    .find(|(k, _)| k == "display_label")
                    .map(|(_, v)| v.to_lowercase());
                // Only an app the plan's read did not hold can be the one just created, and
                // only one: several are never resolved by picking one.
                let found: Vec<String> = apps
                    .into_iter()
                    .filter(|a| {
                        a.wire.name == template
                            && a.wire.display_label.as_deref().map(str::to_lowercase) == label
                            && !self.ctx.live.sso_apps.contains_key(&a.wire.id)
                    })
                    .map(|a| a.wire.id)
                    .collect();
                match found.as_slice() {
                    [id] => (id.clone(), Some(found_note(&e))),
                    [] => return Err(e.to_string()),
                    many => {
                        return Err(format!(
                            "{e}; {} new `{template}` apps with this label are in the org now \
                             (ids {}): delete the duplicate in the JumpCloud console, then plan \
                             again",
                            many.len(),
                            many.join(", ")
                        ))
                    }
                }
            }
            Err(e) => return Err(e.to_string()),
        };
        self.remember(&address, &id);
        self.mark_created(&id);
        self.check_app(&id, &asked).await?;
        Ok(Done {
            remote_id: Some(id),
            note,
        })
    }

    /// `PUT /applications/{id}` replaces the whole app: the body is the app as read just now
    /// (which is also the precondition's read) with only the managed fields changed.
    async fn update_app(&self, key: &str, fields: &Map<String, Value>) -> StepOutcome {
        let address = Address::SsoApp(key.to_string());
        let id = self.id(&address)?;
        let asked = sso_app_fields(fields)?;
        let now = self
            .client
            .get_application(&id)
            .await
            .map_err(|e| format!("reading the app before the update: {e}"))?;
        if let Some(planned) = self.planned(&address, &id, self.ctx.live.sso_apps.get(&id))? {
            let live_now = convert::live_sso_app(&now);
            precondition::check(
                &address,
                &precondition::drift(fields, planned, &live_now, precondition::sso_app_field),
            )?;
        }
        let body = convert::sso_app_body(&now.raw, &now.wire.name, &asked);
        self.client
            .update_application(&id, body)
            .await
            .map_err(|e| e.to_string())?;
        self.check_app(&id, &asked).await?;
        Ok(Done::id(id))
    }

    async fn check_app(&self, id: &str, asked: &[(String, String)]) -> Result<(), String> {
        let read = self
            .client
            .get_application(id)
            .await
            .map_err(|e| format!("reading the app back: {e}"))?;
        let live = convert::live_sso_app(&read);
        let mut diffs = Vec::new();
        for (field, want) in asked {
            let got = precondition::sso_app_field(&live, field).flatten();
            let want = Some(want.trim())
                .filter(|w| !w.is_empty())
                .map(str::to_string);
            if got != want {
                diffs.push(format!("{field} is {got:?}, expected {want:?}"));
            }
        }
        mismatch("SSO app", diffs)
    }

    // --------------------------------------------------------------------------------------
    // Deletes and edges

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

    async fn edge(&self, address: &Address, op: Op) -> StepOutcome {
        let result = match address {
            Address::Membership(g, u) => {
                let group = self.id(&Address::Group(g.clone()))?;
                let user = self.id(&Address::User(u.clone()))?;
                self.client.member_op(&group, op, &user).await
            }
            Address::Binding(b) => {
                let directory = match &b.directory {
                    Directory::AdDomain(k) => {
                        Directory::AdDomain(self.id(&Address::AdDomain(k.clone()))?)
                    }
                    Directory::M365Tenant(k) => {
                        Directory::M365Tenant(self.id(&Address::M365Tenant(k.clone()))?)
                    }
                    Directory::SsoApp(k) => {
                        Directory::SsoApp(self.id(&Address::SsoApp(k.clone()))?)
                    }
                };
                let subject = match &b.subject {
                    Subject::User(k) => Subject::User(self.id(&Address::User(k.clone()))?),
                    Subject::Group(k) => Subject::Group(self.id(&Address::Group(k.clone()))?),
                };
                self.client.association_op(&directory, op, &subject).await
            }
            other => return Err(format!("{other} is not an edge")),
        };
        match result {
            Ok(()) => Ok(Done {
                remote_id: None,
                note: None,
            }),
            // The edge is already as asked.
            Err(e) if op == Op::Add && e.is_conflict() => Ok(Done::noted(None, "already there")),
            Err(e) if op == Op::Remove && e.is_not_found() => Ok(Done::noted(None, "already gone")),
            Err(e) => Err(e.to_string()),
        }
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
