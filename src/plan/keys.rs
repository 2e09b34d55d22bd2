//! Keys: which live object each config key names, and the other way round.
//!
//! The files name objects by JumpCloud name (username, group name) or by their own key (AD
//! domains, M365 tenants); the org names them by remote id. Everything that compares the two
//! (diff, the org states, lint) goes through this one mapping so they never disagree.
//!
//! Identity: one person is one object.
//! - Users and groups match by name without regard to letter case, as JumpCloud compares
//!   usernames, emails and group names: [`fold`] is simple Unicode lower-casing
//!   (`str::to_lowercase`, no full case folding: `Straße` and `STRASSE` are different names,
//!   `MLopez` and `mlopez` the same). A declared key that differs from a live name only in case
//!   is that object; the plan changes the name's spelling in place.
//! - A declared user no live username matches, whose email (case-insensitively) belongs to a
//!   live user the files no longer name, is that user renamed ([`Keys::renamed_users`]).
//! - A declared group no live name matches is a renamed live group when exactly one group the
//!   files no longer name has the same members and bindings, and that group matches no other new
//!   group (see [`evidence`] for "the same"); several candidates stop the plan.
//! - Two live objects one key would match, a live object two declared keys would match, or a
//!   new user whose email belongs to another live user are errors ([`Keys::resolve`]): the plan
//!   never picks one silently.
//! - SSO apps match by template and label, then by template and IdP Entity ID (`domain`), each
//!   one-to-one ([`Keys::resolve`] names the candidates otherwise); see `resolve_sso_apps`.
//! - Nothing keys on "": a live object with an empty name is keyed by its remote id, and an
//!   empty declared key or email matches nothing.
//!
//! AD domains match by normalised domain: a live domain the files declare takes that config
//! key, an undeclared one its dotted domain (`ad_domain["corp.example.com"]`). M365 tenants
//! match by id: a declared one takes its config key, an undeclared one its name (or its id when
//! it has no name). An undeclared object whose natural key is already taken by a declared one
//! falls back to its remote id, so two objects never share a key.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

// foldhash: seeded per process like std's SipHash, several times faster on the short ids and
// names an org of 100,000 users is looked up by (issue 13).
use foldhash::{HashMap, HashMapExt};

use super::error::PlanError;
use super::ownership::Ignored;
use crate::model::live::{LiveGroup, LiveSsoApp, LiveState, LiveUser};
use crate::model::{email_key_cow, Address, Binding, Directory, Model, Subject};

/// The form two names are compared in: simple Unicode lower case. JumpCloud treats usernames,
/// emails and group names that differ only in letter case as the same.
pub fn fold(name: &str) -> String {
    name.to_lowercase()
}

/// [`fold`] without a copy when the name is already in its folded form (ASCII with no capital
/// letter: the common case, and the only one where lower-casing is known to change nothing).
pub fn fold_cow(name: &str) -> Cow<'_, str> {
    if name
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
    {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(fold(name))
    }
}

/// A one-to-one mapping between remote ids and config keys for one kind. Hash maps: the diff,
/// the org states and lint look up every member and binding of the org here. Each id and key
/// is allocated once and shared by both directions (an org of 100,000 users has 100,000 pairs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    by_id: HashMap<Arc<str>, Arc<str>>,
    by_key: HashMap<Arc<str>, Arc<str>>,
}

impl KeyMap {
    /// Room for `n` pairs, so that mapping a whole collection grows no table.
    fn reserve(&mut self, n: usize) {
        self.by_id.reserve(n);
        self.by_key.reserve(n);
    }

    /// Records `id <-> key`, unless either side is taken (first come wins).
    fn insert(&mut self, id: &str, key: &str) -> bool {
        if self.by_id.contains_key(id) || self.by_key.contains_key(key) {
            return false;
        }
        let (id, key): (Arc<str>, Arc<str>) = (id.into(), key.into());
        self.by_id.insert(Arc::clone(&id), Arc::clone(&key));
        self.by_key.insert(key, id);
        true
    }

    /// Records `id <-> key`, or `id <-> id` when the key is taken or empty.
    fn insert_or_id(&mut self, id: &str, key: &str) {
        if key.is_empty() || !self.insert(id, key) {
            self.insert(id, id);
        }
    }

    /// The config key of a remote id.
    pub fn key(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(|k| &**k)
    }

    /// The config key of a remote id, shared: a clone is a count, not a copy.
    pub fn shared_key(&self, id: &str) -> Option<&Arc<str>> {
        self.by_id.get(id)
    }

    /// The remote id of a config key.
    pub fn id(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(|i| &**i)
    }

    /// (remote id, key) pairs, by remote id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut pairs: Vec<(&str, &str)> = self.by_id.iter().map(|(i, k)| (&**i, &**k)).collect();
        pairs.sort_unstable();
        pairs.into_iter()
    }
}

