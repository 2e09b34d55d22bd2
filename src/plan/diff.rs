//! The diff: desired model vs live state -> `Plan`.
//!
//! Each object and each edge (membership, binding) is its own change, named by its config
//! address. `before` / `after` hold only the fields that differ, typed per kind
//! (`super::fields`), in config names. What the
//! files leave out is not managed (no churn); what the files don't name at all is decided by
//! `ownership`. Pure: no I/O, so every semantic has a table test below.
//!
//! Which live object a key names is decided by `keys` (names compared without regard to case,
//! renames by email or by members and bindings); a user or group whose live name is spelled
//! differently is an update of `username` / `name`, never a delete and a create. Text fields:
//! `""` (or `null` in the files) clears a field, and an unset live field equals `""`, so a
//! cleared field converges. The diff refuses (`PlanErrors`) rather than plan what apply could
//! not do or could only do by guessing.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};

use serde_json::{Map, Value};

use super::error::{PlanError, PlanErrors};
use super::fields::{
    AdDomainFields, Authority, Field, GroupFields, PasswordAuthority, PasswordSet, Side,
    SsoAppFields, TenantFields, UserFields, SSO_APP_SETTINGS,
};
use super::keys::{fold, Keys};
use super::ownership::{Fate, Ignored};
use super::{Action, Change, Plan, Unmanaged};
use crate::model::live::{
    LiveAdDomain, LiveGroup, LiveM365Tenant, LiveSsoApp, LiveState, LiveUser,
};
use crate::model::{
    email_key_cow, AdDomain, Address, Binding, DelegatedAuthority, Directory, Group, M365Tenant,
    Model, PasswordAuthorityDecl, SsoApp, Subject, User, UserAttrs, UserState, OFFICE365_TEMPLATE,
    USER_TEXT_FIELDS,
};

/// What `after` says about a password the plan sets: never the value.
pub use super::fields::PASSWORD_SET;

/// Builds the plan that turns `live` into what `model` declares.
///
/// Errors (every one found, sorted): a key that matches several live objects, a live object
/// several keys match, an ambiguous rename, a user whose new email belongs to another live user,
/// `members` declared for a group that is dynamic in the org. With any of them no plan exists:
/// nothing may be deleted or bound on a guess.
pub fn diff(model: &Model, live: &LiveState) -> Result<Plan, PlanErrors> {
    diff_keyed(model, live).map(|(plan, _)| plan)
}

/// [`diff`], and the mapping of keys it was made with (`Keys::resolve` of the same model and
/// org), so the org states and lint need not resolve every identity again.
pub fn diff_keyed(model: &Model, live: &LiveState) -> Result<(Plan, Keys), PlanErrors> {
    let (keys, errors) = Keys::resolve(model, live);
    if !errors.is_empty() {
        return Err(PlanErrors::sorted(errors));
    }
    let mut d = Differ {
        model,
        live,
        keys,
        ignored: Ignored::new(&model.settings),
        changes: Vec::new(),
        unmanaged: BTreeMap::new(),
        unmanaged_fields: BTreeMap::new(),
        deleted_users: BTreeSet::new(),
        deleted_groups: BTreeSet::new(),
        email_holders: OnceCell::new(),
        errors: Vec::new(),
    };
    d.users();
    d.groups();
    d.memberships();
    d.ad_domains();
    d.m365_tenants();
    d.sso_apps();
    d.bindings();
    let Differ {
        mut changes,
        mut unmanaged,
        unmanaged_fields,
        mut errors,
        keys,
        ..
    } = d;
    errors.extend(federated_app_removed(model, live, &keys, &changes));
    if !errors.is_empty() {
        return Err(PlanErrors::sorted(errors));
    }
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    for list in unmanaged.values_mut() {
        list.sort();
        list.dedup();
    }
    let plan = Plan {
        changes,
        unmanaged: Unmanaged {
            objects: unmanaged,
            fields: unmanaged_fields,
        },
    };
    Ok((plan, keys))
}

/// A plan that deletes or replaces a live SSO app a declared `federation` relies on is an error
/// (`federated-app-removed`): Microsoft keeps trusting that app's signing certificate, so every
/// sign-in of the domain would fail until the federation is redone by hand. The app relied on is
/// the live app `federation.sso_app` names and any live app of its template whose IdP Entity ID
/// is the federation's domain or the declared app's `domain` (compared without regard to case).
fn federated_app_removed(
    model: &Model,
    live: &LiveState,
    keys: &Keys,
    changes: &[Change],
) -> Vec<PlanError> {
    let mut errors = Vec::new();
    for change in changes {
        if !matches!(change.action, Action::Delete | Action::Replace) {
            continue;
        }
        let Address::SsoApp(key) = &change.address else {
            continue;
        };
        let Some(l) = keys.sso_apps.id(key).and_then(|id| live.sso_apps.get(id)) else {
            continue;
        };
        for (tenant_key, tenant) in &model.m365_tenants {
            let Some(f) = &tenant.federation else {
                continue;
            };
            let declared = model.sso_apps.get(&f.sso_app);
            let issuers: Vec<String> = [
                Some(f.domain.as_str()),
                declared.and_then(|a| a.domain.as_deref()),
            ]
            .into_iter()
            .flatten()
            .map(fold)
            .collect();
            let same_template = declared.is_none_or(|a| a.template == l.template);
            let by_issuer = same_template
                && l.idp_entity_id
                    .as_deref()
                    .is_some_and(|i| issuers.contains(&fold(i)));
            if f.sso_app == *key || by_issuer {
                let tenant_address = Address::M365Tenant(tenant_key.clone());
                errors.push(PlanError::new(
                    "federated-app-removed",
                    Address::SsoApp(f.sso_app.clone()),
                    None,
                    format!(
                        "the plan would {} live SSO app `{}` (id {}) (IdP Entity ID {}), which the \
                         `federation` of {tenant_address} relies on: Microsoft 365 trusts its \
                         signing certificate, so sign-ins to {} would fail; nothing is planned",
                        if change.action == Action::Delete {
                            "delete"
                        } else {
                            "replace"
                        },
                        l.display_label.as_deref().unwrap_or(""),
                        l.id,
                        l.idp_entity_id.as_deref().unwrap_or("none"),
                        f.domain
                    ),
                    format!(
                        "declare that app as `sso_app.{}` (same template and label, or the same \
                         `domain`) so the plan updates it, or remove the `federation` (and \
                         federate the domain elsewhere first) before deleting it",
                        f.sso_app
                    ),
                ));
                break;
            }
        }
    }
    errors
}

struct Differ<'a> {
    model: &'a Model,
    live: &'a LiveState,
    keys: Keys,
    ignored: Ignored,
    changes: Vec<Change>,
    unmanaged: BTreeMap<String, Vec<Address>>,
    unmanaged_fields: BTreeMap<Address, Map<String, Value>>,
    /// Usernames and group names the plan deletes: their edges go with them (the API removes
    /// them), so no separate edge changes are emitted.
    deleted_users: BTreeSet<String>,
    deleted_groups: BTreeSet<String>,
    /// Folded live email (`email_key`) -> the live users that have it. Made when a user's new
    /// email is first checked: a plan that sets no email never needs it.
    email_holders: OnceCell<HashMap<Cow<'a, str>, Vec<&'a LiveUser>>>,
    errors: Vec<PlanError>,
}

/// A managed field (`desired` is `Some`) against its live value: where they differ, `before`
/// gets the live value (`null` when unset) and `after` the desired one.
fn field<T: PartialEq + Clone>(
    before: &mut Field<T>,
    after: &mut Field<T>,
    desired: Option<&T>,
    live: Option<&T>,
) {
    if let Some(want) = desired {
        if live != Some(want) {
            *before = Field::from_option(live.cloned());
            *after = Field::Set(want.clone());
        }
    }
}

/// A managed text field, where `""` means "cleared" and equals an unset live value. A clear is
/// shown as `old -> null` (the value apply reads back).
fn text(
    before: &mut Field<String>,
    after: &mut Field<String>,
    desired: Option<&String>,
    live: Option<&String>,
) {
    let Some(want) = desired else {
        return;
    };
    // Written as the org has it (nearly every field of an unchanged user): nothing to trim.
    if live == Some(want) {
        return;
    }
    let want = norm_text(want);
    let live = live.and_then(|l| norm_text(l));
    if want != live {
        *before = Field::from_option(live.map(str::to_string));
        *after = Field::from_option(want.map(str::to_string));
    }
}

/// Sets both sides when the values differ.
fn set<T: PartialEq>(before: &mut Field<T>, after: &mut Field<T>, old: T, new: T) {
    if old != new {
        *before = Field::Set(old);
        *after = Field::Set(new);
    }
}

/// "state differs" / "job_title, department differ": the fields of an update's `after`.
fn differ(after: &Side) -> String {
    let names = after.field_names();
    let verb = if names.len() == 1 {
        "differs"
    } else {
        "differ"
    };
    format!("{} {verb}", names.join(", "))
}

