//! The org state under config keys, in Terraform's terms: the *prior* state (the org as read)
//! and the *planned* state (the org once the plan is applied).
//!
//! Lint reasons about people ("who is bound to what, who can log in"), not about changes alone,
//! so it needs the whole picture: the desired objects merged with the live ones the files leave
//! alone. `OrgState::planned` applies the plan's own changes to `OrgState::prior`, so the state
//! lint sees always agrees with the plan that will be executed. Both are keyed through the one
//! [`Keys`] mapping the diff resolved (`*_keyed`), so diff, lint and access agree on who is
//! who. `OrgState::declared` is the picture when no org was read: what the files say, taken as
//! if the plan created all of it.
//!
//! Everything is computed from edges already read: never more API calls.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use foldhash::{HashMap, HashMapExt};

use super::fields::{PasswordAuthority, Side, UserFields};
use super::keys::Keys;
use super::ownership::Ignored;
use super::{Action, Plan};
use crate::model::live::{AdAgent, LiveState, LiveUser};
use crate::model::{
    Address, Binding, DelegatedAuthority, Delegation, Directory, Model, PasswordAuthorityDecl,
    SecretSource, Subject, UseCase, UserAttrs, UserState, USER_TEXT_FIELDS,
};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateUser {
    /// `None` for a user the plan creates.
    pub remote_id: Option<String>,
    /// The plan creates this user.
    pub created: bool,
    /// The live user's very fields before the plan (`LiveUser::attrs`, shared); copied on write
    /// ([`StateUser::attrs_mut`]) for a user a change touches.
    pub attrs: Arc<UserAttrs>,
    /// The user has a JumpCloud password: the live `password_date` is set, or the plan creates
    /// the user with an initial password. Passwords are write-only: nothing else can be known.
    pub password_set: bool,
    /// Where the initial password comes from (declared users only).
    pub initial_password: Option<SecretSource>,
    /// The AD domain (config key) that checks the password; `None`: JumpCloud does.
    pub delegated_authority: Option<String>,
    /// Who owns the password (the `restrictedFields` entry for `password`): `active_directory`,
    /// `scim`, `federated_identity_provider`; `None`: JumpCloud (the console's "None").
    pub password_authority: Option<String>,
    /// Matched by `settings.ignore`: never reported.
    pub ignored: bool,
}

impl StateUser {
    /// The fields, to change: copied first if they are shared with the live user.
    pub fn attrs_mut(&mut self) -> &mut UserAttrs {
        Arc::make_mut(&mut self.attrs)
    }

    pub fn state(&self) -> Option<UserState> {
        self.attrs.state
    }
}