/// Config keys of every live object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    pub users: KeyMap,
    pub groups: KeyMap,
    pub ad_domains: KeyMap,
    pub m365_tenants: KeyMap,
    pub sso_apps: KeyMap,
    /// Declared username -> the live username of the user it renames (matched by email).
    pub renamed_users: BTreeMap<String, String>,
    /// Declared group name -> the live name of the group it renames (matched by members and
    /// bindings).
    pub renamed_groups: BTreeMap<String, String>,
    /// Each live group's direct members as user keys, by the group's remote id: sorted, each
    /// once, members without a key (no such live user) left out. Resolved once per plan because
    /// the diff, the org state before the plan and apply's ordering hints all read them: at
    /// 100,000 users that is 325,000 lookups, each a cache miss, that were done three times.
    live_members: HashMap<Arc<str>, Arc<BTreeSet<Arc<str>>>>,
    /// Which declared user each live user is, by position, so that walks over both need no
    /// lookup by key or id (at 100,000 users those were a cache miss each).
    user_match: UserMatch,
}

/// Declared users matched to live users (by username, or by email when renamed), by position:
/// declared users in `Model::users` order, live users in `LiveState::users` (id) order. Holds
/// exactly the pairs the mapping `Keys::users` records for a declared key; valid only for the
/// model and org the keys were made from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct UserMatch {
    /// By declared position: the live position it is matched to.
    live_of: Vec<Option<usize>>,
    /// By live position: the declared position it is matched to.
    declared_of: Vec<Option<usize>>,
}

/// `name` (id), for messages.
fn named(name: &str, id: &str) -> String {
    format!("`{name}` (id {id})")
}

fn list(items: &[String]) -> String {
    items.join(", ")
}

/// What identifies a group besides its name: its direct members (user keys) and the declared
/// directories it is bound to. A new group and a group the files no longer name are "the same"
/// when the new group's bindings equal the live group's bindings to directories the files
/// declare, its `members` (when it declares them) equal the live members of a static group, and
/// there is something to compare: at least one member or binding. Two empty groups prove
/// nothing, so they are never matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// `None`: the files leave the members unmanaged (then only bindings count).
    pub members: Option<BTreeSet<String>>,
    pub bindings: BTreeSet<Directory>,
}

/// Does new group `new` (declared) repeat live group `old` (as [`Evidence`])?
pub fn evidence(new: &Evidence, old: &Evidence, old_dynamic: bool) -> bool {
    let has_members = new.members.as_ref().is_some_and(|m| !m.is_empty());
    if !has_members && new.bindings.is_empty() {
        return false;
    }
    if new.members.is_some() && old_dynamic {
        return false;
    }
    let members_agree = match &new.members {
        None => true,
        Some(m) => Some(m) == old.members.as_ref(),
    };
    members_agree && new.bindings == old.bindings
}

/// The live objects (by position) one folded name or email belongs to: nearly always one, so
/// no list is allocated unless a second turns up.
enum Holders {
    One([usize; 1]),
    Many(Vec<usize>),
}

impl Holders {
    fn add<'n>(map: &mut HashMap<Cow<'n, str>, Holders>, name: Cow<'n, str>, at: usize) {
        map.entry(name)
            .and_modify(|h| match h {
                Holders::One([first]) => *h = Holders::Many(vec![*first, at]),
                Holders::Many(all) => all.push(at),
            })
            .or_insert(Holders::One([at]));
    }

    fn all(&self) -> &[usize] {
        match self {
            Holders::One(one) => one,
            Holders::Many(all) => all,
        }
    }
}

impl Keys {
    /// The mapping, best effort: an ambiguous key stays unmatched. Only for views of an org a
    /// plan was already made for ([`Keys::resolve`] gave no errors); the diff uses `resolve`.
    pub fn new(model: &Model, live: &LiveState) -> Keys {
        Keys::resolve(model, live).0
    }

    /// The mapping and every identity error: a key two live objects match (names or emails that
    /// differ only in case), a live object two declared keys match, a new user whose email
    /// belongs to another live user the plan would not rename, a rename with several
    /// candidates. A plan is only made when the list is empty.
    pub fn resolve(model: &Model, live: &LiveState) -> (Keys, Vec<PlanError>) {
        let mut keys = Keys::default();
        let mut errors = Vec::new();
        let ignored = Ignored::new(&model.settings);
        keys.directories(model, live);
        keys.resolve_sso_apps(model, live, &mut errors);
        keys.resolve_users(model, live, &ignored, &mut errors);
        keys.resolve_groups(model, live, &ignored, &mut errors);
        keys.live_members = live
            .groups
            .iter()
            .map(|(id, g)| {
                let mut members: Vec<Arc<str>> = g
                    .members
                    .iter()
                    .filter_map(|m| keys.users.shared_key(m).cloned())
                    .collect();
                // Sorted first: the set is then built in one pass rather than by inserts.
                members.sort_unstable();
                (
                    Arc::from(id.as_str()),
                    Arc::new(members.into_iter().collect()),
                )
            })
            .collect();
        (keys, errors)
    }

    /// The live user (position in `live.users`, id order) that the declared user at position
    /// `declared_at` of `model.users` is matched to, by username or by email. `None` when it is
    /// matched to none (then it is new; the caller may still ask `self.users` for a key the
    /// mapping gave some other way). Positions are those of the model and org the keys were
    /// made from.
    pub fn matched_live(&self, declared_at: usize) -> Option<usize> {
        self.user_match.live_of.get(declared_at).copied().flatten()
    }

    /// The declared user (position in `model.users`) the live user at position `live_at` of
    /// `live.users` is matched to; `None` when it is matched to none.
    pub fn matched_declared(&self, live_at: usize) -> Option<usize> {
        self.user_match.declared_of.get(live_at).copied().flatten()
    }