/// A text value as the org keeps it: surrounding whitespace is not significant (the reader
/// trims what the API returns, so only the trimmed value can ever be read back), and an empty
/// value is unset. `None`: unset / cleared.
fn norm_text(s: &str) -> Option<&str> {
    Some(s.trim()).filter(|t| !t.is_empty())
}

fn ids<const N: usize>(pairs: [(&str, Option<&str>); N]) -> BTreeMap<String, String> {
    pairs
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
        .collect()
}

/// Every set field of a user, for a create (desired) or a delete (live).
fn user_fields(attrs: &UserAttrs) -> UserFields {
    let mut u = UserFields::default();
    for (name, _) in USER_TEXT_FIELDS {
        // An empty field is unset: nothing to create, nothing to show.
        if let (Some(v), Some(slot)) = (
            attrs.text(name).and_then(|v| norm_text(v)),
            u.text_mut(name),
        ) {
            *slot = Field::Set(v.to_string());
        }
    }
    if let Some(b) = attrs.password_never_expires {
        u.password_never_expires = Field::Set(b);
    }
    if let Some(s) = attrs.state {
        u.state = Field::Set(s);
    }
    u
}

fn group_fields(description: &Option<String>) -> GroupFields {
    GroupFields {
        description: Field::if_some(
            description
                .as_deref()
                .and_then(norm_text)
                .map(str::to_string),
        ),
        ..GroupFields::default()
    }
}

fn edge_fields(binding: &Binding) -> Side {
    Side::edge(&Address::Binding(binding.clone())).unwrap_or_default()
}

fn member_fields(group: &str, user: &str) -> Side {
    Side::edge(&Address::Membership(group.to_string(), user.to_string())).unwrap_or_default()
}