/// Per user (plan address key), the directories they are bound to directly or through a
/// group ([`OrgState::effective_bindings`]): sorted, each once. A sorted list rather than a
/// set: most users have a handful, and a set's node per user was 100,000 allocations of
/// several hundred bytes at 100,000 users. Shared: users bound to the same directories (most
/// of a large org, bound through the same few groups) hold one list between them, not a copy
/// of its directories each.
pub type EffectiveBindings = BTreeMap<String, Arc<[Directory]>>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateGroup {
    pub remote_id: Option<String>,
    pub created: bool,
    /// Members computed by a rule (JumpCloud dynamic group).
    pub dynamic: bool,
    /// Usernames of the direct members. Before the plan, the very set the plan's key mapping
    /// holds (`Keys::shared_live_members`), copied only when a change touches it: an org of
    /// 100,000 users has about 325,000 memberships.
    pub members: Arc<BTreeSet<Arc<str>>>,
    pub ignored: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StateAdDomain {
    pub remote_id: Option<String>,
    /// Normalised dotted domain.
    pub domain: String,
    pub delegation: Delegation,
    /// `Unset` when neither the org nor the files say.
    pub use_case: UseCase,
    pub agents: Vec<AdAgent>,
    /// The primary import agent's id, when the org names one.
    pub primary_import_agent: Option<String>,
    /// The plan creates it: it has no agents yet (a person installs them).
    pub created: bool,
    /// The plan deletes it. Kept so that users still delegating to it can be named.
    pub deleted: bool,
}

impl StateAdDomain {
    /// A delegation domain can check passwords: it exists and delegation is `ENABLED`.
    pub fn is_delegation_domain(&self) -> bool {
        !self.deleted && self.delegation == Delegation::Enabled
    }

    pub fn import_agents(&self) -> impl Iterator<Item = &AdAgent> {
        self.agents.iter().filter(|a| a.is_import())
    }

    /// The primary import agent, when the org names one that is in the agent list.
    pub fn primary_import(&self) -> Option<&AdAgent> {
        let id = self.primary_import_agent.as_deref()?;
        self.import_agents().find(|a| a.id == id)
    }

    /// It has import agents and every one runs on a member server (none on a domain controller,
    /// none of unknown role): passwords never reach JumpCloud through them.
    pub fn member_servers_only(&self) -> bool {
        let mut agents = self.import_agents().peekable();
        agents.peek().is_some() && agents.all(AdAgent::on_member_server)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateTenant {
    pub id: String,
    /// The org has this tenant (a declared id may be unknown: LCK007).
    pub exists: bool,
    /// The tenant's verified domains, lower case.
    pub domains: Vec<String>,
    /// The tenant's default domain, lower case, when the org (or the files) name one.
    pub default_domain: Option<String>,
    /// What the files declare as federated to JumpCloud (`federation`): set in the state after
    /// the plan (and the declared one), never before it, since Microsoft's side is not read.
    pub federation: Option<crate::model::Federation>,
}

impl StateTenant {
    /// The tenant's domains as far as anyone knows: the verified domains the org lists or,
    /// when it lists none (or no org was read), the ones the files name (`default_domain`, the
    /// federated domain). Lower case. Empty: nothing is known, nothing is checked (LCK104).
    /// Borrowed when the org lists them: every bound user's verdict asks.
    pub fn known_domains(&self) -> std::borrow::Cow<'_, [String]> {
        if !self.domains.is_empty() {
            return std::borrow::Cow::Borrowed(&self.domains);
        }
        let mut out: Vec<String> = self
            .default_domain
            .iter()
            .chain(self.federation.as_ref().map(|f| &f.domain))
            .cloned()
            .collect();
        out.sort();
        out.dedup();
        std::borrow::Cow::Owned(out)
    }

    /// The federated domain (lower case) when the files declare one.
    pub fn federated_domain(&self) -> Option<&str> {
        self.federation.as_ref().map(|f| f.domain.as_str())
    }
}

/// The org under config keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrgState {
    pub users: BTreeMap<String, StateUser>,
    pub groups: BTreeMap<String, StateGroup>,
    pub ad_domains: BTreeMap<String, StateAdDomain>,
    pub m365_tenants: BTreeMap<String, StateTenant>,
    /// Direct bindings, by config keys.
    pub bindings: BTreeSet<Binding>,
}

impl OrgState {
    /// The org as read, under config keys.
    pub fn prior(model: &Model, live: &LiveState) -> OrgState {
        OrgState::prior_keyed(model, live, &Keys::new(model, live))
    }

    /// [`OrgState::prior`] with the mapping already made (`Keys::new` of the same model and org).
    pub fn prior_keyed(model: &Model, live: &LiveState, keys: &Keys) -> OrgState {
        let ignored = Ignored::new(&model.settings);
        let state_user =
            |u: &LiveUser, initial_password: Option<SecretSource>, ignored: bool| StateUser {
                remote_id: Some(u.id.clone()),
                created: false,
                attrs: Arc::clone(&u.attrs),
                password_set: u.password_set,
                initial_password,
                delegated_authority: u
                    .delegated_authority
                    .as_ref()
                    .map(|a| keys.ad_domains.key(a).unwrap_or(a).to_string()),
                password_authority: u.password_authority.as_ref().map(|p| p.kind.clone()),
                ignored,
            };
        let live_users: Vec<&LiveUser> = live.users.values().collect();
        // The matched users come in key order from the declared users (their keys are the
        // declared keys): no lookup or sort per user.
        let matched = model.users.iter().enumerate().filter_map(|(at, (key, d))| {
            let u = live_users[keys.matched_live(at)?];
            Some((
                key.clone(),
                state_user(u, d.initial_password.clone(), false),
            ))
        });
        // Then the others (few: users the files do not name). Keys are unique (the mapping is
        // one-to-one); the map's build sorts them in, merging rather than sorting the matched.
        let others = live_users
            .iter()
            .enumerate()
            .filter(|(at, _)| keys.matched_declared(*at).is_none())
            .filter_map(|(_, u)| {
                let key = keys.users.key(&u.id)?;
                // A key the files declare that was mapped some other way than by name or email.
                let user = match model.users.get(key) {
                    Some(d) => state_user(u, d.initial_password.clone(), false),
                    None => state_user(u, None, ignored.user(key)),
                };
                Some((key.to_string(), user))
            });
        // Gathered in a list of the right size first: a `StateUser` is over a hundred bytes, and
        // a list grown by doubling copies every one of them again.
        let mut users = Vec::with_capacity(live.users.len());
        users.extend(matched);
        users.extend(others);
        let users: BTreeMap<String, StateUser> = users.into_iter().collect();
        let mut w = OrgState {
            users,
            ..OrgState::default()
        };
        for (id, g) in &live.groups {
            let Some(key) = keys.groups.key(id) else {
                continue;
            };
            w.groups.insert(
                key.to_string(),
                StateGroup {
                    remote_id: Some(id.clone()),
                    created: false,
                    dynamic: g.membership_method.is_dynamic(),
                    members: keys.shared_live_members(id),
                    ignored: !model.groups.contains_key(key) && ignored.group(key),
                },
            );
        }
        for (id, d) in &live.ad_domains {
            let Some(key) = keys.ad_domains.key(id) else {
                continue;
            };
            w.ad_domains.insert(
                key.to_string(),
                StateAdDomain {
                    remote_id: Some(id.clone()),
                    domain: d.domain.clone(),
                    delegation: d.delegation,
                    use_case: d.use_case,
                    agents: d.agents.clone(),
                    primary_import_agent: d.primary_import_agent.clone(),
                    created: false,
                    deleted: false,
                },
            );
        }
        for (id, t) in &live.m365_tenants {
            let Some(key) = keys.m365_tenants.key(id) else {
                continue;
            };
            w.m365_tenants.insert(
                key.to_string(),
                StateTenant {
                    id: id.clone(),
                    exists: true,
                    domains: t.domains.iter().map(|d| d.domain.to_lowercase()).collect(),
                    default_domain: t.default_domain.as_deref().map(str::to_lowercase),
                    // Microsoft's side is not read: before the plan nothing is known to be
                    // federated. The declaration is the files' intent (`OrgState::planned`).
                    federation: None,
                },
            );
        }
        for (key, t) in &model.m365_tenants {
            w.m365_tenants
                .entry(key.clone())
                .or_insert_with(|| StateTenant {
                    id: t.id.clone(),
                    exists: false,
                    domains: Vec::new(),
                    default_domain: t.default_domain.as_deref().map(str::to_lowercase),
                    federation: None,
                });
        }
        w.bindings = live
            .bindings
            .iter()
            .filter_map(|b| keys.binding_key(b))
            .collect();
        w
    }

    /// The org after `plan` (which must be `diff(model, live)`): the prior state with every
    /// change applied.
    pub fn planned(model: &Model, live: &LiveState, plan: &Plan) -> OrgState {
        OrgState::prior_for_plan(model, live, plan).apply_plan(model, plan)
    }

    /// This state (`OrgState::prior_for_plan` of the same model, org and plan) with every change of
    /// `plan` applied: `OrgState::planned` without reading the org a second time.
    pub fn apply_plan(mut self, model: &Model, plan: &Plan) -> OrgState {
        let w = &mut self;
        for change in &plan.changes {
            w.apply(model, &change.address, change.action, &change.after);
        }
        // What the files federate holds once the plan is applied (and the Microsoft side run).
        for (key, t) in &model.m365_tenants {
            if let Some(wt) = w.m365_tenants.get_mut(key) {
                wt.federation = t.federation.clone();
            }
        }
        self
    }

    /// `apply_plan(model, plan)` would give this state back as it is: the plan has no change
    /// and every tenant already has the federation the files declare. Lets a caller share the
    /// state rather than copy it.
    pub fn unchanged_by(&self, model: &Model, plan: &Plan) -> bool {
        plan.changes.is_empty()
            && model.m365_tenants.iter().all(|(key, t)| {
                self.m365_tenants
                    .get(key)
                    .is_none_or(|wt| wt.federation == t.federation)
            })
    }

    /// The org as read, with the users `plan` renames already under their new address, so that
    /// the before and after pictures of a user are keyed alike (findings and access verdicts
    /// follow the plan's address).
    pub fn prior_for_plan(model: &Model, live: &LiveState, plan: &Plan) -> OrgState {
        OrgState::prior_for_plan_keyed(model, live, plan, &Keys::new(model, live))
    }

    /// [`OrgState::prior_for_plan`] with the mapping already made (`Keys::new` of the same model and
    /// org, as `diff_keyed` returns it).
    pub fn prior_for_plan_keyed(
        model: &Model,
        live: &LiveState,
        plan: &Plan,
        keys: &Keys,
    ) -> OrgState {
        let mut w = OrgState::prior_keyed(model, live, keys);
        w.follow_renames(plan);
        w
    }

    /// Re-keys users the plan renames: an update of `user.new` whose `username` before-value
    /// names a user of this state that `new` does not already name. Their memberships and direct
    /// bindings move with them.
    pub fn follow_renames(&mut self, plan: &Plan) {
        for change in &plan.changes {
            let (Address::User(new), Action::Update | Action::Replace) =
                (&change.address, change.action)
            else {
                continue;
            };
            let Some(old) = renamed_from(change) else {
                continue;
            };
            if old == *new || self.users.contains_key(new) {
                continue;
            }
            let Some(user) = self.users.remove(&old) else {
                continue;
            };
            self.users.insert(new.clone(), user);
            for g in self.groups.values_mut() {
                if g.members.contains(old.as_str()) {
                    let members = Arc::make_mut(&mut g.members);
                    members.remove(old.as_str());
                    members.insert(Arc::from(new.as_str()));
                }
            }
            let moved: Vec<Binding> = self
                .bindings
                .iter()
                .filter(|b| b.subject == Subject::User(old.clone()))
                .cloned()
                .collect();
            for b in moved {
                self.bindings.remove(&b);
                self.bindings.insert(Binding {
                    directory: b.directory,
                    subject: Subject::User(new.clone()),
                });
            }
        }
    }

    /// What the files declare, as if the plan created all of it (no org was read). Fields the
    /// files leave out are unknown; an AD domain with no `delegation` counts as not delegating.
    pub fn declared(model: &Model) -> OrgState {
        let mut w = OrgState::default();
        for (name, u) in &model.users {
            w.users.insert(
                name.clone(),
                StateUser {
                    remote_id: None,
                    created: true,
                    attrs: Arc::new(u.attrs.clone()),
                    password_set: u.initial_password.is_some(),
                    initial_password: u.initial_password.clone(),
                    delegated_authority: match &u.delegated_authority {
                        Some(DelegatedAuthority::Ad(k)) => Some(k.clone()),
                        _ => None,
                    },
                    password_authority: u
                        .password_authority
                        .and_then(PasswordAuthorityDecl::api_kind)
                        .map(str::to_string),
                    ignored: false,
                },
            );
        }
        for (name, g) in &model.groups {
            w.groups.insert(
                name.clone(),
                StateGroup {
                    remote_id: None,
                    created: true,
                    dynamic: false,
                    members: Arc::new(
                        g.members
                            .iter()
                            .flatten()
                            .map(|m| Arc::from(m.as_str()))
                            .collect(),
                    ),
                    ignored: false,
                },
            );
        }
        for (key, d) in &model.ad_domains {
            w.ad_domains.insert(
                key.clone(),
                StateAdDomain {
                    remote_id: None,
                    domain: d.domain.clone(),
                    delegation: d.delegation.unwrap_or(Delegation::Disabled),
                    use_case: d.use_case.unwrap_or(UseCase::Unset),
                    agents: Vec::new(),
                    primary_import_agent: None,
                    created: true,
                    deleted: false,
                },
            );
        }
        for (key, t) in &model.m365_tenants {
            w.m365_tenants.insert(
                key.clone(),
                StateTenant {
                    id: t.id.clone(),
                    exists: true,
                    domains: Vec::new(),
                    default_domain: t.default_domain.as_deref().map(str::to_lowercase),
                    federation: t.federation.clone(),
                },
            );
        }
        w.bindings = model.bindings.clone();
        w
    }

    fn apply(&mut self, model: &Model, address: &Address, action: Action, after: &Side) {
        let no_user = UserFields::default();
        let user_fields = after.user().unwrap_or(&no_user);
        let ad = after.ad_domain();
        match (address, action) {
            (Address::User(k), Action::Create | Action::Replace) => {
                let mut u = StateUser {
                    created: true,
                    password_set: user_fields.initial_password.is_present(),
                    initial_password: model.users.get(k).and_then(|u| u.initial_password.clone()),
                    ..StateUser::default()
                };
                apply_user_fields(&mut u, user_fields);
                self.users.insert(k.clone(), u);
            }
            (Address::User(k), Action::Update) => {
                if let Some(u) = self.users.get_mut(k) {
                    apply_user_fields(u, user_fields);
                }
            }
            (Address::User(k), Action::Delete) => {
                // The API removes the user's edges with the user.
                self.users.remove(k);
                for g in self.groups.values_mut() {
                    if g.members.contains(k.as_str()) {
                        Arc::make_mut(&mut g.members).remove(k.as_str());
                    }
                }
                self.bindings
                    .retain(|b| b.subject != Subject::User(k.clone()));
            }
            (Address::Group(k), Action::Create | Action::Replace) => {
                self.groups.insert(
                    k.clone(),
                    StateGroup {
                        created: true,
                        ..StateGroup::default()
                    },
                );
            }
            (Address::Group(_), Action::Update) => {}
            (Address::Group(k), Action::Delete) => {
                self.groups.remove(k);
                self.bindings
                    .retain(|b| b.subject != Subject::Group(k.clone()));
            }
            (Address::Membership(g, u), Action::Create | Action::Update | Action::Replace) => {
                let group = self.groups.entry(g.clone()).or_default();
                Arc::make_mut(&mut group.members).insert(Arc::from(u.as_str()));
            }
            (Address::Membership(g, u), Action::Delete) => {
                if let Some(group) = self.groups.get_mut(g) {
                    if group.members.contains(u.as_str()) {
                        Arc::make_mut(&mut group.members).remove(u.as_str());
                    }
                }
            }
            (Address::AdDomain(k), Action::Create | Action::Replace) => {
                let domain = ad.and_then(|d| d.domain.value()).map_or("", String::as_str);
                self.ad_domains.insert(
                    k.clone(),
                    StateAdDomain {
                        remote_id: None,
                        domain: domain.to_string(),
                        // JumpCloud creates AD instances with delegation off.
                        delegation: ad
                            .and_then(|d| d.delegation.value().copied())
                            .unwrap_or(Delegation::Disabled),
                        use_case: ad
                            .and_then(|d| d.use_case.value().copied())
                            .unwrap_or(UseCase::Unset),
                        agents: Vec::new(),
                        primary_import_agent: None,
                        created: true,
                        deleted: false,
                    },
                );
            }
            (Address::AdDomain(k), Action::Update) => {
                if let Some(d) = self.ad_domains.get_mut(k) {
                    if let Some(state) = ad.and_then(|a| a.delegation.value()) {
                        d.delegation = *state;
                    }
                    if let Some(u) = ad.and_then(|a| a.use_case.value()) {
                        d.use_case = *u;
                    }
                }
            }
            (Address::AdDomain(k), Action::Delete) => {
                if let Some(d) = self.ad_domains.get_mut(k) {
                    d.deleted = true;
                }
                self.bindings
                    .retain(|b| b.directory != Directory::AdDomain(k.clone()));
            }
            (Address::M365Tenant(k), Action::Update) => {
                if let (Some(t), Some(d)) = (
                    self.m365_tenants.get_mut(k),
                    after.m365_tenant().and_then(|t| t.default_domain.value()),
                ) {
                    t.default_domain = Some(d.to_lowercase());
                }
            }
            // Other tenant fields (name, actions) change nothing lint looks at.
            (Address::M365Tenant(_), _) => {}
            // An app that goes takes its assignments with it.
            (Address::SsoApp(k), Action::Delete) => {
                self.bindings
                    .retain(|b| b.directory != Directory::SsoApp(k.clone()));
            }
            (Address::SsoApp(_), _) => {}
            (Address::Binding(b), Action::Delete) => {
                self.bindings.remove(b);
            }
            (Address::Binding(b), _) => {
                self.bindings.insert(b.clone());
            }
        }
    }

    /// Per user, the directories they are bound to directly or through any static or dynamic
    /// group. Every user of the state has an entry (possibly empty).
    pub fn effective_bindings(&self) -> EffectiveBindings {
        // The directories bound at all, each once, sorted: the set is ordered by directory
        // first (`Binding`'s field order), so equal directories are adjacent. A user's
        // directories are first gathered as positions in this table (sorted as the
        // directories are), so that the users with the same positions share one list.
        let mut table: Vec<&Directory> = Vec::new();
        // Each bound group's positions first, so each of its members is looked up once
        // however many directories the group is bound to. Hash lookups: at 100,000 users a
        // sorted map's search per member and binding was most of the work (issue 13).
        let mut direct: HashMap<&str, Vec<u32>> = HashMap::with_capacity(self.users.len());
        let mut by_group: HashMap<&str, Vec<u32>> = HashMap::new();
        for b in &self.bindings {
            if table.last() != Some(&&b.directory) {
                table.push(&b.directory);
            }
            // At most one directory per binding: the position fits.
            let at = (table.len() - 1) as u32;
            match &b.subject {
                Subject::User(u) => direct.entry(u.as_str()).or_default().push(at),
                Subject::Group(g) => by_group.entry(g.as_str()).or_default().push(at),
            }
        }
        debug_assert!(table.windows(2).all(|w| w[0] < w[1]));
        for (g, at) in &by_group {
            for m in self
                .groups
                .get(*g)
                .into_iter()
                .flat_map(|g| g.members.iter())
            {
                direct.entry(&**m).or_default().extend(at);
            }
        }
        let none: Arc<[Directory]> = Arc::from([]);
        let mut lists: HashMap<Vec<u32>, Arc<[Directory]>> = HashMap::new();
        self.users
            .keys()
            .map(|u| {
                let Some(mut at) = direct.remove(u.as_str()) else {
                    return (u.clone(), Arc::clone(&none));
                };
                at.sort_unstable();
                at.dedup();
                let list = match lists.get(&at) {
                    Some(list) => Arc::clone(list),
                    None => {
                        let list: Arc<[Directory]> =
                            at.iter().map(|&i| table[i as usize].clone()).collect();
                        lists.insert(at, Arc::clone(&list));
                        list
                    }
                };
                (u.clone(), list)
            })
            .collect()
    }

    /// How a user reaches a directory: their direct binding and/or the bound groups they are in.
    pub fn bound_via(&self, user: &str, directory: &Directory) -> Vec<Subject> {
        self.bindings
            .iter()
            .filter(|b| &b.directory == directory)
            .filter(|b| match &b.subject {
                Subject::User(u) => u == user,
                Subject::Group(g) => self.groups.get(g).is_some_and(|g| g.members.contains(user)),
            })
            .map(|b| b.subject.clone())
            .collect()
    }
}

/// The old username of a user the change renames (see [`OrgState::follow_renames`]): the
/// `username` its `before` side holds.
fn renamed_from(change: &super::Change) -> Option<String> {
    change.before.user()?.username.value().cloned()
}

/// Applies the `after` side of a user change (as `diff` writes it): a field present is set
/// (`null` unsets it), a field omitted is left as it was.
fn apply_user_fields(u: &mut StateUser, fields: &UserFields) {
    if let Some(state) = fields.state.present() {
        u.attrs_mut().state = state.copied();
    }
    if let Some(flag) = fields.password_never_expires.present() {
        u.attrs_mut().password_never_expires = flag.copied();
    }
    if let Some(a) = fields.delegated_authority.present() {
        u.delegated_authority = a.and_then(|a| a.ad()).map(str::to_string);
    }
    if let Some(p) = fields.password_authority.present() {
        // The restriction's type as the org would hold it; `None`: JumpCloud.
        u.password_authority = p.and_then(|p| match p {
            PasswordAuthority::Declared(d) => d.api_kind().map(str::to_string),
            PasswordAuthority::ActiveDirectoryOf(_) => PasswordAuthorityDecl::ActiveDirectory
                .api_kind()
                .map(str::to_string),
            PasswordAuthority::Other(kind) => Some(kind.clone()),
        });
    }
    for (name, _) in USER_TEXT_FIELDS {
        // Only a field the change sets copies the shared fields.
        if let Some(value) = fields.text(name).and_then(|f| f.present()) {
            if let Some(slot) = u.attrs_mut().text_slot(name) {
                *slot = value.cloned();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::model::ManageMode;
    use crate::plan::diff;

    fn dirs(w: &OrgState, user: &str) -> Vec<String> {
        w.effective_bindings()
            .get(user)
            .map(|d| d.iter().map(ToString::to_string).collect())
            .unwrap_or_default()
    }

    fn org() -> LiveState {
        Org::new()
            .user("u1", "alice")
            .user_with("u2", "bob", |u| u.password_set = false)
            .user("u3", "carol")
            .group("g1", "eng", &["u1", "u2"])
            .dynamic_group("g2", "sales", &["u3"])
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .tenant("t1", "Contoso", &["Contoso.com"])
            .bind(ad("a1"), sg("g1"))
            .bind(m365("t1"), sg("g2"))
            .bind(m365("t1"), su("u1"))
            .build()
    }

    #[test]
    fn effective_bindings_follow_users_and_groups() {
        let model = Files::new().ad("corp", "corp.example.com", None).build();
        let w = OrgState::prior(&model, &org());
        // (user, directories) as a table.
        let table = [
            ("alice", vec!["ad_domain.corp", "m365_tenant.Contoso"]),
            ("bob", vec!["ad_domain.corp"]),
            ("carol", vec!["m365_tenant.Contoso"]),
        ];
        for (user, want) in table {
            assert_eq!(dirs(&w, user), want, "{user}");
        }
        assert_eq!(
            w.bound_via("alice", &ad("corp")),
            vec![sg("eng")],
            "through the group only"
        );
        assert!(w.groups["sales"].dynamic);
        assert_eq!(w.m365_tenants["Contoso"].domains, ["contoso.com"]);
        assert!(!w.users["bob"].password_set);
    }

    #[test]
    fn the_planned_state_agrees_with_the_plan() {
        let mut model = Files::new()
            .user("alice", user("alice"))
            .user("dave", with_password(user("dave"), "correct-horse"))
            .user("erin", user("erin"))
            .group("eng", Some(&["alice", "dave"]))
            .ad("corp", "corp.example.com", Some(Delegation::Disabled))
            .ad("new", "new.example.com", Some(Delegation::Enabled))
            .bind(ad("new"), su("erin"))
            .build();
        model.settings.manage.users = ManageMode::Full;
        model.settings.manage.groups = ManageMode::Full;
        let live = org();
        let plan = diff(&model, &live).expect("the fixture plans");
        let before = OrgState::prior(&model, &live);
        let after = OrgState::planned(&model, &live, &plan);

        // bob and carol are deleted, and their edges go with them; the dynamic group too.
        assert!(!after.users.contains_key("bob") && !after.users.contains_key("carol"));
        assert!(!after.groups.contains_key("sales"));
        assert_eq!(
            after.groups["eng"]
                .members
                .iter()
                .map(|m| &**m)
                .collect::<Vec<_>>(),
            ["alice", "dave"]
        );
        // New users: a password only when the plan sets one.
        assert!(after.users["dave"].created && after.users["dave"].password_set);
        assert!(after.users["erin"].created && !after.users["erin"].password_set);
        // Delegation turned off on corp, a new delegation domain with no agents.
        assert!(before.ad_domains["corp"].is_delegation_domain());
        assert!(!after.ad_domains["corp"].is_delegation_domain());
        assert!(after.ad_domains["new"].created && after.ad_domains["new"].is_delegation_domain());
        assert_eq!(dirs(&after, "erin"), ["ad_domain.new"]);
        assert_eq!(dirs(&after, "dave"), ["ad_domain.corp"]);
        assert_eq!(
            dirs(&after, "alice"),
            ["ad_domain.corp", "m365_tenant.Contoso"]
        );
    }

    #[test]
    fn deleting_a_domain_keeps_it_for_the_users_that_still_delegate() {
        let mut model = Files::new().user("alice", user("alice")).build();
        model.settings.manage.ad_domains = ManageMode::Full;
        let live = Org::new()
            .user_with("u1", "alice", |u| u.delegated_authority = Some("a1".into()))
            .ad("a1", "corp.example.com", Delegation::Enabled)
            .bind(ad("a1"), su("u1"))
            .build();
        let plan = diff(&model, &live).expect("the fixture plans");
        let after = OrgState::planned(&model, &live, &plan);
        let key = "corp.example.com";
        assert!(after.ad_domains[key].deleted);
        assert_eq!(
            after.users["alice"].delegated_authority.as_deref(),
            Some(key)
        );
        assert!(dirs(&after, "alice").is_empty());
    }

    #[test]
    fn the_declared_state_is_what_the_files_say() {
        let model = Files::new()
            .user("alice", delegated("alice", "corp"))
            .group("eng", Some(&["alice"]))
            .ad("corp", "corp.example.com", Some(Delegation::Enabled))
            .ad("emea", "emea.example.com", None)
            .bind(ad("corp"), sg("eng"))
            .build();
        let w = OrgState::declared(&model);
        assert_eq!(dirs(&w, "alice"), ["ad_domain.corp"]);
        assert_eq!(
            w.users["alice"].delegated_authority.as_deref(),
            Some("corp")
        );
        assert!(w.ad_domains["corp"].is_delegation_domain());
        assert!(!w.ad_domains["emea"].is_delegation_domain());
    }
}