    /// The direct members of live group `id` (a remote id) as user keys, sorted, each once;
    /// members that are no live user are left out. Empty for an id that is no live group.
    pub fn live_members(&self, id: &str) -> &BTreeSet<Arc<str>> {
        static NONE: BTreeSet<Arc<str>> = BTreeSet::new();
        self.live_members.get(id).map_or(&NONE, |m| m)
    }

    /// [`Keys::live_members`], shared: the org state before the plan holds these very sets,
    /// copied only for a group the plan changes.
    pub fn shared_live_members(&self, id: &str) -> Arc<BTreeSet<Arc<str>>> {
        self.live_members.get(id).cloned().unwrap_or_default()
    }

    fn directories(&mut self, model: &Model, live: &LiveState) {
        // Declared keys first, so undeclared objects can never take them.
        let declared_ad: BTreeMap<&str, &str> = model
            .ad_domains
            .iter()
            .map(|(k, d)| (d.domain.as_str(), k.as_str()))
            .collect();
        for (id, d) in &live.ad_domains {
            if let Some(key) = declared_ad.get(d.domain.as_str()) {
                self.ad_domains.insert(id, key);
            }
        }
        for (id, d) in &live.ad_domains {
            if self.ad_domains.key(id).is_none() {
                // A declared key may equal this dotted domain only by accident; skip it.
                let key = if model.ad_domains.contains_key(&d.domain) {
                    id.as_str()
                } else {
                    d.domain.as_str()
                };
                self.ad_domains.insert_or_id(id, key);
            }
        }

        for (key, t) in &model.m365_tenants {
            if live.m365_tenants.contains_key(&t.id) {
                self.m365_tenants.insert(&t.id, key);
            }
        }
        for (id, t) in &live.m365_tenants {
            if self.m365_tenants.key(id).is_none() {
                let name = t.name.as_deref().unwrap_or(id);
                let key = if model.m365_tenants.contains_key(name) {
                    id.as_str()
                } else {
                    name
                };
                self.m365_tenants.insert_or_id(id, key);
            }
        }
    }