/// A side's fields as the unmanaged report keeps them (config names, for `--show-unmanaged`).
fn report_fields(side: &Side) -> Map<String, Value> {
    match side.to_json() {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

impl<'a> Differ<'a> {
    fn push(
        &mut self,
        address: Address,
        action: Action,
        reason: String,
        before: Side,
        after: Side,
        remote_ids: BTreeMap<String, String>,
    ) {
        self.changes.push(Change {
            address,
            action,
            reason,
            before,
            after,
            remote_ids,
        });
    }

    /// A declared object the org lacks: created with `fields`.
    fn create(&mut self, address: Address, fields: Side) {
        self.push(
            address,
            Action::Create,
            "declared in the files, missing in the org".into(),
            Side::Absent,
            fields,
            BTreeMap::new(),
        );
    }

    /// A declared object whose managed fields differ from live object `id`: an update from
    /// `before` to `after` (no field: nothing to do).
    fn update(&mut self, address: Address, (before, after): (Side, Side), id: &str) {
        if after.is_empty() {
            return;
        }
        let kind = address.kind();
        self.push(
            address,
            Action::Update,
            format!("{} from the files", differ(&after)),
            before,
            after,
            ids([(kind, Some(id))]),
        );
    }

    fn report(&mut self, address: Address) {
        self.unmanaged
            .entry(address.kind().to_string())
            .or_default()
            .push(address);
    }

    /// A live user, group or AD domain the files don't name: deleted under `full`, reported
    /// with its fields under `additive`, left alone under `ignore`. True when it is deleted.
    fn unnamed(
        &mut self,
        address: Address,
        id: &str,
        fields: Side,
        mode: crate::model::ManageMode,
    ) -> bool {
        match Fate::of(mode) {
            Fate::Remove => {
                let kind = address.kind();
                self.push(
                    address,
                    Action::Delete,
                    format!("in the org, not in the files (settings.manage.{kind}s: full)"),
                    fields,
                    Side::Absent,
                    ids([(kind, Some(id))]),
                );
                true
            }
            Fate::Report => {
                self.report_object(address, fields);
                false
            }
            Fate::Leave => false,
        }
    }

    /// Reports an unmanaged object together with its config fields (for `--show-unmanaged`).
    fn report_object(&mut self, address: Address, fields: Side) {
        self.unmanaged_fields
            .insert(address.clone(), report_fields(&fields));
        self.report(address);
    }

    /// The config key of the AD domain a live user delegates to (`none` when unset).
    fn live_authority(&self, live: &LiveUser) -> Authority {
        match &live.delegated_authority {
            None => Authority::None,
            Some(id) => Authority::Ad(self.keys.ad_domains.key(id).unwrap_or(id).to_string()),
        }
    }

    fn users(&mut self) {
        // By position, as the mapping matched them: no lookup by key, then by id, per user.
        let live_users: Vec<&LiveUser> = self.live.users.values().collect();
        for (declared_at, (name, user)) in self.model.users.iter().enumerate() {
            let live = match self.keys.matched_live(declared_at) {
                Some(at) => Some(live_users[at]),
                // Matched by neither name nor email: new, unless the mapping keys a live user
                // by this name some other way.
                None => self
                    .keys
                    .users
                    .id(name)
                    .and_then(|id| self.live.users.get(id)),
            };
            match live {
                None => self.create_user(name, user),
                Some(live) => self.update_user(name, user, live),
            }
        }
        // In id order, as the org is read (the mapping has a key for every live user). A
        // matched user's key is a declared one.
        let keys = &self.keys;
        let unnamed: Vec<(&LiveUser, String)> = live_users
            .iter()
            .enumerate()
            .filter(|(at, _)| keys.matched_declared(*at).is_none())
            .filter_map(|(_, u)| Some((*u, keys.users.key(&u.id)?)))
            .filter(|(_, key)| !self.model.users.contains_key(*key) && !self.ignored.user(key))
            .map(|(u, key)| (u, key.to_string()))
            .collect();
        let mode = self.model.settings.manage.users;
        for (u, key) in unnamed {
            let fields = Side::from(user_fields(&u.attrs));
            if self.unnamed(Address::User(key.clone()), &u.id, fields, mode) {
                self.deleted_users.insert(key);
            }
        }
    }

    /// A new email that another live user already has: apply would be refused (emails are
    /// unique), so the plan stops. `own`: the remote id of the user being updated.
    fn email_taken(&mut self, name: &str, email: &str, own: Option<&str>) {
        let live = self.live;
        let holders = self.email_holders.get_or_init(|| {
            let mut by_email: HashMap<Cow<str>, Vec<&LiveUser>> = HashMap::new();
            for u in live.users.values() {
                if let Some(e) = u.attrs.email.as_deref().filter(|e| !e.is_empty()) {
                    by_email.entry(email_key_cow(e)).or_default().push(u);
                }
            }
            by_email
        });
        let others: Vec<String> = holders
            .get(email_key_cow(email).as_ref())
            .into_iter()
            .flatten()
            .filter(|u| Some(u.id.as_str()) != own)
            .map(|u| format!("`{}` (id {})", u.username, u.id))
            .collect();
        if others.is_empty() {
            return;
        }
        self.errors.push(PlanError::new(
            "name-collision",
            Address::User(name.to_string()),
            Some("email"),
            format!(
                "user `{name}` would get email `{email}`, which live user {} already has; emails \
                 are unique in JumpCloud, so apply would be refused",
                others.join(", ")
            ),
            "give the user another email, or change the other user's email in an apply first",
        ));
    }

    fn create_user(&mut self, name: &str, user: &User) {
        if let Some(email) = user.attrs.email.as_deref().filter(|e| !e.is_empty()) {
            self.email_taken(name, email, None);
        }
        let mut after = user_fields(&user.attrs);
        if let Some(a) = &user.delegated_authority {
            after.delegated_authority = Field::Set(authority(a));
        }
        if let Some(p) = user.password_authority {
            after.password_authority = Field::Set(PasswordAuthority::Declared(p));
        }
        if user.initial_password.is_some() {
            after.initial_password = Field::Set(PasswordSet);
        }
        self.push(
            Address::User(name.to_string()),
            Action::Create,
            "declared in the files, missing in the org".into(),
            Side::Absent,
            Side::from(after),
            BTreeMap::new(),
        );
    }

    fn update_user(&mut self, name: &str, user: &User, live: &LiveUser) {
        let (mut b, mut a) = (UserFields::default(), UserFields::default());
        // The same user under another spelling or another name: change it in place.
        if live.username != name {
            set(
                &mut b.username,
                &mut a.username,
                live.username.clone(),
                name.to_string(),
            );
        }
        // Field by field in `USER_TEXT_FIELDS` order, without matching names.
        let fields = b.texts_mut().into_iter().zip(a.texts_mut());
        for ((before, after), (want, have)) in
            fields.zip(user.attrs.texts().into_iter().zip(live.attrs.texts()))
        {
            text(before, after, want.as_ref(), have.as_ref());
        }
        if let Some(email) = a.email.value() {
            self.email_taken(name, email, Some(&live.id));
        }
        field(
            &mut b.password_never_expires,
            &mut a.password_never_expires,
            user.attrs.password_never_expires.as_ref(),
            live.attrs.password_never_expires.as_ref(),
        );
        // A user cannot go back to staged: `state: staged` only matters when creating.
        let state = user
            .attrs
            .state
            .filter(|s| *s != UserState::Staged || live.attrs.state == Some(UserState::Staged));
        field(
            &mut b.state,
            &mut a.state,
            state.as_ref(),
            live.attrs.state.as_ref(),
        );
        if let Some(want) = &user.delegated_authority {
            let same = match want {
                DelegatedAuthority::None => live.delegated_authority.is_none(),
                DelegatedAuthority::Ad(key) => {
                    // A domain the plan creates has no id yet: never the same.
                    let id = self.keys.ad_domains.id(key);
                    id.is_some() && live.delegated_authority.as_deref() == id
                }
            };
            if !same {
                set(
                    &mut b.delegated_authority,
                    &mut a.delegated_authority,
                    self.live_authority(live),
                    authority(want),
                );
            }
        }
        if let Some(want) = user.password_authority {
            self.password_authority(&mut b, &mut a, user, want, live);
        }
        // Passwords are write-only and `initial_password` only matters in a create.
        if a == UserFields::default() {
            return;
        }
        let (before, after) = (Side::from(b), Side::from(a));
        let reason = match self.keys.renamed_users.get(name) {
            Some(old) => format!(
                "renamed: the org's `{old}` has this user's email; {} from the files",
                differ(&after)
            ),
            None => format!("{} from the files", differ(&after)),
        };
        self.push(
            Address::User(name.to_string()),
            Action::Update,
            reason,
            before,
            after,
            ids([("user", Some(&live.id))]),
        );
    }

    /// `password_authority`: the live `restrictedFields` entry for `password` against the
    /// declared one. Active Directory is the same only when the entry names the AD domain the
    /// user delegates to (or names none).
    fn password_authority(
        &self,
        b: &mut UserFields,
        a: &mut UserFields,
        user: &User,
        want: PasswordAuthorityDecl,
        live: &LiveUser,
    ) {
        let have = live.password_authority.as_ref();
        let same = match want {
            PasswordAuthorityDecl::Jumpcloud => have.is_none(),
            PasswordAuthorityDecl::ActiveDirectory => {
                let domain = match &user.delegated_authority {
                    Some(DelegatedAuthority::Ad(key)) => self.keys.ad_domains.id(key),
                    _ => None,
                };
                have.is_some_and(|p| {
                    PasswordAuthorityDecl::from_api_kind(&p.kind)
                        == Some(PasswordAuthorityDecl::ActiveDirectory)
                        && domain.is_some()
                        && p.id.as_deref().is_none_or(|id| Some(id) == domain)
                })
            }
        };
        if !same {
            let before = match have {
                None => PasswordAuthority::Declared(PasswordAuthorityDecl::Jumpcloud),
                Some(p) => match PasswordAuthorityDecl::from_api_kind(&p.kind) {
                    // Active Directory, but another domain (or one the files do not know).
                    Some(PasswordAuthorityDecl::ActiveDirectory)
                        if want == PasswordAuthorityDecl::ActiveDirectory =>
                    {
                        let id = p.id.as_deref().unwrap_or_default();
                        PasswordAuthority::ActiveDirectoryOf(
                            self.keys.ad_domains.key(id).unwrap_or(id).to_string(),
                        )
                    }
                    _ => PasswordAuthority::parse(p.kind.clone()),
                },
            };
            set(
                &mut b.password_authority,
                &mut a.password_authority,
                before,
                PasswordAuthority::Declared(want),
            );
        }
    }

    fn live_group(&self, name: &str) -> Option<&'a LiveGroup> {
        let live = self.live;
        self.keys.groups.id(name).and_then(|id| live.groups.get(id))
    }

    fn groups(&mut self) {
        for (name, group) in &self.model.groups {
            let address = Address::Group(name.clone());
            match self.live_group(name) {
                None => self.create(address, Side::Group(group_fields(&group.description))),
                Some(live) => {
                    let (mut b, mut a) = (GroupFields::default(), GroupFields::default());
                    if live.name != *name {
                        set(&mut b.name, &mut a.name, live.name.clone(), name.clone());
                    }
                    text(
                        &mut b.description,
                        &mut a.description,
                        group.description.as_ref(),
                        live.description.as_ref(),
                    );
                    let (before, after) = (Side::Group(b), Side::Group(a));
                    if !after.is_empty() {
                        let reason = match self.keys.renamed_groups.get(name) {
                            Some(old) => format!(
                                "renamed: the org's `{old}` has these members and bindings; {} \
                                 from the files",
                                differ(&after)
                            ),
                            None => format!("{} from the files", differ(&after)),
                        };
                        self.push(
                            address,
                            Action::Update,
                            reason,
                            before,
                            after,
                            ids([("group", Some(&live.id))]),
                        );
                    }
                }
            }
        }
        let unnamed: Vec<(String, String)> = self
            .keys
            .groups
            .iter()
            .filter(|(_, key)| !self.model.groups.contains_key(*key) && !self.ignored.group(key))
            .map(|(id, key)| (id.to_string(), key.to_string()))
            .collect();
        let mode = self.model.settings.manage.groups;
        for (id, key) in unnamed {
            let fields = self
                .live
                .groups
                .get(&id)
                .map_or_else(GroupFields::default, |g| group_fields(&g.description));
            if self.unnamed(Address::Group(key.clone()), &id, Side::Group(fields), mode) {
                self.deleted_groups.insert(key);
            }
        }
    }

    fn memberships(&mut self) {
        let model = self.model;
        for (name, group) in &model.groups {
            self.group_members(name, group);
        }
    }

    fn group_members(&mut self, name: &str, group: &Group) {
        // `members` left out: the members are not managed at all.
        let Some(wanted) = &group.members else {
            return;
        };
        let live = self.live_group(name);
        // Dynamic groups compute their members from a rule; writing them would fight the rule,
        // and ignoring the list would let a drift check pass on files that don't describe the
        // org. So a declared list stops the plan.
        if let Some(g) = live.filter(|g| g.membership_method.is_dynamic()) {
            self.dynamic_members(name, wanted, g);
            return;
        }
        let gid = live.map(|g| g.id.as_str());
        // Borrowed keys: a group of the whole org has as many members as the org has users,
        // and only the differences are kept. Both sides sorted, compared in one walk (a set
        // built by inserting 100,000 keys one by one was most of the diff's time, issue 13).
        let current = live.map(|g| self.keys.live_members(&g.id));
        let mut added: Vec<&String> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        let mut have = current.into_iter().flatten().peekable();
        for want in wanted {
            while let Some(h) = have.next_if(|h| &***h < want.as_str()) {
                removed.push(h.to_string());
            }
            if have.next_if(|h| &***h == want.as_str()).is_none() {
                added.push(want);
            }
        }
        removed.extend(have.map(|h| h.to_string()));
        for user in added {
            let uid = self.keys.users.id(user).map(str::to_string);
            self.push(
                Address::Membership(name.to_string(), user.clone()),
                Action::Create,
                format!("listed in the members of group `{name}`, not a member in the org"),
                Side::Absent,
                member_fields(name, user),
                ids([("group", gid), ("user", uid.as_deref())]),
            );
        }
        let mode = self.model.settings.manage.memberships;
        for user in &removed {
            if self.ignored.user(user) || self.deleted_users.contains(user) {
                continue;
            }
            let address = Address::Membership(name.to_string(), user.clone());
            match Fate::of(mode) {
                Fate::Remove => {
                    let uid = self.keys.users.id(user).map(str::to_string);
                    self.push(
                        address,
                        Action::Delete,
                        format!(
                            "a member in the org, not listed in the members of group `{name}` \
                             (settings.manage.memberships: {})",
                            mode.config_name()
                        ),
                        member_fields(name, user),
                        Side::Absent,
                        ids([("group", gid), ("user", uid.as_deref())]),
                    );
                }
                Fate::Report => self.report(address),
                Fate::Leave => {}
            }
        }
    }

    fn dynamic_members(&mut self, name: &str, wanted: &BTreeSet<String>, g: &LiveGroup) {
        let current: BTreeSet<String> = g
            .members
            .iter()
            .map(|id| self.keys.users.key(id).unwrap_or(id).to_string())
            .collect();
        let mut differs: Vec<String> = wanted
            .difference(&current)
            .map(|u| format!("+{u}"))
            .collect();
        differs.extend(current.difference(wanted).map(|u| format!("-{u}")));
        let differs = if differs.is_empty() {
            "the list matches the rule's members today".to_string()
        } else {
            format!("differs: {}", differs.join(", "))
        };
        let rule = g
            .member_query
            .as_ref()
            .map(|q| format!(": {}", rule_text(q)))
            .unwrap_or_default();
        let method = match g.membership_method {
            crate::model::live::MembershipMethod::DynamicReviewRequired => {
                "DYNAMIC_REVIEW_REQUIRED"
            }
            _ => "DYNAMIC_AUTOMATED",
        };
        self.errors.push(PlanError::new(
            "dynamic-group-members",
            Address::Group(name.to_string()),
            Some("members"),
            format!(
                "group `{name}` is dynamic in the org ({method}{rule}); its members come from \
                 the rule, so `members` cannot be applied ({differs})"
            ),
            "remove `members` from the group (membership is rule-driven), or make the group \
             static in the JumpCloud console",
        ));
    }

    fn ad_domains(&mut self) {
        let live = self.live;
        for (key, ad) in &self.model.ad_domains {
            let address = Address::AdDomain(key.clone());
            match self
                .keys
                .ad_domains
                .id(key)
                .and_then(|id| live.ad_domains.get(id))
            {
                None => self.create(address, Side::AdDomain(ad_fields(ad))),
                Some(l) => self.update(address, ad_diff(ad, l), &l.id),
            }
        }
        let mode = self.model.settings.manage.ad_domains;
        for (id, l) in &live.ad_domains {
            let Some(key) = self.keys.ad_domains.key(id) else {
                continue;
            };
            if self.model.ad_domains.contains_key(key) {
                continue;
            }
            self.unnamed(
                Address::AdDomain(key.to_string()),
                id,
                Side::AdDomain(live_ad_fields(l)),
                mode,
            );
        }
    }

    fn m365_tenants(&mut self) {
        let live = self.live;
        for (key, t) in &self.model.m365_tenants {
            // A tenant the org lacks cannot be created through the API: LCK007 reports it.
            let Some(l) = live.m365_tenants.get(&t.id) else {
                continue;
            };
            self.update(Address::M365Tenant(key.clone()), tenant_diff(t, l), &l.id);
        }
        // Tenants cannot be deleted through the API either, so an undeclared one is only listed,
        // with the `id` that adopts it (a tenant's one required field).
        let undeclared: Vec<(Address, String)> = self
            .keys
            .m365_tenants
            .iter()
            .filter(|(_, key)| !self.model.m365_tenants.contains_key(*key))
            .map(|(id, key)| (Address::M365Tenant(key.to_string()), id.to_string()))
            .collect();
        for (address, id) in undeclared {
            self.unmanaged_fields.insert(
                address.clone(),
                Map::from_iter([("id".to_string(), Value::String(id))]),
            );
            self.report(address);
        }
    }

    fn sso_apps(&mut self) {
        let live = self.live;
        for (key, app) in &self.model.sso_apps {
            let address = Address::SsoApp(key.clone());
            match self
                .keys
                .sso_apps
                .id(key)
                .and_then(|id| live.sso_apps.get(id))
            {
                None => self.create(address, Side::SsoApp(sso_app_create_fields(key, app))),
                Some(l) => self.update(address, sso_app_diff(app, l), &l.id),
            }
        }
        let mode = self.model.settings.manage.sso_apps;
        for (id, l) in &live.sso_apps {
            let Some(key) = self.keys.sso_apps.key(id) else {
                continue;
            };
            if self.model.sso_apps.contains_key(key) {
                continue;
            }
            self.unnamed(
                Address::SsoApp(key.to_string()),
                id,
                Side::SsoApp(live_sso_app_fields(l)),
                mode,
            );
        }
    }

    /// The app's assignments are managed only where the files list its `groups`, and only its
    /// group assignments (the files cannot name user assignments).
    fn assignments_managed(&self, b: &Binding) -> bool {
        match &b.directory {
            Directory::SsoApp(k) => {
                matches!(b.subject, Subject::Group(_))
                    && self
                        .model
                        .sso_apps
                        .get(k)
                        .is_some_and(|a| a.groups.is_some())
            }
            _ => true,
        }
    }

    fn directory_declared(&self, d: &Directory) -> bool {
        match d {
            Directory::AdDomain(k) => self.model.ad_domains.contains_key(k),
            Directory::M365Tenant(k) => self.model.m365_tenants.contains_key(k),
            Directory::SsoApp(k) => self.model.sso_apps.contains_key(k),
        }
    }

    fn subject_deleted(&self, s: &Subject) -> bool {
        match s {
            Subject::User(u) => self.deleted_users.contains(u),
            Subject::Group(g) => self.deleted_groups.contains(g),
        }
    }

    fn binding_ids(&self, b: &Binding) -> BTreeMap<String, String> {
        let dir = self.keys.directory_id(&b.directory);
        let sub = self.keys.subject_id(&b.subject);
        let id = |d: &Directory| match d {
            Directory::AdDomain(i) | Directory::M365Tenant(i) | Directory::SsoApp(i) => i.clone(),
        };
        let sid = |s: &Subject| match s {
            Subject::User(i) | Subject::Group(i) => i.clone(),
        };
        ids([
            ("directory", dir.as_ref().map(id).as_deref()),
            ("subject", sub.as_ref().map(sid).as_deref()),
        ])
    }

    fn bindings(&mut self) {
        let model = self.model;
        for b in &model.bindings {
            if let Directory::M365Tenant(k) = &b.directory {
                // Binding to a tenant the org lacks cannot work: LCK007 reports the tenant.
                if self.keys.m365_tenants.id(k).is_none() {
                    continue;
                }
            }
            let exists = self
                .keys
                .binding_id(b)
                .is_some_and(|r| self.live.bindings.contains(&r));
            if !exists {
                let remote_ids = self.binding_ids(b);
                self.push(
                    Address::Binding(b.clone()),
                    Action::Create,
                    "declared in the files, not bound in the org".into(),
                    Side::Absent,
                    edge_fields(b),
                    remote_ids,
                );
            }
        }
        let mode = self.model.settings.manage.bindings;
        let live_bindings: Vec<Binding> = self
            .live
            .bindings
            .iter()
            .filter_map(|b| self.keys.binding_key(b))
            .collect();
        for b in live_bindings {
            // Bindings of a directory the files don't name go with that directory's fate.
            if model.bindings.contains(&b)
                || !self.directory_declared(&b.directory)
                || !self.assignments_managed(&b)
                || self.ignored.subject(&b.subject)
                || self.subject_deleted(&b.subject)
            {
                continue;
            }
            let address = Address::Binding(b.clone());
            match Fate::of(mode) {
                Fate::Remove => {
                    let remote_ids = self.binding_ids(&b);
                    self.push(
                        address,
                        Action::Delete,
                        "bound in the org, not in the files (settings.manage.bindings: full)"
                            .into(),
                        edge_fields(&b),
                        Side::Absent,
                        remote_ids,
                    );
                }
                Fate::Report => self.report(address),
                Fate::Leave => {}
            }
        }
    }
}

/// A dynamic group's `memberQuery` in words where it has the usual filter shape
/// (`jobTitle eq Manager`), else as compact JSON.
fn rule_text(query: &Value) -> String {
    let filters = query.get("filters").and_then(Value::as_array);
    let words: Option<Vec<String>> = filters.map(|fs| {
        fs.iter()
            .filter_map(|f| {
                let field = f.get("field")?.as_str()?;
                let op = f.get("operator")?.as_str()?;
                let value = match f.get("value")? {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                Some(format!("{field} {op} {value}"))
            })
            .collect()
    });
    match words {
        Some(w) if !w.is_empty() && Some(w.len()) == filters.map(Vec::len) => w.join(" and "),
        _ => query.to_string(),
    }
}

/// A live AD domain in config terms (for the unmanaged report).
fn live_ad_fields(l: &LiveAdDomain) -> AdDomainFields {
    ad_fields(&AdDomain {
        domain: l.domain.clone(),
        use_case: (l.use_case != crate::model::UseCase::Unset).then_some(l.use_case),
        delegation: (l.delegation != crate::model::Delegation::Pending).then_some(l.delegation),
        groups_enabled: Some(l.groups_enabled),
    })
}

fn ad_fields(ad: &AdDomain) -> AdDomainFields {
    AdDomainFields {
        domain: Field::Set(ad.domain.clone()),
        use_case: Field::if_some(ad.use_case),
        delegation: Field::if_some(ad.delegation),
        groups_enabled: Field::if_some(ad.groups_enabled),
    }
}

fn ad_diff(ad: &AdDomain, live: &LiveAdDomain) -> (Side, Side) {
    let (mut b, mut a) = (AdDomainFields::default(), AdDomainFields::default());
    field(
        &mut b.use_case,
        &mut a.use_case,
        ad.use_case.as_ref(),
        Some(&live.use_case),
    );
    field(
        &mut b.delegation,
        &mut a.delegation,
        ad.delegation.as_ref(),
        Some(&live.delegation),
    );
    field(
        &mut b.groups_enabled,
        &mut a.groups_enabled,
        ad.groups_enabled.as_ref(),
        Some(&live.groups_enabled),
    );
    (Side::AdDomain(b), Side::AdDomain(a))
}

/// What the Microsoft 365 catalogue application is set to when the files leave a setting out
/// on create: Microsoft's SAML service provider (`urn:federation:MicrosoftOnline`, ACS
/// `https://login.microsoftonline.com/login.srf`) and JumpCloud's Office 365 login URL (the
/// `PassiveLogOnUri` of seed 002).
pub const OFFICE365_DEFAULTS: &[(&str, &str)] = &[
    ("sp_entity_id", "urn:federation:MicrosoftOnline"),
    ("acs_url", "https://login.microsoftonline.com/login.srf"),
    ("sso_url", "https://sso.jumpcloud.com/saml2/office365"),
];

fn sso_app_text<'x>(app: &'x SsoApp, field: &str) -> Option<&'x String> {
    match field {
        "display_label" => app.display_label.as_ref(),
        "domain" => app.domain.as_ref(),
        "sp_entity_id" => app.sp_entity_id.as_ref(),
        "acs_url" => app.acs_url.as_ref(),
        "sso_url" => app.sso_url.as_ref(),
        _ => None,
    }
}

/// A live app's setting by config name (one of `SSO_APP_SETTINGS`; `domain` is the IdP Entity
/// ID); `None` when unset or not a setting.
pub(crate) fn live_sso_app_text<'x>(app: &'x LiveSsoApp, field: &str) -> Option<&'x String> {
    match field {
        "display_label" => app.display_label.as_ref(),
        "domain" => app.idp_entity_id.as_ref(),
        "sp_entity_id" => app.sp_entity_id.as_ref(),
        "acs_url" => app.acs_url.as_ref(),
        "sso_url" => app.sso_url.as_ref(),
        _ => None,
    }
}

/// The fields a create writes: the template, the label (the key when the files give none),
/// every declared setting and, for the Microsoft 365 template, Microsoft's defaults for the
/// settings the files leave out.
fn sso_app_create_fields(key: &str, app: &SsoApp) -> SsoAppFields {
    let mut f = SsoAppFields {
        template: Field::Set(app.template.clone()),
        display_label: Field::Set(app.label(key).to_string()),
        ..SsoAppFields::default()
    };
    for name in SSO_APP_SETTINGS {
        if let (Some(v), Some(slot)) = (
            sso_app_text(app, name).and_then(|v| norm_text(v)),
            f.setting_mut(name),
        ) {
            *slot = Field::Set(v.to_string());
        }
    }
    if app.template == OFFICE365_TEMPLATE {
        for (name, value) in OFFICE365_DEFAULTS {
            if let Some(slot) = f.setting_mut(name).filter(|s| s.is_omitted()) {
                *slot = Field::Set((*value).to_string());
            }
        }
    }
    f
}