    /// SSO apps, in three steps, each one-to-one or an error (never a silent pick):
    /// 1. catalogue name (`template`) and label (`display_label`, else the config key; compared
    ///    without regard to case). Two live apps of the template with that label are an
    ///    `ambiguous-match` error naming both remote ids; two declared apps one live app matches
    ///    a `name-collision`.
    /// 2. A declared app step 1 left unmatched takes the live app of its template that no key
    ///    matched and whose IdP Entity ID equals its `domain` (without regard to case), when
    ///    exactly one such live app and one such declared app share it: a label edit is an
    ///    update, not a second app with a new signing certificate. Several candidates on either
    ///    side are an `ambiguous-rename` error naming them.
    /// 3. Failing that, a declared app takes the one live app of its template that no key
    ///    matched when it is the only declared app of its template.
    ///
    /// An undeclared app is keyed by its label (or its id when taken or empty).
    fn resolve_sso_apps(&mut self, model: &Model, live: &LiveState, errors: &mut Vec<PlanError>) {
        let describe = |apps: &[&LiveSsoApp]| -> Vec<String> {
            apps.iter()
                .map(|l| named(l.display_label.as_deref().unwrap_or(""), &l.id))
                .collect()
        };
        // id -> declared key, and the declared keys settled (matched or in error).
        let mut claimed: BTreeMap<String, String> = BTreeMap::new();
        let mut settled: BTreeSet<String> = BTreeSet::new();
        for (key, app) in &model.sso_apps {
            let label = fold(app.label(key));
            let address = Address::SsoApp(key.clone());
            let found: Vec<&LiveSsoApp> = live
                .sso_apps
                .values()
                .filter(|l| {
                    l.template == app.template
                        && !label.is_empty()
                        && l.display_label.as_deref().map(fold).as_deref() == Some(label.as_str())
                })
                .collect();
            match found.as_slice() {
                [] => {}
                [l] => {
                    settled.insert(key.clone());
                    if let Some(other) = claimed.get(&l.id) {
                        errors.push(PlanError::new(
                            "name-collision",
                            address,
                            Some("display_label"),
                            format!(
                                "the files declare SSO apps `{other}` and `{key}` with the same \
                                 template and label (compared without regard to letter case): \
                                 both would be live app {}",
                                named(l.display_label.as_deref().unwrap_or(""), &l.id)
                            ),
                            "give each app its own `display_label`",
                        ));
                    } else {
                        claimed.insert(l.id.clone(), key.clone());
                    }
                }
                many => {
                    settled.insert(key.clone());
                    errors.push(PlanError::new(
                        "ambiguous-match",
                        address,
                        Some("display_label"),
                        format!(
                            "SSO app `{key}` matches {} live `{}` apps with its label (compared \
                             without regard to letter case): {}; jcform cannot tell which one the files mean, \
                             so nothing is planned",
                            many.len(),
                            app.template,
                            list(&describe(many))
                        ),
                        "delete or relabel the duplicate app in the JumpCloud console (check \
                         which one Microsoft 365 is federated to: its certificate is the one in \
                         use), then plan again",
                    ));
                }
            }
        }

        // Step 2: template + IdP Entity ID, one-to-one.
        let mut pairs: Vec<(&String, &LiveSsoApp)> = Vec::new();
        for (key, app) in &model.sso_apps {
            if settled.contains(key) {
                continue;
            }
            let Some(domain) = app.domain.as_deref().map(fold).filter(|d| !d.is_empty()) else {
                continue;
            };
            for l in live.sso_apps.values() {
                if l.template == app.template
                    && !claimed.contains_key(&l.id)
                    && l.idp_entity_id.as_deref().map(fold).as_deref() == Some(domain.as_str())
                {
                    pairs.push((key, l));
                }
            }
        }
        for (key, l) in &pairs {
            let olds: Vec<&LiveSsoApp> = pairs
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, l)| *l)
                .collect();
            let news: Vec<&String> = pairs
                .iter()
                .filter(|(_, o)| o.id == l.id)
                .map(|(k, _)| *k)
                .collect();
            let address = Address::SsoApp((*key).clone());
            if olds.len() > 1 {
                if settled.insert((*key).clone()) {
                    errors.push(PlanError::new(
                        "ambiguous-rename",
                        address,
                        Some("domain"),
                        format!(
                            "SSO app `{key}` matches no live app by label, and {} live apps the \
                             files no longer name have its IdP Entity ID: {}; jcform cannot tell \
                             which one is being relabelled, so nothing is planned",
                            olds.len(),
                            list(&describe(&olds))
                        ),
                        "declare the apps that stay under their current labels, or delete the \
                         duplicate in the JumpCloud console, so exactly one candidate is left",
                    ));
                }
            } else if news.len() > 1 {
                if settled.insert((*key).clone()) {
                    let all: Vec<String> = news.iter().map(|k| format!("`{k}`")).collect();
                    errors.push(PlanError::new(
                        "ambiguous-rename",
                        address,
                        Some("domain"),
                        format!(
                            "SSO apps {} have the IdP Entity ID of live app {}, which the files \
                             no longer name; jcform cannot tell which one it is relabelled to, \
                             so nothing is planned",
                            list(&all),
                            named(l.display_label.as_deref().unwrap_or(""), &l.id)
                        ),
                        "give each declared app its own `domain`",
                    ));
                }
            } else {
                settled.insert((*key).clone());
                claimed.insert(l.id.clone(), (*key).clone());
            }
        }

        // Step 3: the one free live app of the template, for the only declared app of it.
        for (key, app) in &model.sso_apps {
            if settled.contains(key) {
                continue;
            }
            let free: Vec<&str> = live
                .sso_apps
                .values()
                .filter(|l| l.template == app.template && !claimed.contains_key(&l.id))
                .map(|l| l.id.as_str())
                .collect();
            let declared_same_template = model
                .sso_apps
                .values()
                .filter(|a| a.template == app.template)
                .count();
            if let ([id], 1) = (free.as_slice(), declared_same_template) {
                claimed.insert((*id).to_string(), key.clone());
            }
        }
        for (id, key) in &claimed {
            self.sso_apps.insert(id, key);
        }
        for (id, l) in &live.sso_apps {
            if self.sso_apps.key(id).is_none() {
                let label = l.display_label.as_deref().unwrap_or(id);
                let key = if model.sso_apps.contains_key(label) {
                    id.as_str()
                } else {
                    label
                };
                self.sso_apps.insert_or_id(id, key);
            }
        }
    }

    fn resolve_users(
        &mut self,
        model: &Model,
        live: &LiveState,
        ignored: &Ignored,
        errors: &mut Vec<PlanError>,
    ) {
        // Live users by position (id order). What is known about each is kept by position too:
        // at 100,000 users, maps keyed by their 24-character ids were most of this function.
        let users: Vec<&LiveUser> = live.users.values().collect();
        let mut by_name: HashMap<Cow<str>, Holders> = HashMap::with_capacity(users.len());
        let mut by_email: HashMap<Cow<str>, Holders> = HashMap::with_capacity(users.len());
        for (at, u) in users.iter().enumerate() {
            if !u.username.is_empty() {
                Holders::add(&mut by_name, fold_cow(&u.username), at);
            }
            if let Some(e) = u.attrs.email.as_deref().filter(|e| !e.is_empty()) {
                Holders::add(&mut by_email, email_key_cow(e), at);
            }
        }
        let describe = |holders: &[usize]| -> Vec<String> {
            holders
                .iter()
                .map(|&at| named(&users[at].username, &users[at].id))
                .collect()
        };
        // By live position: the declared key that claims the user, and whether a declared key
        // folds to its username (matched or not: then it is never keyed by that name).
        // Each claim carries the key's position among the declared users, for `UserMatch`.
        let mut claimed: Vec<Option<(usize, &String)>> = vec![None; users.len()];
        let mut name_declared: Vec<bool> = vec![false; users.len()];
        // By declared position (`model.users` order): the key is settled (matched or in error).
        let mut settled: Vec<bool> = vec![false; model.users.len()];
        for (declared_at, key) in model.users.keys().enumerate() {
            if key.is_empty() {
                continue;
            }
            let address = || Address::User(key.clone());
            let holders = by_name
                .get(fold_cow(key).as_ref())
                .map_or(&[][..], Holders::all);
            for &at in holders {
                name_declared[at] = true;
            }
            match holders {
                [] => {}
                [at] => {
                    let u = users[*at];
                    settled[declared_at] = true;
                    if let Some((_, other)) = claimed[*at] {
                        errors.push(PlanError::new(
                            "name-collision",
                            address(),
                            None,
                            format!(
                                "the files declare users `{other}` and `{key}`, which JumpCloud \
                                 treats as one username: both would be live user {}",
                                named(&u.username, &u.id)
                            ),
                            "declare the user once (usernames are compared without regard to \
                             letter case)",
                        ));
                    } else {
                        claimed[*at] = Some((declared_at, key));
                    }
                }
                many => {
                    settled[declared_at] = true;
                    errors.push(PlanError::new(
                        "ambiguous-match",
                        address(),
                        None,
                        format!(
                            "user `{key}` matches {} live users whose usernames differ only in \
                             letter case: {}; jcform cannot tell which one the files mean, so \
                             nothing is planned",
                            many.len(),
                            list(&describe(many))
                        ),
                        "merge or rename the duplicate accounts in the JumpCloud console so that \
                         one username remains, then plan again",
                    ));
                }
            }
        }

        // Renames: a new key whose email belongs to a live user the files no longer name.
        // Live position -> the new keys that want it (in id order, as the org is read).
        let mut wanted: BTreeMap<usize, Vec<(usize, &String)>> = BTreeMap::new();
        for (declared_at, ((key, user), settled)) in model.users.iter().zip(&settled).enumerate() {
            if key.is_empty() || *settled {
                continue;
            }
            let Some(email) = user.attrs.email.as_deref().filter(|e| !e.is_empty()) else {
                continue;
            };
            let Some(holders) = by_email
                .get(email_key_cow(email).as_ref())
                .map(Holders::all)
            else {
                continue;
            };
            let address = Address::User(key.clone());
            if holders.len() > 1 {
                errors.push(PlanError::new(
                    "ambiguous-match",
                    address,
                    Some("email"),
                    format!(
                        "user `{key}` is not in the org, and its email `{email}` belongs to {} \
                         live users whose emails differ only in letter case: {}; jcform cannot \
                         tell which one is renamed, so nothing is planned",
                        holders.len(),
                        list(&describe(holders))
                    ),
                    "fix the duplicate emails in the JumpCloud console so that one user has it, \
                     then plan again",
                ));
                continue;
            }
            let u = users[holders[0]];
            if let Some((_, other)) = claimed[holders[0]] {
                errors.push(PlanError::new(
                    "name-collision",
                    address,
                    Some("email"),
                    format!(
                        "user `{key}` is not in the org, and its email `{email}` belongs to live \
                         user {}, which the files declare as `{other}`; emails are unique in \
                         JumpCloud, so creating `{key}` would be refused",
                        named(&u.username, &u.id)
                    ),
                    format!(
                        "give `{key}` another email; if `{key}` is `{other}` renamed, remove \
                         `{other}` from the files and the plan renames it (to move an email \
                         between two users, change the old holder's email in an apply first)"
                    ),
                ));
                continue;
            }
            if ignored.user(&u.username) {
                errors.push(PlanError::new(
                    "name-collision",
                    address,
                    Some("email"),
                    format!(
                        "user `{key}` is not in the org, and its email `{email}` belongs to live \
                         user {}, which settings.ignore.users matches; jcform never touches an \
                         ignored user, and emails are unique, so creating `{key}` would be \
                         refused",
                        named(&u.username, &u.id)
                    ),
                    format!(
                        "give `{key}` another email, or take `{}` out of settings.ignore.users so \
                         the plan renames it to `{key}`",
                        u.username
                    ),
                ));
                continue;
            }
            wanted
                .entry(holders[0])
                .or_default()
                .push((declared_at, key));
        }
        for (&at, claimants) in &wanted {
            let u = users[at];
            if let [(declared_at, key)] = claimants.as_slice() {
                claimed[at] = Some((*declared_at, key));
                self.renamed_users
                    .insert((*key).clone(), u.username.clone());
            } else {
                for (_, key) in claimants {
                    errors.push(PlanError::new(
                        "ambiguous-rename",
                        Address::User((*key).clone()),
                        Some("email"),
                        format!(
                            "new users {} all have the email of live user {}, which the files \
                             no longer name; only one of them can be that user renamed",
                            list(
                                &claimants
                                    .iter()
                                    .map(|(_, k)| format!("`{k}`"))
                                    .collect::<Vec<_>>()
                            ),
                            named(&u.username, &u.id)
                        ),
                        "give each user its own email",
                    ));
                }
            }
        }

        // The matched users first (in id order), so the others can never take their keys.
        self.users.reserve(users.len());
        self.user_match = UserMatch {
            live_of: vec![None; model.users.len()],
            declared_of: vec![None; users.len()],
        };
        for (at, (u, claim)) in users.iter().zip(&claimed).enumerate() {
            if let Some((declared_at, key)) = claim {
                if self.users.insert(&u.id, key) {
                    self.user_match.live_of[*declared_at] = Some(at);
                    self.user_match.declared_of[at] = Some(*declared_at);
                }
            }
        }
        for ((u, key), name_declared) in users.iter().zip(&claimed).zip(&name_declared) {
            if key.is_some() {
                continue;
            }
            // A live name a declared key matches is never keyed by it unless it was matched
            // (an ambiguous one is keyed by its id): a declared key names one object or none.
            let key = if *name_declared {
                u.id.as_str()
            } else {
                u.username.as_str()
            };
            self.users.insert_or_id(&u.id, key);
        }
    }

    fn resolve_groups(
        &mut self,
        model: &Model,
        live: &LiveState,
        ignored: &Ignored,
        errors: &mut Vec<PlanError>,
    ) {
        let mut by_name: BTreeMap<String, Vec<&LiveGroup>> = BTreeMap::new();
        for g in live.groups.values() {
            if !g.name.is_empty() {
                by_name.entry(fold(&g.name)).or_default().push(g);
            }
        }
        let mut claimed: BTreeMap<String, String> = BTreeMap::new();
        let mut settled: BTreeSet<String> = BTreeSet::new();
        for key in model.groups.keys() {
            if key.is_empty() {
                continue;
            }
            let address = Address::Group(key.clone());
            match by_name.get(&fold(key)).map(Vec::as_slice) {
                None | Some([]) => {}
                Some([g]) => {
                    settled.insert(key.clone());
                    if let Some(other) = claimed.get(&g.id) {
                        errors.push(PlanError::new(
                            "name-collision",
                            address,
                            None,
                            format!(
                                "the files declare groups `{other}` and `{key}`, which JumpCloud \
                                 treats as one name: both would be live group {}",
                                named(&g.name, &g.id)
                            ),
                            "declare the group once (group names are compared without regard \
                             to letter case)",
                        ));
                    } else {
                        claimed.insert(g.id.clone(), key.clone());
                    }
                }
                Some(many) => {
                    settled.insert(key.clone());
                    let found: Vec<String> = many.iter().map(|g| named(&g.name, &g.id)).collect();
                    errors.push(PlanError::new(
                        "ambiguous-match",
                        address,
                        None,
                        format!(
                            "group `{key}` matches {} live groups with that name (compared \
                             without regard to letter case): {}; jcform cannot tell which one the \
                             files mean, so nothing is planned",
                            many.len(),
                            list(&found)
                        ),
                        "rename or delete the duplicate groups in the JumpCloud console so that \
                         one keeps the name, then plan again",
                    ));
                }
            }
        }

        // Renames by evidence, between new groups and groups the files no longer name.
        let new: Vec<&String> = model
            .groups
            .keys()
            .filter(|k| !k.is_empty() && !settled.contains(*k))
            .collect();
        let unnamed: Vec<&LiveGroup> = live
            .groups
            .values()
            .filter(|g| !claimed.contains_key(&g.id) && !ignored.group(&g.name))
            .collect();
        let mut pairs: Vec<(&String, &LiveGroup)> = Vec::new();
        if !new.is_empty() && !unnamed.is_empty() {
            let declared_dir = |d: &Directory| match d {
                Directory::AdDomain(k) => model.ad_domains.contains_key(k),
                Directory::M365Tenant(k) => model.m365_tenants.contains_key(k),
                Directory::SsoApp(k) => model.sso_apps.contains_key(k),
            };
            let live_evidence: Vec<Evidence> = unnamed
                .iter()
                .map(|g| Evidence {
                    members: Some(
                        g.members
                            .iter()
                            .map(|id| self.users.key(id).unwrap_or(id).to_string())
                            .collect(),
                    ),
                    bindings: live
                        .bindings
                        .iter()
                        .filter(|b| b.subject == Subject::Group(g.id.clone()))
                        .filter_map(|b| self.directory_key(&b.directory))
                        .filter(|d| declared_dir(d))
                        .collect(),
                })
                .collect();
            for key in &new {
                let group = &model.groups[*key];
                let ev = Evidence {
                    members: group.members.clone(),
                    bindings: model
                        .bindings
                        .iter()
                        .filter(|b| b.subject == Subject::Group((*key).clone()))
                        .map(|b| b.directory.clone())
                        .collect(),
                };
                for (g, old) in unnamed.iter().zip(&live_evidence) {
                    if evidence(&ev, old, g.membership_method.is_dynamic()) {
                        pairs.push((key, g));
                    }
                }
            }
        }
        for (key, g) in &pairs {
            let olds: Vec<&LiveGroup> = pairs
                .iter()
                .filter(|(k, _)| k == key)
                .map(|(_, g)| *g)
                .collect();
            let news: Vec<&String> = pairs
                .iter()
                .filter(|(_, o)| o.id == g.id)
                .map(|(k, _)| *k)
                .collect();
            let address = Address::Group((*key).clone());
            if olds.len() > 1 {
                let found: Vec<String> = olds.iter().map(|g| named(&g.name, &g.id)).collect();
                errors.push(PlanError::new(
                    "ambiguous-rename",
                    address,
                    None,
                    format!(
                        "new group `{key}` has the same members and bindings as {} groups the \
                         files no longer name: {}; jcform cannot tell which one is being renamed, \
                         so nothing is planned",
                        olds.len(),
                        list(&found)
                    ),
                    "declare the groups that stay under their current names (or list them in \
                     settings.ignore.groups), so exactly one candidate is left",
                ));
            } else if news.len() > 1 {
                let all: Vec<String> = news.iter().map(|k| format!("`{k}`")).collect();
                errors.push(PlanError::new(
                    "ambiguous-rename",
                    address,
                    None,
                    format!(
                        "new groups {} have the same members and bindings as group {}, which the \
                         files no longer name; jcform cannot tell which one it is renamed to, so \
                         nothing is planned",
                        list(&all),
                        named(&g.name, &g.id)
                    ),
                    format!(
                        "declare `{}` under one of the new names, or make the new groups differ in \
                         members or bindings",
                        g.name
                    ),
                ));
            } else {
                claimed.insert(g.id.clone(), (*key).clone());
                self.renamed_groups.insert((*key).clone(), g.name.clone());
            }
        }

        let declared_folds: BTreeSet<String> = model.groups.keys().map(|k| fold(k)).collect();
        for (id, key) in &claimed {
            self.groups.insert(id, key);
        }
        for (id, g) in &live.groups {
            if claimed.contains_key(id) {
                continue;
            }
            let key = if declared_folds.contains(&fold(&g.name)) {
                id.as_str()
            } else {
                g.name.as_str()
            };
            self.groups.insert_or_id(id, key);
        }
    }

    /// A live directory (remote id) as a config-keyed directory.
    pub fn directory_key(&self, d: &Directory) -> Option<Directory> {
        Some(match d {
            Directory::AdDomain(id) => Directory::AdDomain(self.ad_domains.key(id)?.to_string()),
            Directory::M365Tenant(id) => {
                Directory::M365Tenant(self.m365_tenants.key(id)?.to_string())
            }
            Directory::SsoApp(id) => Directory::SsoApp(self.sso_apps.key(id)?.to_string()),
        })
    }

    /// A config-keyed directory as its remote id, when the org has it.
    pub fn directory_id(&self, d: &Directory) -> Option<Directory> {
        Some(match d {
            Directory::AdDomain(k) => Directory::AdDomain(self.ad_domains.id(k)?.to_string()),
            Directory::M365Tenant(k) => Directory::M365Tenant(self.m365_tenants.id(k)?.to_string()),
            Directory::SsoApp(k) => Directory::SsoApp(self.sso_apps.id(k)?.to_string()),
        })
    }

    pub fn subject_key(&self, s: &Subject) -> Option<Subject> {
        Some(match s {
            Subject::User(id) => Subject::User(self.users.key(id)?.to_string()),
            Subject::Group(id) => Subject::Group(self.groups.key(id)?.to_string()),
        })
    }

    pub fn subject_id(&self, s: &Subject) -> Option<Subject> {
        Some(match s {
            Subject::User(k) => Subject::User(self.users.id(k)?.to_string()),
            Subject::Group(k) => Subject::Group(self.groups.id(k)?.to_string()),
        })
    }

    /// A live binding (remote ids) under config keys; `None` if an end is not in the live state.
    pub fn binding_key(&self, b: &Binding) -> Option<Binding> {
        Some(Binding {
            directory: self.directory_key(&b.directory)?,
            subject: self.subject_key(&b.subject)?,
        })
    }

    /// A config-keyed binding as remote ids, when both ends exist in the org.
    pub fn binding_id(&self, b: &Binding) -> Option<Binding> {
        Some(Binding {
            directory: self.directory_id(&b.directory)?,
            subject: self.subject_id(&b.subject)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::live::{LiveAdDomain, LiveM365Tenant, LiveUser};
    use crate::model::{AdDomain, Delegation, M365Tenant, UseCase};

    fn live_ad(id: &str, domain: &str) -> LiveAdDomain {
        LiveAdDomain {
            id: id.into(),
            domain: domain.into(),
            api_domain: crate::model::ad_domain_to_dn(domain),
            use_case: UseCase::Unset,
            delegation: Delegation::Disabled,
            groups_enabled: false,
            agents: vec![],
            primary_import_agent: None,
            raw: serde_json::Value::Null,
        }
    }

    fn live_tenant(id: &str, name: Option<&str>) -> LiveM365Tenant {
        LiveM365Tenant {
            id: id.into(),
            name: name.map(Into::into),
            groups_enabled: false,
            default_domain: None,
            user_lockout_action: None,
            user_password_expiration_action: None,
            domains: vec![],
            raw: serde_json::Value::Null,
        }
    }

    #[test]
    fn keys_map_both_ways() {
        let mut model = Model::default();
        model.ad_domains.insert(
            "corp".into(),
            AdDomain {
                domain: "corp.example.com".into(),
                ..AdDomain::default()
            },
        );
        model.m365_tenants.insert(
            "contoso".into(),
            M365Tenant {
                id: "t1".into(),
                ..M365Tenant::default()
            },
        );
        let mut live = LiveState::default();
        live.users.insert(
            "u1".into(),
            LiveUser {
                id: "u1".into(),
                username: "alice".into(),
                ..LiveUser::default()
            },
        );
        live.ad_domains
            .insert("a1".into(), live_ad("a1", "corp.example.com"));
        live.ad_domains
            .insert("a2".into(), live_ad("a2", "emea.example.com"));
        live.m365_tenants
            .insert("t1".into(), live_tenant("t1", Some("Contoso")));
        live.m365_tenants
            .insert("t2".into(), live_tenant("t2", Some("Fabrikam")));
        live.m365_tenants
            .insert("t3".into(), live_tenant("t3", None));
        // An undeclared tenant whose name is a declared key falls back to its id.
        live.m365_tenants
            .insert("t4".into(), live_tenant("t4", Some("contoso")));

        let keys = Keys::new(&model, &live);
        assert_eq!(keys.users.key("u1"), Some("alice"));
        assert_eq!(keys.users.id("alice"), Some("u1"));
        assert_eq!(keys.ad_domains.key("a1"), Some("corp"));
        assert_eq!(keys.ad_domains.key("a2"), Some("emea.example.com"));
        assert_eq!(keys.ad_domains.id("corp"), Some("a1"));
        assert_eq!(keys.m365_tenants.key("t1"), Some("contoso"));
        assert_eq!(keys.m365_tenants.key("t2"), Some("Fabrikam"));
        assert_eq!(keys.m365_tenants.key("t3"), Some("t3"));
        assert_eq!(keys.m365_tenants.key("t4"), Some("t4"));

        let b = Binding {
            directory: Directory::AdDomain("a1".into()),
            subject: Subject::User("u1".into()),
        };
        let k = keys.binding_key(&b);
        assert_eq!(
            k,
            Some(Binding {
                directory: Directory::AdDomain("corp".into()),
                subject: Subject::User("alice".into()),
            })
        );
        assert_eq!(k.and_then(|k| keys.binding_id(&k)), Some(b));
    }

    #[test]
    fn users_one_name_three_holders_is_an_error_and_none_takes_the_key() {
        let mut model = Model::default();
        model
            .users
            .insert("MLopez".into(), crate::model::User::default());
        let mut live = LiveState::default();
        for (id, name) in [
            ("u1", "mlopez"),
            ("u2", "MLOPEZ"),
            ("u3", "MLopez"),
            ("u4", "ann"),
        ] {
            live.users.insert(
                id.into(),
                LiveUser {
                    id: id.into(),
                    username: name.into(),
                    ..LiveUser::default()
                },
            );
        }
        let (keys, errors) = Keys::resolve(&model, &live);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, "ambiguous-match");
        assert!(
            errors[0].message.contains("matches 3 live users")
                && ["u1", "u2", "u3"]
                    .iter()
                    .all(|id| errors[0].message.contains(id)),
            "{}",
            errors[0].message
        );
        // No pick: the declared key names nothing, the live users keep their ids as keys.
        assert_eq!(keys.users.id("MLopez"), None);
        for id in ["u1", "u2", "u3"] {
            assert_eq!(keys.users.key(id), Some(id));
        }
        assert_eq!(keys.users.key("u4"), Some("ann"));
    }

    fn live_app(id: &str, label: &str, issuer: &str) -> LiveSsoApp {
        LiveSsoApp {
            id: id.into(),
            template: "office365".into(),
            display_label: Some(label.into()),
            idp_entity_id: Some(issuer.into()),
            ..LiveSsoApp::default()
        }
    }

    fn declared(label: &str, domain: &str) -> crate::model::SsoApp {
        crate::model::SsoApp {
            template: "office365".into(),
            display_label: Some(label.into()),
            domain: Some(domain.into()),
            ..crate::model::SsoApp::default()
        }
    }

    #[test]
    fn sso_apps_match_one_to_one_or_not_at_all() {
        // Two live apps with the label (one differs in case): an error naming both ids.
        let mut model = Model::default();
        model
            .sso_apps
            .insert("m365".into(), declared("Microsoft 365", "example.com"));
        let mut live = LiveState::default();
        for a in [
            live_app("a0", "microsoft 365", "test.example"),
            live_app("a1", "Microsoft 365", "example.com"),
        ] {
            live.sso_apps.insert(a.id.clone(), a);
        }
        let (keys, errors) = Keys::resolve(&model, &live);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, "ambiguous-match");
        assert!(errors[0].message.contains("a0") && errors[0].message.contains("a1"));
        assert_eq!(keys.sso_apps.id("m365"), None, "no pick");

        // A relabelled app among two declared ones: matched by its IdP Entity ID.
        let mut model = Model::default();
        model.sso_apps.insert(
            "m365".into(),
            declared("Microsoft 365 (Contoso)", "Example.COM"),
        );
        model
            .sso_apps
            .insert("test".into(), declared("M365 test", "test.example.com"));
        let mut live = LiveState::default();
        for a in [
            live_app("a1", "Microsoft 365", "example.com"),
            live_app("a2", "M365 test", "test.example.com"),
        ] {
            live.sso_apps.insert(a.id.clone(), a);
        }
        let (keys, errors) = Keys::resolve(&model, &live);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(keys.sso_apps.id("m365"), Some("a1"));
        assert_eq!(keys.sso_apps.id("test"), Some("a2"));

        // Two unnamed live apps with that IdP Entity ID: an error naming both.
        live.sso_apps
            .insert("a3".into(), live_app("a3", "Old M365", "example.com"));
        let (keys, errors) = Keys::resolve(&model, &live);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, "ambiguous-rename");
        assert!(errors[0].message.contains("a1") && errors[0].message.contains("a3"));
        assert_eq!(keys.sso_apps.id("m365"), None);

        // Two declared apps with one label: a collision, not a silent second app.
        let mut model = Model::default();
        model
            .sso_apps
            .insert("one".into(), declared("Microsoft 365", "example.com"));
        model
            .sso_apps
            .insert("two".into(), declared("MICROSOFT 365", "example.com"));
        let mut live = LiveState::default();
        live.sso_apps
            .insert("a1".into(), live_app("a1", "Microsoft 365", "example.com"));
        let (_, errors) = Keys::resolve(&model, &live);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, "name-collision");
    }
}