/// A live app in config terms (for the unmanaged report and deletes).
fn live_sso_app_fields(l: &LiveSsoApp) -> SsoAppFields {
    let mut f = SsoAppFields {
        template: Field::Set(l.template.clone()),
        ..SsoAppFields::default()
    };
    for name in SSO_APP_SETTINGS {
        if let (Some(v), Some(slot)) = (live_sso_app_text(l, name), f.setting_mut(name)) {
            *slot = Field::Set(v.clone());
        }
    }
    f
}

fn sso_app_diff(app: &SsoApp, live: &LiveSsoApp) -> (Side, Side) {
    let (mut b, mut a) = (SsoAppFields::default(), SsoAppFields::default());
    // A label the files leave out is not managed, even when the app was matched by its key.
    for name in SSO_APP_SETTINGS {
        if let (Some(before), Some(after)) = (b.setting_mut(name), a.setting_mut(name)) {
            text(
                before,
                after,
                sso_app_text(app, name),
                live_sso_app_text(live, name),
            );
        }
    }
    (Side::SsoApp(b), Side::SsoApp(a))
}

fn tenant_diff(t: &M365Tenant, live: &LiveM365Tenant) -> (Side, Side) {
    let (mut b, mut a) = (TenantFields::default(), TenantFields::default());
    field(
        &mut b.name,
        &mut a.name,
        t.name.as_ref(),
        live.name.as_ref(),
    );
    field(
        &mut b.groups_enabled,
        &mut a.groups_enabled,
        t.groups_enabled.as_ref(),
        Some(&live.groups_enabled),
    );
    field(
        &mut b.default_domain,
        &mut a.default_domain,
        t.default_domain.as_ref(),
        live.default_domain.as_ref(),
    );
    field(
        &mut b.user_lockout_action,
        &mut a.user_lockout_action,
        t.user_lockout_action.as_ref(),
        live.user_lockout_action.as_ref(),
    );
    field(
        &mut b.user_password_expiration_action,
        &mut a.user_password_expiration_action,
        t.user_password_expiration_action.as_ref(),
        live.user_password_expiration_action.as_ref(),
    );
    (Side::M365Tenant(b), Side::M365Tenant(a))
}

/// A user's declared delegated authority as a change value.
fn authority(a: &DelegatedAuthority) -> Authority {
    match a {
        DelegatedAuthority::None => Authority::None,
        DelegatedAuthority::Ad(key) => Authority::Ad(key.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::fixture::*;
    use crate::model::{Delegation, ManageMode};
    use serde_json::json;

    /// The plan, which must exist.
    fn diff(model: &Model, live: &LiveState) -> Plan {
        super::diff(model, live).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The plan as `action address` lines, for compact table assertions.
    fn lines(model: &Model, live: &LiveState) -> Vec<String> {
        diff(model, live)
            .changes
            .iter()
            .map(|c| format!("{} {}", c.action.glyph(), c.address))
            .collect()
    }

    fn change(plan: &Plan, address: &str) -> Change {
        plan.changes
            .iter()
            .find(|c| c.address.to_string() == address)
            .cloned()
            .unwrap_or_else(|| panic!("no change for {address}"))
    }

    /// Issue 16: SSO apps are matched by template and label (or, failing that, by their
    /// template alone), diffed field by field (only what the files write), created with
    /// Microsoft's defaults for the office365 template, and their `groups` are bindings.
    #[test]
    fn sso_apps_create_update_and_leave_unmanaged_fields_alone() {
        let app = |label: Option<&str>, domain: Option<&str>, groups: Option<&[&str]>| {
            let mut model = Files::new()
                .group("eng", None)
                .group("ops", None)
                .tenant("contoso", "t1")
                .sso_app("m365", "contoso")
                .build();
            let a = model.sso_apps.get_mut("m365").unwrap();
            a.display_label = label.map(Into::into);
            a.domain = domain.map(Into::into);
            if let Some(gs) = groups {
                a.groups = Some(gs.iter().map(|g| g.to_string()).collect());
                for g in gs {
                    model.bindings.insert(bind(sso("m365"), sg(g)));
                }
            }
            model
        };
        let org = Org::new()
            .group("g1", "eng", &[])
            .group("g2", "ops", &[])
            .tenant("t1", "Contoso", &["contoso.com"])
            .sso_app("a1", "office365", "Microsoft 365", "contoso.com")
            .bind(sso("a1"), sg("g2"))
            .build();
        // Nothing but the template: the live app is it, nothing managed, nothing to do.
        assert!(lines(&app(None, None, None), &org).is_empty());
        // A new label and domain: an update of the one app of that template.
        let model = app(Some("M365"), Some("contoso.org"), None);
        let plan = diff(&model, &org);
        let c = change(&plan, "sso_app.m365");
        assert_eq!(c.action, Action::Update);
        assert_eq!(
            c.after.to_json(),
            json!({"display_label": "M365", "domain": "contoso.org"})
        );
        assert_eq!(c.remote_ids["sso_app"], "a1");
        // `groups`: added as bindings; the live `ops` assignment is reported, not removed,
        // under `additive`, and removed under `full`.
        let model = app(Some("Microsoft 365"), None, Some(&["eng"]));
        assert_eq!(lines(&model, &org), ["+ binding.sso_app.m365.group.eng"]);
        let mut model = full(model);
        model.settings.manage.sso_apps = ManageMode::Full;
        assert_eq!(
            lines(&model, &org),
            [
                "+ binding.sso_app.m365.group.eng",
                "- binding.sso_app.m365.group.ops"
            ]
        );
        // No app in the org: a create with Microsoft's defaults for what the files leave out.
        let empty = Org::new()
            .group("g1", "eng", &[])
            .group("g2", "ops", &[])
            .tenant("t1", "Contoso", &["contoso.com"])
            .build();
        let plan = diff(&app(None, Some("contoso.com"), None), &empty);
        let c = change(&plan, "sso_app.m365");
        assert_eq!(c.action, Action::Create);
        assert_eq!(
            c.after.to_json()["display_label"],
            "m365",
            "the key labels a new app"
        );
        assert_eq!(
            c.after.to_json()["sp_entity_id"],
            "urn:federation:MicrosoftOnline"
        );
        assert_eq!(
            c.after.to_json()["sso_url"],
            "https://sso.jumpcloud.com/saml2/office365"
        );
        // A default filled in among declared settings keeps the settings' order.
        let mut model = app(None, None, None);
        model.sso_apps.get_mut("m365").unwrap().acs_url = Some("https://acs.example".into());
        let plan = diff(&model, &empty);
        assert_eq!(
            change(&plan, "sso_app.m365").after.field_names(),
            [
                "template",
                "display_label",
                "sp_entity_id",
                "acs_url",
                "sso_url"
            ]
        );
        // An app the files don't name: listed under `additive`, deleted under `full`.
        let mut none = Files::new().build();
        assert!(lines(&none, &org).is_empty());
        none.settings.manage.sso_apps = ManageMode::Full;
        assert_eq!(lines(&none, &org), ["- sso_app[\"Microsoft 365\"]"]);
    }

    fn full(mut model: Model) -> Model {
        let m = &mut model.settings.manage;
        m.users = ManageMode::Full;
        m.groups = ManageMode::Full;
        m.ad_domains = ManageMode::Full;
        m.memberships = ManageMode::Full;
        m.bindings = ManageMode::Full;
        model
    }

    #[test]
    fn creates_updates_and_leaves_alone() {
        let mut bob = user("bob");
        bob.attrs.department = Some("Sales".into());
        let model = Files::new()
            .user("alice", user("alice"))
            .user("bob", bob)
            .user("carol", user("carol"))
            .build();
        let live = Org::new().user("u1", "alice").user("u2", "bob").build();
        assert_eq!(
            lines(&model, &live),
            ["~ user.bob", "+ user.carol"],
            "alice matches; bob's department differs; carol is missing"
        );
        let plan = diff(&model, &live);
        let bob = change(&plan, "user.bob");
        assert_eq!(bob.before.to_json(), json!({ "department": null }));
        assert_eq!(bob.after.to_json(), json!({ "department": "Sales" }));
        assert_eq!(bob.remote_ids, ids([("user", Some("u2"))]));
        assert_eq!(bob.reason, "department differs from the files");
        let carol = change(&plan, "user.carol");
        assert_eq!(carol.before.to_json(), Value::Null);
        assert_eq!(
            carol.after.to_json(),
            json!({ "email": "carol@example.com" })
        );
    }

    #[test]
    fn fields_the_files_leave_out_are_not_managed() {
        // The live user has a department and a description; the files say nothing of either.
        let model = Files::new().user("alice", user("alice")).build();
        let live = Org::new()
            .user_with("u1", "alice", |u| {
                u.attrs_mut().department = Some("Ops".into());
                u.attrs_mut().description = Some("x".into());
                u.attrs_mut().password_never_expires = Some(true);
            })
            .build();
        assert!(lines(&model, &live).is_empty());
    }

    #[test]
    fn passwords_are_write_only() {
        let model = Files::new()
            .user("alice", with_password(user("alice"), "secret-one"))
            .user("bob", with_password(user("bob"), "secret-two"))
            .build();
        let live = Org::new().user("u1", "alice").build();
        let plan = diff(&model, &live);
        assert_eq!(lines(&model, &live), ["+ user.bob"], "no change for alice");
        let bob = change(&plan, "user.bob");
        assert_eq!(bob.after.to_json()["initial_password"], json!("(set)"));
        let text = serde_json::to_string(&plan).unwrap_or_default();
        assert!(!text.contains("secret-two"));
    }

    #[test]
    fn a_user_cannot_go_back_to_staged() {
        let mut staged = user("alice");
        staged.attrs.state = Some(UserState::Staged);
        let mut suspended = user("bob");
        suspended.attrs.state = Some(UserState::Suspended);
        let model = Files::new()
            .user("alice", staged.clone())
            .user("bob", suspended)
            // carol's own email: two users with one email cannot be planned.
            .user("carol", with_email(staged, "carol@example.com"))
            .build();
        let live = Org::new().user("u1", "alice").user("u2", "bob").build();
        assert_eq!(lines(&model, &live), ["~ user.bob", "+ user.carol"]);
        let plan = diff(&model, &live);
        assert_eq!(
            change(&plan, "user.bob").after.to_json(),
            json!({ "state": "suspended" })
        );
        assert_eq!(
            change(&plan, "user.carol").after.to_json()["state"],
            json!("staged")
        );
    }

    #[test]
    fn delegated_authority_semantics() {
        // (case, files say, live delegates to (remote id), expected (before, after))
        type Case = (
            &'static str,
            Option<DelegatedAuthority>,
            Option<&'static str>,
            Option<(Value, Value)>,
        );
        let cases: &[Case] = &[
            ("unmanaged stays", None, Some("a1"), None),
            (
                "none clears",
                Some(DelegatedAuthority::None),
                Some("a1"),
                Some((json!("corp"), json!("none"))),
            ),
            ("none already", Some(DelegatedAuthority::None), None, None),
            (
                "set to corp",
                Some(DelegatedAuthority::Ad("corp".into())),
                None,
                Some((json!("none"), json!("corp"))),
            ),
            (
                "already corp",
                Some(DelegatedAuthority::Ad("corp".into())),
                Some("a1"),
                None,
            ),
            (
                "switch",
                Some(DelegatedAuthority::Ad("emea".into())),
                Some("a1"),
                Some((json!("corp"), json!("emea"))),
            ),
            (
                "to a new domain",
                Some(DelegatedAuthority::Ad("new".into())),
                None,
                Some((json!("none"), json!("new"))),
            ),
        ];
        for (name, want, live_da, expect) in cases {
            let mut u = user("alice");
            u.delegated_authority = want.clone();
            let model = Files::new()
                .user("alice", u)
                .ad("corp", "corp.example.com", None)
                .ad("emea", "emea.example.com", None)
                .ad("new", "new.example.com", None)
                .build();
            let live = Org::new()
                .user_with("u1", "alice", |u| {
                    u.delegated_authority = live_da.map(Into::into)
                })
                .ad("a1", "corp.example.com", Delegation::Enabled)
                .ad("a2", "emea.example.com", Delegation::Enabled)
                .build();
            let plan = diff(&model, &live);
            let got = plan
                .changes
                .iter()
                .find(|c| c.address == Address::User("alice".into()))
                .map(|c| {
                    (
                        c.before.to_json()["delegated_authority"].clone(),
                        c.after.to_json()["delegated_authority"].clone(),
                    )
                });
            assert_eq!(&got, expect, "{name}");
        }
    }

    #[test]
    fn manage_modes_decide_what_the_files_dont_name() {
        let live = Org::new()
            .user("u1", "alice")
            .user("u2", "bob")
            .group("g1", "eng", &["u1", "u2"])
            .group("g2", "ops", &[])
            .ad("a1", "corp.example.com", Delegation::Disabled)
            .ad("a2", "emea.example.com", Delegation::Disabled)
            .bind(ad("a1"), su("u1"))
            .bind(ad("a1"), su("u2"))
            .build();
        let files = Files::new()
            .user("alice", user("alice"))
            .group("eng", Some(&["alice"]))
            .ad("corp", "corp.example.com", None)
            .bind(ad("corp"), su("alice"));

        // additive (default): nothing changes, everything unnamed is listed.
        let model = files.clone().build();
        let plan = diff(&model, &live);
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        let listed: Vec<String> = plan
            .unmanaged
            .objects
            .values()
            .flatten()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            listed,
            [
                "ad_domain[\"emea.example.com\"]",
                "binding.ad_domain.corp.user.bob",
                "group.ops",
                "membership.eng.bob",
                "user.bob",
            ]
        );

        // full: bob is deleted, and with him his membership and binding (no separate changes).
        let plan = diff(&full(files.clone().build()), &live);
        assert_eq!(
            lines(&full(files.clone().build()), &live),
            [
                "- ad_domain[\"emea.example.com\"]",
                "- user.bob",
                "- group.ops"
            ]
        );
        assert!(plan.unmanaged.objects.is_empty());

        // full edges only: bob stays (additive users) but loses the membership and binding.
        let mut model = files.clone().build();
        model.settings.manage.memberships = ManageMode::Full;
        model.settings.manage.bindings = ManageMode::Full;
        assert_eq!(
            lines(&model, &live),
            ["- membership.eng.bob", "- binding.ad_domain.corp.user.bob"]
        );
        let plan = diff(&model, &live);
        assert_eq!(
            change(&plan, "membership.eng.bob").remote_ids,
            ids([("group", Some("g1")), ("user", Some("u2"))])
        );

        // ignore: nothing changes and nothing is listed.
        let mut model = files.build();
        let m = &mut model.settings.manage;
        m.users = ManageMode::Ignore;
        m.groups = ManageMode::Ignore;
        m.ad_domains = ManageMode::Ignore;
        m.memberships = ManageMode::Ignore;
        m.bindings = ManageMode::Ignore;
        let plan = diff(&model, &live);
        assert!(plan.changes.is_empty() && plan.unmanaged.objects.is_empty());
    }

    #[test]
    fn ignore_globs_hide_users_and_groups_everywhere() {
        let live = Org::new()
            .user("u1", "alice")
            .user("u9", "svc-backup")
            .group("g1", "eng", &["u1", "u9"])
            .group("g9", "All Users", &["u1", "u9"])
            .ad("a1", "corp.example.com", Delegation::Disabled)
            .bind(ad("a1"), su("u9"))
            .bind(ad("a1"), sg("g9"))
            .build();
        let mut model = full(
            Files::new()
                .user("alice", user("alice"))
                .group("eng", Some(&["alice"]))
                .ad("corp", "corp.example.com", None)
                .build(),
        );
        model.settings.ignore.users = vec!["svc-*".into()];
        model.settings.ignore.groups = vec!["All Users".into()];
        let plan = diff(&model, &live);
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
        model.settings.manage = Default::default();
        let plan = diff(&model, &live);
        assert!(plan.unmanaged.objects.is_empty(), "{:?}", plan.unmanaged);
    }

    #[test]
    fn members_of_dynamic_groups_are_an_error_not_a_silent_no_op() {
        // Was: silently ignored (field case 05). A declared list must say it cannot apply.
        let live = Org::new()
            .user("u1", "alice")
            .user("u2", "bob")
            .dynamic_group("g1", "eng", &["u2"])
            .build();
        let model = full(
            Files::new()
                .user("alice", user("alice"))
                .user("bob", user("bob"))
                .group("eng", Some(&["alice"]))
                .build(),
        );
        let errors = errors(&model, &live);
        assert_eq!(errors.len(), 1);
        let e = &errors[0];
        assert_eq!(e.code, "dynamic-group-members");
        assert_eq!(e.address, Address::Group("eng".into()));
        assert_eq!(e.field, Some("members"));
        assert!(e.message.contains("DYNAMIC_AUTOMATED"), "{}", e.message);
        assert!(e.message.contains("differs: +alice, -bob"), "{}", e.message);
        assert!(e.help.contains("remove `members`"), "{}", e.help);

        // Without `members` the dynamic group is fine: its members are the rule's.
        let model = full(
            Files::new()
                .user("alice", user("alice"))
                .user("bob", user("bob"))
                .group("eng", None)
                .build(),
        );
        assert!(lines(&model, &live).is_empty());
    }

    #[test]
    fn memberships_and_bindings_are_changes_of_their_own() {
        let live = Org::new()
            .user("u1", "alice")
            .tenant("t1", "Contoso", &["contoso.com"])
            .build();
        let model = Files::new()
            .user("alice", user("alice"))
            .user("bob", user("bob"))
            .group("eng", Some(&["alice", "bob"]))
            .tenant("contoso", "t1")
            .tenant("ghost", "t9")
            .bind(m365("contoso"), sg("eng"))
            .bind(m365("ghost"), su("alice"))
            .build();
        assert_eq!(
            lines(&model, &live),
            [
                "+ user.bob",
                "+ group.eng",
                "+ membership.eng.alice",
                "+ membership.eng.bob",
                "+ binding.m365_tenant.contoso.group.eng",
            ],
            "no change for the tenant the org lacks (LCK007 reports it)"
        );
        let plan = diff(&model, &live);
        let m = change(&plan, "membership.eng.alice");
        assert_eq!(m.remote_ids, ids([("user", Some("u1"))]));
        assert_eq!(
            m.after.to_json(),
            json!({ "group": "eng", "user": "alice" })
        );
        let b = change(&plan, "binding.m365_tenant.contoso.group.eng");
        assert_eq!(b.remote_ids, ids([("directory", Some("t1"))]));
    }

    #[test]
    fn ad_domains_and_tenants_update_fields() {
        let live = Org::new()
            .ad("a1", "corp.example.com", Delegation::Pending)
            .tenant("t1", "Contoso", &["contoso.com"])
            .build();
        let mut model = Files::new()
            .ad(
                "corp",
                "DC=corp;DC=example;DC=com",
                Some(Delegation::Enabled),
            )
            .ad("emea", "emea.example.com", Some(Delegation::Disabled))
            .tenant("contoso", "t1")
            .build();
        // Lowering normalises domains; mimic it for the DN form above.
        if let Some(d) = model.ad_domains.get_mut("corp") {
            d.domain = crate::model::normalize_ad_domain(&d.domain);
        }
        if let Some(t) = model.m365_tenants.get_mut("contoso") {
            t.name = Some("Contoso Ltd".into());
            t.groups_enabled = Some(false);
        }
        let plan = diff(&model, &live);
        assert_eq!(
            lines(&model, &live),
            [
                "~ ad_domain.corp",
                "+ ad_domain.emea",
                "~ m365_tenant.contoso"
            ]
        );
        let corp = change(&plan, "ad_domain.corp");
        assert_eq!(corp.before.to_json(), json!({ "delegation": "pending" }));
        assert_eq!(corp.after.to_json(), json!({ "delegation": "enabled" }));
        let emea = change(&plan, "ad_domain.emea");
        assert_eq!(
            emea.after.to_json(),
            json!({ "domain": "emea.example.com", "delegation": "disabled" })
        );
        let t = change(&plan, "m365_tenant.contoso");
        assert_eq!(t.after.to_json(), json!({ "name": "Contoso Ltd" }));
    }

    #[test]
    fn changes_are_sorted_by_address() {
        let model = Files::new()
            .user("zed", user("zed"))
            .user("amy", user("amy"))
            .group("a", Some(&["zed", "amy"]))
            .build();
        let plan = diff(&model, &LiveState::default());
        let addresses: Vec<&Address> = plan.changes.iter().map(|c| &c.address).collect();
        let mut sorted = addresses.clone();
        sorted.sort();
        assert_eq!(addresses, sorted);
        assert_eq!(plan.changes.len(), 5);
    }

    fn errors(model: &Model, live: &LiveState) -> Vec<PlanError> {
        super::diff(model, live)
            .map(|p| panic!("expected errors, got a plan: {:?}", p.changes))
            .unwrap_or_else(|e| e.0)
    }

    fn with_email(mut u: User, email: &str) -> User {
        u.attrs.email = Some(email.into());
        u
    }

    #[test]
    fn a_username_in_another_case_is_the_same_user() {
        // Field case 01: `MLopez` in the files, `mlopez` in the org.
        let live = Org::new()
            .user_with("u1", "mlopez", |u| {
                u.attrs_mut().email = Some("maria.lopez@example.com".into())
            })
            .group("g1", "eng", &["u1"])
            .ad("a1", "corp.example.com", Delegation::Disabled)
            .bind(ad("a1"), su("u1"))
            .build();
        let model = full(
            Files::new()
                .user("MLopez", with_email(user("x"), "maria.lopez@example.com"))
                .group("eng", Some(&["MLopez"]))
                .ad("corp", "corp.example.com", None)
                .bind(ad("corp"), su("MLopez"))
                .build(),
        );
        let plan = diff(&model, &live);
        assert_eq!(
            lines(&model, &live),
            ["~ user.MLopez"],
            "no delete, no create"
        );
        let c = change(&plan, "user.MLopez");
        assert_eq!(c.before.to_json(), json!({ "username": "mlopez" }));
        assert_eq!(c.after.to_json(), json!({ "username": "MLopez" }));
        assert_eq!(c.remote_ids, ids([("user", Some("u1"))]));
        assert_eq!(c.renamed_from(), Some(Address::User("mlopez".into())));
    }

    #[test]
    fn unicode_case_uses_simple_lowercase() {
        let live = Org::new()
            .user("u1", "Émile")
            .user("u2", "straße")
            .group("g1", "ÉQUIPE", &[])
            .build();
        let model = Files::new()
            .user("émile", with_email(user("x"), "Émile@example.com"))
            .user("STRASSE", user("strasse"))
            .group("équipe", None)
            .build();
        // Émile/émile and ÉQUIPE/équipe are one name; straße/STRASSE are two.
        assert_eq!(
            lines(&model, &live),
            ["+ user.STRASSE", "~ user[\"émile\"]", "~ group[\"équipe\"]"]
        );
    }

    #[test]
    fn a_new_key_with_a_live_email_is_a_rename() {
        let live = Org::new()
            .user_with("u1", "mlopez", |u| {
                u.attrs_mut().email = Some("maria.lopez@example.com".into());
                u.attrs_mut().job_title = Some("Engineer".into());
            })
            .group("g1", "eng", &["u1"])
            .build();
        let mut maria = with_email(user("x"), "Maria.Lopez@example.com");
        maria.attrs.job_title = Some("Lead".into());
        let model = full(
            Files::new()
                .user("maria.lopez", maria)
                .group("eng", Some(&["maria.lopez"]))
                .build(),
        );
        let plan = diff(&model, &live);
        assert_eq!(lines(&model, &live), ["~ user[\"maria.lopez\"]"]);
        let c = change(&plan, "user[\"maria.lopez\"]");
        assert_eq!(
            c.before.to_json(),
            json!({ "username": "mlopez", "email": "maria.lopez@example.com", "job_title": "Engineer" })
        );
        assert_eq!(c.after.to_json()["username"], json!("maria.lopez"));
        assert!(c.reason.starts_with("renamed: "), "{}", c.reason);
        assert_eq!(c.renamed_from(), Some(Address::User("mlopez".into())));
    }

    #[test]
    fn two_live_users_one_key_would_match_stop_the_plan() {
        let live = Org::new().user("u1", "bob").user("u2", "Bob").build();
        let model = full(Files::new().user("BOB", user("bob")).build());
        let e = errors(&model, &live);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].code, "ambiguous-match");
        assert!(
            e[0].message.contains("u1") && e[0].message.contains("u2"),
            "{}",
            e[0].message
        );

        // Two live users whose emails differ only in case, and a new key with that email.
        let live = Org::new()
            .user_with("u1", "a1", |u| {
                u.attrs_mut().email = Some("ann@example.com".into())
            })
            .user_with("u2", "a2", |u| {
                u.attrs_mut().email = Some("ANN@example.com".into())
            })
            .build();
        let model = full(
            Files::new()
                .user("ann", with_email(user("x"), "Ann@example.com"))
                .build(),
        );
        let e = errors(&model, &live);
        assert_eq!(e[0].code, "ambiguous-match");
        assert_eq!(e[0].field, Some("email"));
        assert!(e[0].message.contains("u1") && e[0].message.contains("u2"));
    }

    #[test]
    fn two_live_groups_with_one_name_stop_the_plan() {
        let live = Org::new()
            .user("u1", "alice")
            .group("g1", "vpn", &["u1"])
            .group("g2", "VPN", &[])
            .ad("a1", "corp.example.com", Delegation::Disabled)
            .bind(ad("a1"), sg("g1"))
            .build();
        let model = full(
            Files::new()
                .user("alice", user("alice"))
                .group("vpn", Some(&["alice"]))
                .ad("corp", "corp.example.com", None)
                .bind(ad("corp"), sg("vpn"))
                .build(),
        );
        let e = errors(&model, &live);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].code, "ambiguous-match");
        assert!(e[0].message.contains("g1") && e[0].message.contains("g2"));
    }

    #[test]
    fn a_new_user_cannot_take_an_email_the_plan_would_not_free() {
        // Held by a user the files declare under another key.
        let live = Org::new()
            .user_with("u1", "alice", |u| {
                u.attrs_mut().email = Some("a@example.com".into())
            })
            .build();
        let model = Files::new()
            .user("alice", with_email(user("x"), "alice2@example.com"))
            .user("bob", with_email(user("x"), "A@example.com"))
            .build();
        let e = errors(&model, &live);
        assert_eq!((e[0].code, e[0].field), ("name-collision", Some("email")));
        assert_eq!(e[0].address, Address::User("bob".into()));

        // Held by an ignored user: never renamed, never touched.
        let live = Org::new()
            .user_with("u9", "svc-mail", |u| {
                u.attrs_mut().email = Some("a@example.com".into())
            })
            .build();
        let mut model = Files::new()
            .user("bob", with_email(user("x"), "a@example.com"))
            .build();
        model.settings.ignore.users = vec!["SVC-*".into()];
        let e = errors(&model, &live);
        assert_eq!(e[0].code, "name-collision");
        assert!(e[0].message.contains("settings.ignore.users"));

        // An update to an email another live user has.
        let live = Org::new().user("u1", "alice").user("u2", "bob").build();
        let model = Files::new()
            .user("alice", with_email(user("x"), "BOB@example.com"))
            .build();
        let e = errors(&model, &live);
        assert_eq!(e[0].code, "name-collision");
        assert!(e[0].message.contains("u2"));
    }

    #[test]
    fn a_group_with_the_same_members_and_bindings_is_renamed() {
        let org = || {
            Org::new()
                .user("u1", "alice")
                .group("g1", "eng-old", &["u1"])
                .ad("a1", "corp.example.com", Delegation::Disabled)
                .bind(ad("a1"), sg("g1"))
        };
        let files = || {
            Files::new()
                .user("alice", user("alice"))
                .group("eng", Some(&["alice"]))
                .ad("corp", "corp.example.com", None)
                .bind(ad("corp"), sg("eng"))
        };
        let model = full(files().build());
        let live = org().build();
        let plan = diff(&model, &live);
        assert_eq!(lines(&model, &live), ["~ group.eng"]);
        let c = change(&plan, "group.eng");
        assert_eq!(c.before.to_json(), json!({ "name": "eng-old" }));
        assert_eq!(c.renamed_from(), Some(Address::Group("eng-old".into())));

        // Two candidates: an error naming both, nothing planned.
        let live = org()
            .group("g2", "eng-legacy", &["u1"])
            .bind(ad("a1"), sg("g2"))
            .build();
        let e = errors(&model, &live);
        assert_eq!(e[0].code, "ambiguous-rename");
        assert!(e[0].message.contains("g1") && e[0].message.contains("g2"));
        // Ignoring one leaves one candidate.
        let mut model2 = model.clone();
        model2.settings.ignore.groups = vec!["eng-legacy".into()];
        assert_eq!(lines(&model2, &live), ["~ group.eng"]);

        // Two new groups with the same evidence as one old group.
        let model3 = full(
            files()
                .group("eng2", Some(&["alice"]))
                .bind(ad("corp"), sg("eng2"))
                .build(),
        );
        let e = errors(&model3, &org().build());
        assert!(e.iter().all(|e| e.code == "ambiguous-rename"), "{e:?}");

        // Different members: not a rename.
        let model4 = full(
            Files::new()
                .user("alice", user("alice"))
                .user("bob", user("bob"))
                .group("eng", Some(&["alice", "bob"]))
                .ad("corp", "corp.example.com", None)
                .bind(ad("corp"), sg("eng"))
                .build(),
        );
        let got = lines(&model4, &org().build());
        assert!(got.contains(&"+ group.eng".to_string()), "{got:?}");
        assert!(got.contains(&"- group.eng-old".to_string()), "{got:?}");
    }

    #[test]
    fn empty_groups_are_never_taken_for_renames() {
        let live = Org::new().group("g1", "old", &[]).build();
        let model = full(Files::new().group("new", Some(&[])).build());
        assert_eq!(lines(&model, &live), ["+ group.new", "- group.old"]);
    }

    #[test]
    fn an_empty_string_clears_and_converges() {
        // Field case 07: "" in the files, unset in the org: no change, ever.
        let mut lkim = user("lkim");
        lkim.attrs.job_title = Some(String::new());
        let model = Files::new().user("lkim", lkim).build();
        let mut model_g = model.clone();
        model_g.groups.insert(
            "support".into(),
            Group {
                description: Some(String::new()),
                members: None,
            },
        );
        let cleared = Org::new()
            .user("u1", "lkim")
            .group("g1", "support", &[])
            .build();
        assert!(lines(&model_g, &cleared).is_empty());

        // Set in the org: cleared, shown as `old -> null`.
        let mut set = cleared.clone();
        set.users.get_mut("u1").unwrap().attrs_mut().job_title = Some("Team Lead".into());
        set.groups.get_mut("g1").unwrap().description = Some("Support team".into());
        let plan = diff(&model_g, &set);
        let u = change(&plan, "user.lkim");
        assert_eq!(u.before.to_json(), json!({ "job_title": "Team Lead" }));
        assert_eq!(u.after.to_json(), json!({ "job_title": null }));
        let g = change(&plan, "group.support");
        assert_eq!(g.after.to_json(), json!({ "description": null }));

        // A create leaves an empty field out.
        let plan = diff(&model_g, &LiveState::default());
        assert_eq!(
            change(&plan, "user.lkim").after.to_json(),
            json!({ "email": "lkim@example.com" })
        );
        assert_eq!(change(&plan, "group.support").after.to_json(), json!({}));
    }

    #[test]
    fn nothing_is_keyed_on_an_empty_name() {
        let live = Org::new().user("u9", "").group("g9", "", &[]).build();
        let model = full(Files::new().build());
        let keys = Keys::new(&model, &live);
        assert_eq!(keys.users.key("u9"), Some("u9"));
        assert_eq!(keys.groups.key("g9"), Some("g9"));
        assert_eq!(keys.users.id(""), None);
    }
}
