//! The access model: for each user, before the plan (the org as read) and after it (the org as
//! the plan leaves it), who can log in where and, when they cannot, which rule says why.
//!
//! - `portal`: the JumpCloud User Portal and SSO apps. Who checks the password (JumpCloud, or
//!   the AD domain delegation sends it to) and whether the login can succeed.
//! - `m365`: the Microsoft 365 tenant the user is provisioned in and their sign-in there.
//! - `ad`: each AD domain they are linked to, with their AD account enabled or disabled.
//! - `non_delegable`: Cloud LDAP, Cloud RADIUS and device logins, which cannot be delegated to
//!   AD and need a password stored in JumpCloud.
//!
//! The facts come from JumpCloud's documentation (seed 001 "ADI: Use AD Delegated
//! Authentication" for delegation and import agents, 003 "M365 FAQ" and 004 "Office 365
//! provisioning" for Microsoft 365, 000 "AD Sync" for AD accounts). The lockout rules read their
//! verdicts from here (`blocked_by` names them), so a rule and the model cannot disagree: each
//! rule fires on exactly the users whose verdict carries its code.
//!
//! Pure: computed from the prior and planned states and the plan a `lint::Context` already holds; no I/O.

pub mod changes;
pub mod render;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;

use crate::lint::catalog::{
    LCK001, LCK002, LCK003, LCK004, LCK005, LCK006, LCK007, LCK008, LCK010, LCK011, LCK101, LCK102,
    LCK104, LCK107, LCK113, LCK115,
};
use crate::lint::Context;
use crate::model::{Address, Directory, UserState};
use crate::plan::keys::fold_cow;
use crate::plan::state::{EffectiveBindings, OrgState, StateAdDomain, StateTenant, StateUser};
use crate::plan::Action;

/// `password_checked_by` when JumpCloud checks the password itself.
pub const JUMPCLOUD: &str = crate::model::PasswordAuthorityDecl::Jumpcloud.config_name();

/// Delegated authentication needs import agent v3.0 or higher (seed 001).
pub const MIN_DELEGATION_AGENT: (u64, u64, u64) = (3, 0, 0);

/// The rules whose error findings mean a user cannot log in to the User Portal. LCK005 counts
/// only for a user who does not delegate (a delegated user logs in through AD; LCK005 is then
/// about Microsoft 365 alone).
pub const PORTAL_RULES: &[&str] = &[
    LCK001.code,
    LCK002.code,
    LCK003.code,
    LCK004.code,
    LCK005.code,
    LCK008.code,
];

/// The User Portal and SSO apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Portal {
    pub can_log_in: bool,
    /// `jumpcloud`, or the address of the AD domain delegation sends the password to
    /// (`ad_domain.corp`), whether or not that domain can answer. Borrowed for `jumpcloud`
    /// (most users): no copy of it per user.
    pub password_checked_by: Cow<'static, str>,
    /// When they cannot log in: the rule codes that say why (empty when the reason is the user's
    /// own state: suspended, staged, deleted, or waiting for activation).
    pub blocked_by: Vec<&'static str>,
    /// Why not, in words; `None` when they can log in.
    pub reason: Option<String>,
}

/// A user's Microsoft 365 sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignIn {
    Active,
    /// The account exists in the tenant with sign-in blocked (unbound, suspended, no password,
    /// bound to two tenants).
    Blocked,
    NotProvisioned,
}

impl SignIn {
    pub fn word(self) -> &'static str {
        match self {
            SignIn::Active => "active",
            SignIn::Blocked => "blocked",
            SignIn::NotProvisioned => "not_provisioned",
        }
    }
}

/// Microsoft 365.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct M365 {
    /// The tenant's address (`m365_tenant.contoso`); `None` when not provisioned in one. A user
    /// the plan unbinds keeps the tenant they are blocked in.
    pub tenant: Option<String>,
    pub sign_in: SignIn,
    /// The rule codes that say why sign-in is not active (or, for LCK101, why an account in
    /// another tenant is blocked).
    pub blocked_by: Vec<&'static str>,
    pub reason: Option<String>,
}

/// Signing in to Microsoft 365 through JumpCloud, for a user whose email is in a domain the
/// files federate (`m365_tenants.<key>.federation`, seed 002): Entra ID sends them to the SSO
/// app, so they need the app (LCK010) and a JumpCloud login that works (LCK011).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sso {
    /// `m365_tenant.contoso`.
    pub tenant: String,
    /// The federated domain their email is in.
    pub domain: String,
    /// `sso_app.m365`.
    pub app: String,
    /// The app is assigned to them, directly or through a group.
    pub granted: bool,
    pub can_sign_in: bool,
    pub blocked_by: Vec<&'static str>,
    pub reason: Option<String>,
}

/// An AD account's state, as AD Sync writes it (UserAccountControl ACCOUNTDISABLE).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdAccount {
    Enabled,
    Disabled,
}

/// One AD domain a user is linked to (effectively bound, directly or through a group).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdLink {
    /// `ad_domain.corp`.
    pub domain: String,
    pub account: AdAccount,
    pub blocked_by: Vec<&'static str>,
    pub reason: Option<String>,
}

/// Cloud LDAP, Cloud RADIUS and device logins: never delegated, they need a password stored in
/// JumpCloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NonDelegable {
    pub can_log_in: bool,
    pub blocked_by: Vec<&'static str>,
    /// Why (or, when they can, how the password gets there when that is not obvious).
    pub reason: Option<String>,
}

/// Everything the model says about one user in one picture of the org.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserAccess {
    /// The user's state in this picture (`active`, `suspended`, `staged`).
    pub state: UserState,
    pub portal: Portal,
    pub m365: M365,
    /// Microsoft 365 sign-in through JumpCloud, when their email domain is federated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sso: Option<Sso>,
    /// By domain address.
    pub ad: Vec<AdLink>,
    pub non_delegable: NonDelegable,
    /// The plan deletes the user: this is what they are left with (nothing).
    pub deleted: bool,
    /// The user has no way in yet and is not locked out by a change: no JumpCloud password, no
    /// delegated authority; they set a password from the activation email.
    #[serde(skip)]
    pub awaiting_activation: bool,
    /// The M365 tenants (config keys) whose effective binding the plan ends (LCK101).
    #[serde(skip)]
    pub m365_ended: Vec<String>,
    /// When LCK002 or LCK003 is in `portal.blocked_by`: what is wrong with the domain.
    #[serde(skip)]
    pub delegation_problems: Vec<String>,
    /// Matched by `settings.ignore`: computed (rules may ask) but never shown.
    #[serde(skip)]
    pub ignored: bool,
}

/// One change that takes a delegation domain away from users who still delegate to it
/// (LCK003).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Takeaway {
    pub cause: Address,
    /// The domain's config key.
    pub domain: String,
    /// Sorted usernames.
    pub users: Vec<String>,
    /// "disables delegation on ...", "deletes ...", "ends their binding to ...".
    pub what: String,
}

/// Every user's verdict in one picture of the org, by the plan's user address key.
pub type Verdicts = BTreeMap<String, Arc<UserAccess>>;

/// The model for every user, before and after the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    /// The org as read (empty when no org was read). Keyed by the plan's user address key, so a
    /// user the plan renames is under their new name on both sides.
    pub before: Arc<Verdicts>,
    /// The org after the plan; users the plan deletes are here with `deleted` set. The same
    /// `Arc` as `before` when the plan changes no input of any verdict (an empty plan).
    pub after: Arc<Verdicts>,
    /// Changes that take a delegation domain from users still delegating to it.
    pub takeaways: Vec<Takeaway>,
    /// The users of `after` whose verdict cites a rule ([`cites_a_rule`]), sorted by name:
    /// the rules look for their code among these rather than in every user's verdict (at
    /// 100,000 users, a dozen walks of all the verdicts).
    citing: Vec<(String, Arc<UserAccess>)>,
}

impl Access {
    /// The model for the context's states and plan.
    pub fn compute(cx: &Context) -> Access {
        let takeaways = if cx.org_read {
            takeaways(cx)
        } else {
            Vec::new()
        };
        let taken = taken_pairs(&takeaways);
        // Collected from the states' sorted users: a map built in one pass, not by 100,000
        // inserts.
        let mut any_created = false;
        let mut citing_before = Vec::new();
        let before: Verdicts = if cx.org_read {
            let side = Side::before(cx);
            cx.before
                .users
                .iter()
                .map(|(name, u)| {
                    any_created |= u.created;
                    let v = Arc::new(verdict(&side, name, u));
                    if cites_a_rule(&v) {
                        citing_before.push((name.clone(), Arc::clone(&v)));
                    }
                    (name.clone(), v)
                })
                .collect()
        } else {
            BTreeMap::new()
        };
        let before = Arc::new(before);
        let side = Side::after(cx, &taken);
        let unchanged = Unchanged::new(cx, &takeaways);
        // The plan changes nothing any verdict reads (an empty plan: the common case): the
        // same users, states and effective bindings on both sides, no user it creates, names
        // or takes a domain from. Then `Unchanged::user` holds for every user and no user is
        // deleted, so the verdicts after are those before, shared whole rather than walked.
        let nothing_changes = cx.org_read
            && Arc::ptr_eq(&cx.before, &cx.after)
            && Arc::ptr_eq(&cx.bound_before, &cx.bound_after)
            && unchanged.org_wide
            && unchanged.named.is_empty()
            && !any_created;
        if nothing_changes {
            // Every test run checks this reasoning against the verdicts worked out one by one.
            debug_assert_eq!(after_verdicts(cx, &side, &unchanged, &before).0, *before);
            return Access {
                after: Arc::clone(&before),
                before,
                takeaways,
                citing: citing_before,
            };
        }
        let (after, citing) = after_verdicts(cx, &side, &unchanged, &before);
        Access {
            before,
            after: Arc::new(after),
            takeaways,
            citing,
        }
    }

    /// Users (plan address keys) to show: every user of either side but those
    /// `settings.ignore` hides, sorted.
    pub fn shown_users(&self) -> Vec<&String> {
        let names: BTreeSet<&String> = self.before.keys().chain(self.after.keys()).collect();
        names
            .into_iter()
            .filter(|n| {
                !self
                    .after
                    .get(*n)
                    .or_else(|| self.before.get(*n))
                    .is_some_and(|u| u.ignored)
            })
            .collect()
    }

    /// Shown users whose verdicts before and after are not equal, sorted, with both verdicts
    /// (`None` on the side they are missing from). A user whose verdicts are equal has no access
    /// change and is in no sentence (`of_user` and `sentences` compare parts of the two), so the
    /// changes are made from these alone. One merge of the two sorted maps.
    pub fn differing(
        &self,
    ) -> impl Iterator<Item = (&str, Option<&UserAccess>, Option<&UserAccess>)> {
        // Shared: every verdict is the same on both sides.
        let shared = Arc::ptr_eq(&self.before, &self.after);
        let mut before = self.before.iter().peekable();
        let mut after = self.after.iter().peekable();
        std::iter::from_fn(move || loop {
            if shared {
                return None;
            }
            let (name, b, a) = match (before.peek(), after.peek()) {
                (None, None) => return None,
                (Some((nb, _)), Some((na, _))) if nb == na => {
                    let (name, b) = before.next()?;
                    let (_, a) = after.next()?;
                    (name, Some(b), Some(a))
                }
                (Some((nb, _)), Some((na, _))) if nb < na => {
                    let (name, b) = before.next()?;
                    (name, Some(b), None)
                }
                (Some(_), None) => {
                    let (name, b) = before.next()?;
                    (name, Some(b), None)
                }
                _ => {
                    let (name, a) = after.next()?;
                    (name, None, Some(a))
                }
            };
            // Hidden by `settings.ignore`: the picture after decides, as in `shown_users`.
            let ignored = a.or(b).is_some_and(|u| u.ignored);
            if !ignored && b != a {
                return Some((name.as_str(), b.map(|v| &**v), a.map(|v| &**v)));
            }
        })
    }

    /// Shown users whose verdicts differ before and after, sorted.
    pub fn changed_users(&self) -> Vec<&str> {
        self.differing()
            .filter(|(n, b, a)| !changes::of_user(n, *b, *a).is_empty())
            .map(|(n, _, _)| n)
            .collect()
    }

    /// The user's verdicts differ before and after the plan (created and deleted users count).
    pub fn changed(&self, name: &str) -> bool {
        let (before, after) = (self.before.get(name), self.after.get(name));
        !changes::of_user(name, before.map(|v| &**v), after.map(|v| &**v)).is_empty()
    }

    /// The users whose verdict after the plan cites a rule: a code in any part's `blocked_by`,
    /// or a Microsoft 365 binding the plan ends (`m365_ended`). Sorted by name, as `after`. A
    /// rule that looks for its code in the verdicts after the plan finds every one of them here.
    pub fn citing(&self) -> impl Iterator<Item = (&String, &UserAccess)> {
        self.citing.iter().map(|(n, v)| (n, &**v))
    }

    /// The users whose verdict after the plan carries `code` in the User Portal part.
    pub fn portal_blocked_by(&self, code: &str) -> Vec<&str> {
        self.citing()
            .filter(|(_, a)| a.portal.blocked_by.contains(&code))
            .map(|(n, _)| n.as_str())
            .collect()
    }

    /// The users whose verdict after the plan carries `code` in the Microsoft 365 part.
    pub fn m365_blocked_by(&self, code: &str) -> Vec<&str> {
        self.citing()
            .filter(|(_, a)| a.m365.blocked_by.contains(&code))
            .map(|(n, _)| n.as_str())
            .collect()
    }
}

/// The verdicts after the plan, one by one, and those of them that cite a rule (sorted by
/// name). A verdict the plan leaves as it was is shared with the side before, not copied.
fn after_verdicts(
    cx: &Context,
    side: &Side,
    unchanged: &Unchanged,
    before: &Verdicts,
) -> (Verdicts, Vec<(String, Arc<UserAccess>)>) {
    // Shared when the plan changes no edge: then every user's bindings are the same.
    let bindings_shared = Arc::ptr_eq(&cx.bound_before, &cx.bound_after);
    // The states' users, their effective bindings and the verdicts before are all sorted by
    // name: walked alongside the users after, each looked up once, in order.
    let mut prior = SortedCursor::new(&cx.before.users);
    let mut prior_verdict = SortedCursor::new(before);
    let mut bound_before = SortedCursor::new(&cx.bound_before);
    let mut bound_after = SortedCursor::new(&cx.bound_after);
    let mut citing = Vec::new();
    let mut after: Verdicts = cx
        .after
        .users
        .iter()
        .map(|(name, u)| {
            let reused = prior_verdict.get(name).filter(|_| {
                unchanged.user(name, u, prior.get(name))
                    && (bindings_shared || bound_before.get(name) == bound_after.get(name))
            });
            let verdict_after = match reused {
                Some(v) => {
                    // Every test run checks the reasoning of `Unchanged` on its plans.
                    debug_assert_eq!(**v, verdict(side, name, u), "reused for {name}");
                    Arc::clone(v)
                }
                None => Arc::new(verdict(side, name, u)),
            };
            if cites_a_rule(&verdict_after) {
                citing.push((name.clone(), Arc::clone(&verdict_after)));
            }
            (name.clone(), verdict_after)
        })
        .collect();
    if cx.org_read {
        let mut kept = SortedCursor::new(&cx.after.users);
        for (name, u) in &cx.before.users {
            if kept.get(name).is_none() {
                let gone = Arc::new(deleted(cx, name, u));
                if cites_a_rule(&gone) {
                    citing.push((name.clone(), Arc::clone(&gone)));
                }
                after.insert(name.clone(), gone);
            }
        }
    }
    citing.sort_unstable_by(|(a, _), (b, _)| a.cmp(b));
    (after, citing)
}

/// The verdict names a rule in one of its parts, or ends a Microsoft 365 binding (LCK101):
/// every rule that reads the verdicts after the plan looks only at users for whom this holds
/// (a code in `blocked_by`, or `m365_ended`).
fn cites_a_rule(v: &UserAccess) -> bool {
    !v.portal.blocked_by.is_empty()
        || !v.m365.blocked_by.is_empty()
        || v.sso.as_ref().is_some_and(|s| !s.blocked_by.is_empty())
        || v.ad.iter().any(|l| !l.blocked_by.is_empty())
        || !v.non_delegable.blocked_by.is_empty()
        || !v.m365_ended.is_empty()
}

/// The (user, domain) pairs the takeaways take away: what the side after reads as LCK003.
fn taken_pairs(takeaways: &[Takeaway]) -> BTreeSet<(String, String)> {
    takeaways
        .iter()
        .flat_map(|t| t.users.iter().map(|u| (u.clone(), t.domain.clone())))
        .collect()
}

/// Looks keys up in a sorted map, in ascending order: each entry is passed over once, so a
/// whole pass costs one walk of the map rather than a search per key.
struct SortedCursor<'m, V> {
    entries: std::iter::Peekable<std::collections::btree_map::Iter<'m, String, V>>,
}

impl<'m, V> SortedCursor<'m, V> {
    fn new(map: &'m BTreeMap<String, V>) -> Self {
        SortedCursor {
            entries: map.iter().peekable(),
        }
    }

    /// The value of `key`; keys must be asked for in ascending order.
    fn get(&mut self, key: &str) -> Option<&'m V> {
        while let Some((k, v)) = self.entries.peek() {
            match k.as_str().cmp(key) {
                std::cmp::Ordering::Less => {
                    self.entries.next();
                }
                std::cmp::Ordering::Equal => return Some(*v),
                std::cmp::Ordering::Greater => return None,
            }
        }
        None
    }
}

/// When a user's verdict after the plan is the one before, so it is copied rather than worked
/// out again (most users of a large org are untouched by a plan).
///
/// `verdict` reads, for a user: their own `StateUser`, their effective bindings, the state's AD
/// domains and M365 tenants, and, after the plan only, the plan's change of `user.<name>`
/// (`plan_sets_state`), the takeaways that name them (LCK003 rather than LCK002), and whether
/// the plan creates them (`created`: LCK005, LCK115) or clears their delegated authority
/// (LCK004, which needs the user before to differ from the user after). `m365_ended` is empty
/// on both sides when their bindings are the same. So the verdict after equals the one before
/// when all of those inputs are equal and the after-only causes are absent.
struct Unchanged<'c> {
    /// The AD domains and M365 tenants are the same before and after (an org was read).
    org_wide: bool,
    /// Users a change or a takeaway names (the causes the side after can cite).
    named: BTreeSet<&'c str>,
}

impl<'c> Unchanged<'c> {
    fn new(cx: &'c Context, takeaways: &'c [Takeaway]) -> Unchanged<'c> {
        let org_wide = cx.org_read
            && cx.before.ad_domains == cx.after.ad_domains
            && cx.before.m365_tenants == cx.after.m365_tenants;
        let mut named: BTreeSet<&str> = takeaways
            .iter()
            .flat_map(|t| t.users.iter().map(String::as_str))
            .collect();
        for c in cx.changes() {
            if let Address::User(name) = &c.address {
                named.insert(name);
            }
        }
        Unchanged { org_wide, named }
    }

    /// `name`'s verdict after the plan is their verdict before, given that their effective
    /// bindings are the same on both sides (see the type's doc).
    fn user(&self, name: &str, after: &StateUser, before: Option<&StateUser>) -> bool {
        // The same user on both sides when the plan shares the state: no need to compare.
        let same = before.is_some_and(|b| std::ptr::eq(b, after) || b == after);
        self.org_wide && !after.created && same && !self.named.contains(name)
    }
}

/// One picture of the org with what the model needs to know about how it came to be.
struct Side<'a> {
    state: &'a OrgState,
    bound: &'a EffectiveBindings,
    /// After the plan: the context, for the changes that cause a verdict. `None`: before.
    plan: Option<&'a Context<'a>>,
    /// (user, domain) pairs a change takes away (LCK003); empty before.
    taken: Option<&'a BTreeSet<(String, String)>>,
    /// The addresses of the state's domains and tenants as text.
    addresses: AddressTexts<'a>,
    /// The tenants that federate a domain to JumpCloud, by key, with that domain's
    /// [`crate::model::domain_key`]: worked out once, not once per user (none before the plan).
    federated: Vec<(&'a String, &'a StateTenant, String)>,
}

/// The addresses of a state's AD domains and M365 tenants as text (`ad_domain.corp`,
/// `m365_tenant.contoso`), written once: every user's verdict names theirs, and formatting an
/// address per user and part was a tenth of the verdicts' cost.
struct AddressTexts<'a> {
    ad_domains: BTreeMap<&'a str, String>,
    m365_tenants: BTreeMap<&'a str, String>,
}

impl<'a> AddressTexts<'a> {
    fn new(state: &'a OrgState) -> AddressTexts<'a> {
        AddressTexts {
            ad_domains: state
                .ad_domains
                .keys()
                .map(|k| (k.as_str(), Address::AdDomain(k.clone()).to_string()))
                .collect(),
            m365_tenants: state
                .m365_tenants
                .keys()
                .map(|k| (k.as_str(), Address::M365Tenant(k.clone()).to_string()))
                .collect(),
        }
    }

    /// `ad_domain.<key>` (a key the state does not hold is written on the spot).
    fn ad_domain(&self, key: &str) -> String {
        match self.ad_domains.get(key) {
            Some(text) => text.clone(),
            None => Address::AdDomain(key.to_string()).to_string(),
        }
    }

    /// `m365_tenant.<key>` (a key the state does not hold is written on the spot).
    fn m365_tenant(&self, key: &str) -> String {
        match self.m365_tenants.get(key) {
            Some(text) => text.clone(),
            None => Address::M365Tenant(key.to_string()).to_string(),
        }
    }
}

/// The tenants of `state` that federate a domain, in key order, with the domain's key.
fn federated_tenants(state: &OrgState) -> Vec<(&String, &StateTenant, String)> {
    state
        .m365_tenants
        .iter()
        .filter_map(|(k, t)| Some((k, t, crate::model::domain_key(t.federated_domain()?))))
        .collect()
}

impl<'a> Side<'a> {
    fn before(cx: &'a Context<'a>) -> Side<'a> {
        Side {
            state: &cx.before,
            bound: &cx.bound_before,
            plan: None,
            taken: None,
            addresses: AddressTexts::new(&cx.before),
            federated: federated_tenants(&cx.before),
        }
    }

    fn after(cx: &'a Context<'a>, taken: &'a BTreeSet<(String, String)>) -> Side<'a> {
        Side {
            state: &cx.after,
            bound: &cx.bound_after,
            // Without an org there is no plan: the declared state stands alone.
            plan: cx.org_read.then_some(cx),
            taken: Some(taken),
            addresses: AddressTexts::new(&cx.after),
            federated: federated_tenants(&cx.after),
        }
    }

    /// The effective bindings of `user` in this picture, and before the plan when this is the
    /// picture after it: looked up once per verdict (every part of a verdict reads them).
    fn bound_of(&self, user: &str) -> Bound<'a> {
        Bound {
            now: self.bound.get(user).map_or(&[], |d| &d[..]),
            before: self
                .plan
                .map(|cx| cx.bound_before.get(user).map_or(&[][..], |d| &d[..])),
        }
    }

    /// The AD domains of `bound` whose delegation is `ENABLED`.
    fn delegation_domains<'b>(&self, bound: &'b Bound) -> Vec<&'b String> {
        bound
            .ad_domains()
            .filter(|k| {
                self.state
                    .ad_domains
                    .get(*k)
                    .is_some_and(StateAdDomain::is_delegation_domain)
            })
            .collect()
    }

    /// The plan moves the user into `state` (they were in another one before).
    fn plan_sets_state(&self, user: &str, state: UserState) -> bool {
        let Some(cx) = self.plan else { return false };
        cx.change(&Address::User(user.to_string()))
            .is_some_and(|c| {
                c.action == Action::Update
                    && c.after.user().and_then(|u| u.state.value()) == Some(&state)
            })
    }
}

/// One user's effective bindings as a verdict reads them ([`Side::bound_of`]).
struct Bound<'a> {
    /// In the picture the verdict is about.
    now: &'a [Directory],
    /// Before the plan, when the picture is the one after it; `None` before.
    before: Option<&'a [Directory]>,
}

impl Bound<'_> {
    fn tenants(&self) -> Vec<&String> {
        self.now
            .iter()
            .filter_map(|d| match d {
                Directory::M365Tenant(k) => Some(k),
                Directory::AdDomain(_) | Directory::SsoApp(_) => None,
            })
            .collect()
    }

    /// An iterator, not a list: each caller keeps only some of them, or maps them on.
    fn ad_domains(&self) -> impl Iterator<Item = &String> {
        self.now.iter().filter_map(|d| match d {
            Directory::AdDomain(k) => Some(k),
            Directory::M365Tenant(_) | Directory::SsoApp(_) => None,
        })
    }
}

/// Why `user`'s delegation domain `key` cannot check their password in this state; empty when
/// it can (LCK002's list, and LCK003's outcome). A domain the plan creates has no agents yet (a
/// person installs them after the plan), so a missing agent is not counted for it.
pub fn delegation_problems(
    state: &OrgState,
    bound: &EffectiveBindings,
    user: &str,
    key: &str,
) -> Vec<String> {
    let Some(d) = state.ad_domains.get(key) else {
        return vec!["the domain does not exist in the org".into()];
    };
    if d.deleted {
        return vec!["the plan deletes the domain".into()];
    }
    let mut out = Vec::new();
    if !d.is_delegation_domain() {
        out.push(format!("its delegation is {}", d.delegation.config_name()));
    }
    if !d.created && d.import_agents().next().is_none() {
        out.push("it has no import agent".into());
    }
    let dir = Directory::AdDomain(key.to_string());
    if !bound.get(user).is_some_and(|b| b.contains(&dir)) {
        out.push("the user is not bound to it".into());
    }
    out
}

/// The domain's import agents are too old for delegated authentication: the primary import
/// agent (when the org names it and it reports a version) is older than 3.0, or every import
/// agent reports a version older than 3.0. Agents that report no version are not judged.
pub fn agents_too_old(d: &StateAdDomain) -> bool {
    if d.created || d.deleted {
        return false;
    }
    let old = |a: &crate::model::live::AdAgent| {
        a.version_number().is_some_and(|v| v < MIN_DELEGATION_AGENT)
    };
    if let Some(primary) = d.primary_import() {
        if primary.version_number().is_some() {
            return old(primary);
        }
    }
    let mut agents = d.import_agents().peekable();
    agents.peek().is_some() && agents.all(old)
}

/// The user's verdicts in one picture of the org.
fn verdict(side: &Side, name: &str, u: &StateUser) -> UserAccess {
    let state = u.state().unwrap_or(UserState::Active);
    let bound = side.bound_of(name);
    let (portal, awaiting_activation, delegation_problems) = portal(side, &bound, name, u, state);
    let (m365, m365_ended) = m365(side, &bound, name, u, state);
    let ad = bound
        .ad_domains()
        .map(|k| {
            let domain = side.addresses.ad_domain(k);
            if state == UserState::Suspended {
                let by = if side.plan_sets_state(name, UserState::Suspended) {
                    vec![LCK102.code]
                } else {
                    Vec::new()
                };
                AdLink {
                    domain,
                    account: AdAccount::Disabled,
                    blocked_by: by,
                    reason: Some("suspended: AD Sync disables the AD account".into()),
                }
            } else {
                AdLink {
                    domain,
                    account: AdAccount::Enabled,
                    blocked_by: Vec::new(),
                    reason: None,
                }
            }
        })
        .collect();
    let non_delegable = non_delegable(side, u, state, &portal);
    let sso = sso(side, &bound, u, &portal);
    let mut m365 = m365;
    // A federated user signs in to Microsoft 365 through JumpCloud: no way through there, no
    // way in at all (seed 002).
    if let Some(s) = sso.as_ref().filter(|s| !s.can_sign_in) {
        if m365.sign_in == SignIn::Active {
            m365.sign_in = SignIn::Blocked;
        }
        m365.blocked_by.extend(s.blocked_by.iter().copied());
        m365.blocked_by.sort();
        m365.blocked_by.dedup();
        let why = s.reason.clone().unwrap_or_default();
        m365.reason = Some(match m365.reason.take() {
            Some(r) => format!("{r}; {why}"),
            None => why,
        });
    }
    UserAccess {
        state,
        portal,
        m365,
        sso,
        ad,
        non_delegable,
        deleted: false,
        awaiting_activation,
        m365_ended,
        delegation_problems,
        ignored: u.ignored,
    }
}

fn state_reason(state: UserState) -> Option<&'static str> {
    match state {
        UserState::Active => None,
        UserState::Suspended => Some(UserState::Suspended.config_name()),
        UserState::Staged => Some("staged: not activated yet"),
    }
}

/// The User Portal verdict, whether the user is only waiting for activation, and the
/// delegation problems behind LCK002/LCK003.
fn portal(
    side: &Side,
    bound: &Bound,
    name: &str,
    u: &StateUser,
    state: UserState,
) -> (Portal, bool, Vec<String>) {
    let mut blocked: Vec<&'static str> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    let mut awaiting = false;
    let mut problems = Vec::new();
    if let Some(r) = state_reason(state) {
        reasons.push(r.to_string());
    }
    // Bound to two delegation domains: JumpCloud refuses User Portal and SSO logins, whoever
    // checks the password (seed 001).
    let dds = side.delegation_domains(bound);
    if dds.len() >= 2 {
        blocked.push(LCK001.code);
        reasons.push(format!(
            "bound to {} delegation domains ({})",
            dds.len(),
            dds.iter()
                .map(|k| side.addresses.ad_domain(k))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let checked_by = match &u.delegated_authority {
        Some(key) => {
            let domain = side.addresses.ad_domain(key);
            problems = delegation_problems(side.state, side.bound, name, key);
            if !problems.is_empty() {
                let by_change = side
                    .taken
                    .is_some_and(|t| t.contains(&(name.to_string(), key.clone())))
                    && side.plan.is_some();
                blocked.push(if by_change { LCK003.code } else { LCK002.code });
                reasons.push(format!(
                    "{domain} cannot check their password: {}",
                    problems.join("; ")
                ));
            }
            if side.state.ad_domains.get(key).is_some_and(agents_too_old) {
                blocked.push(LCK008.code);
                reasons.push(format!(
                    "{domain}'s import agents are older than 3.0, which delegated \
                     authentication needs"
                ));
            }
            Cow::Owned(domain)
        }
        None => {
            if !u.password_set {
                let cleared = side.plan.is_some_and(|cx| {
                    !u.created
                        && cx
                            .before
                            .users
                            .get(name)
                            .is_some_and(|b| b.delegated_authority.is_some())
                });
                let m365_bound = bound
                    .now
                    .iter()
                    .any(|d| matches!(d, Directory::M365Tenant(_)));
                if cleared {
                    blocked.push(LCK004.code);
                    reasons.push(
                        "the plan clears their delegated authority and they have no JumpCloud \
                         password"
                            .into(),
                    );
                } else if side.plan.is_some() && u.created && m365_bound {
                    blocked.push(LCK005.code);
                    reasons.push(
                        "created without a password while bound to Microsoft 365: the \
                         activation email cannot reach them"
                            .into(),
                    );
                } else {
                    awaiting = true;
                    if side.plan.is_some() && u.created {
                        blocked.push(LCK115.code);
                    }
                    reasons.push(
                        "no JumpCloud password yet: they set one from the activation email".into(),
                    );
                }
            }
            Cow::Borrowed(JUMPCLOUD)
        }
    };
    let can = reasons.is_empty();
    let portal = Portal {
        can_log_in: can,
        password_checked_by: checked_by,
        blocked_by: blocked,
        reason: (!can).then(|| reasons.join("; ")),
    };
    let awaiting = awaiting && portal_only_waits(&portal);
    (portal, awaiting, problems)
}

/// Waiting for activation is the only thing between the user and a login.
fn portal_only_waits(p: &Portal) -> bool {
    p.blocked_by.iter().all(|c| *c == LCK115.code)
}

/// The Microsoft 365 verdict and the tenants whose binding the plan ends.
fn m365(
    side: &Side,
    bound: &Bound,
    name: &str,
    u: &StateUser,
    state: UserState,
) -> (M365, Vec<String>) {
    let tenants = bound.tenants();
    let mut blocked: Vec<&'static str> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    // Tenants whose effective binding the plan ends (JumpCloud then blocks the sign-in there).
    let ended: Vec<String> = bound
        .before
        .into_iter()
        .flatten()
        .filter_map(|d| match d {
            Directory::M365Tenant(k) if !tenants.contains(&k) => Some(k.clone()),
            _ => None,
        })
        .collect();
    let address = |k: &str| side.addresses.m365_tenant(k);
    if tenants.is_empty() {
        if let Some(t) = ended.first() {
            blocked.push(LCK101.code);
            let m = M365 {
                tenant: Some(address(t)),
                sign_in: SignIn::Blocked,
                blocked_by: blocked,
                reason: Some(format!(
                    "the plan ends their binding to {}: sign-in is blocked",
                    address(t)
                )),
            };
            return (m, ended);
        }
        let m = M365 {
            tenant: None,
            sign_in: SignIn::NotProvisioned,
            blocked_by: blocked,
            reason: None,
        };
        return (m, ended);
    }
    let email_domain = u
        .attrs
        .email
        .as_deref()
        .and_then(|e| e.rsplit_once('@'))
        // Lower case, borrowed when it already is (most email domains): no copy per user.
        .map(|(_, d)| fold_cow(d));
    let mut missing_tenant = false;
    let mut mismatch = false;
    for k in &tenants {
        let Some(t) = side.state.m365_tenants.get(*k) else {
            continue;
        };
        if !t.exists {
            missing_tenant = true;
            blocked.push(LCK007.code);
            reasons.push(format!(
                "the org has no tenant with the id of {}",
                address(k)
            ));
        }
        if let Some(d) = &email_domain {
            let known = t.known_domains();
            if !known.is_empty() && !known.iter().any(|k| k == d) {
                mismatch = true;
                reasons.push(format!(
                    "their email domain `{d}` is not one of {}'s domains",
                    address(k)
                ));
            }
        }
    }
    if mismatch {
        blocked.push(LCK104.code);
    }
    let two = tenants.len() >= 2;
    if two {
        blocked.push(LCK006.code);
        reasons.push(format!(
            "bound to {} tenants; JumpCloud binds a user to one",
            tenants.len()
        ));
    }
    let no_password = side.plan.is_some() && u.created && !u.password_set;
    if no_password {
        blocked.push(LCK005.code);
        reasons.push("created without a password".into());
    }
    if state == UserState::Suspended && side.plan_sets_state(name, UserState::Suspended) {
        blocked.push(LCK113.code);
    }
    if let Some(r) = state_reason(state) {
        reasons.push(r.to_string());
    }
    let sign_in = if two || no_password || state == UserState::Suspended {
        SignIn::Blocked
    } else if missing_tenant || mismatch || state == UserState::Staged {
        SignIn::NotProvisioned
    } else {
        SignIn::Active
    };
    if !ended.is_empty() {
        blocked.push(LCK101.code);
        reasons.push(format!(
            "moved off {}: sign-in there is blocked",
            ended
                .iter()
                .map(|k| address(k))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    blocked.sort();
    blocked.dedup();
    let m = M365 {
        tenant: (!two).then(|| address(tenants[0])),
        sign_in,
        blocked_by: blocked,
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
    };
    (m, ended)
}

/// The SSO path of a user whose email domain a tenant federates: the first such tenant (by
/// key). `None` when their email is in no federated domain.
fn sso(side: &Side, bound: &Bound, u: &StateUser, portal: &Portal) -> Option<Sso> {
    if side.federated.is_empty() {
        // No tenant federates a domain: no user's email can be in one.
        return None;
    }
    let email = u.attrs.email.as_deref()?;
    let (_, domain) = email.rsplit_once('@')?;
    let domain = crate::model::domain_key(domain);
    let (key, t, _) = side.federated.iter().find(|(_, _, d)| *d == domain)?;
    let federation = t.federation.as_ref()?;
    let app = Directory::SsoApp(federation.sso_app.clone());
    let granted = bound.now.contains(&app);
    let mut blocked = Vec::new();
    let mut reasons = Vec::new();
    if !granted {
        blocked.push(LCK010.code);
        reasons.push(format!(
            "{} is federated to JumpCloud but {app} is not assigned to them",
            federation.domain
        ));
    }
    if !portal.can_log_in {
        blocked.push(LCK011.code);
        reasons.push(format!(
            "{} is federated to JumpCloud and they cannot pass its login ({})",
            federation.domain,
            portal.reason.as_deref().unwrap_or("no way in")
        ));
    }
    Some(Sso {
        tenant: side.addresses.m365_tenant(key),
        domain: federation.domain.clone(),
        app: app.to_string(),
        granted,
        can_sign_in: blocked.is_empty(),
        blocked_by: blocked,
        reason: (!reasons.is_empty()).then(|| reasons.join("; ")),
    })
}

/// Cloud LDAP, Cloud RADIUS and device logins.
fn non_delegable(side: &Side, u: &StateUser, state: UserState, portal: &Portal) -> NonDelegable {
    let domain = u
        .delegated_authority
        .as_ref()
        .and_then(|k| side.state.ad_domains.get(k).map(|d| (k, d)));
    // Delegating to a domain whose import agents all run on member servers: the AD password
    // never reaches JumpCloud (seed 001), whatever the user's state (LCK107 names them all).
    let member_servers =
        domain.filter(|(_, d)| !d.created && !d.deleted && d.member_servers_only());
    let mut reasons: Vec<String> = Vec::new();
    if let Some(r) = state_reason(state) {
        reasons.push(r.to_string());
    }
    if let Some((k, _)) = member_servers {
        reasons.push(format!(
            "{}'s import agents all run on member servers: their AD password never reaches \
             JumpCloud",
            Address::AdDomain(k.clone())
        ));
        return NonDelegable {
            can_log_in: false,
            blocked_by: vec![LCK107.code],
            reason: Some(reasons.join("; ")),
        };
    }
    if !reasons.is_empty() {
        return NonDelegable {
            can_log_in: false,
            blocked_by: Vec::new(),
            reason: Some(reasons.join("; ")),
        };
    }
    if u.password_set {
        return NonDelegable {
            can_log_in: true,
            blocked_by: Vec::new(),
            reason: None,
        };
    }
    if let Some((_, d)) = domain {
        if portal.can_log_in && d.import_agents().any(|a| a.on_domain_controller()) {
            return NonDelegable {
                can_log_in: true,
                blocked_by: Vec::new(),
                reason: Some(
                    "after their first User Portal login: the import agent on a domain \
                     controller stores their AD password in JumpCloud"
                        .into(),
                ),
            };
        }
    }
    NonDelegable {
        can_log_in: false,
        blocked_by: Vec::new(),
        reason: Some("no password stored in JumpCloud".into()),
    }
}

/// What a user the plan deletes is left with: no login anywhere; Microsoft 365 blocks the
/// sign-in of the account they had (LCK101).
fn deleted(cx: &Context, name: &str, u: &StateUser) -> UserAccess {
    let ended: Vec<String> = cx
        .bound_before
        .get(name)
        .into_iter()
        .flat_map(|d| d.iter())
        .filter_map(|d| match d {
            Directory::M365Tenant(k) => Some(k.clone()),
            Directory::AdDomain(_) | Directory::SsoApp(_) => None,
        })
        .collect();
    let reason = Some("the plan deletes the user".to_string());
    let m365 = match ended.first() {
        Some(t) => M365 {
            tenant: Some(Address::M365Tenant(t.clone()).to_string()),
            sign_in: SignIn::Blocked,
            blocked_by: vec![LCK101.code],
            reason: reason.clone(),
        },
        None => M365 {
            tenant: None,
            sign_in: SignIn::NotProvisioned,
            blocked_by: Vec::new(),
            reason: None,
        },
    };
    UserAccess {
        state: u.state().unwrap_or(UserState::Active),
        portal: Portal {
            can_log_in: false,
            password_checked_by: match &u.delegated_authority {
                Some(k) => Cow::Owned(Address::AdDomain(k.clone()).to_string()),
                None => Cow::Borrowed(JUMPCLOUD),
            },
            blocked_by: Vec::new(),
            reason: reason.clone(),
        },
        m365,
        sso: None,
        ad: Vec::new(),
        non_delegable: NonDelegable {
            can_log_in: false,
            blocked_by: Vec::new(),
            reason,
        },
        deleted: true,
        awaiting_activation: false,
        m365_ended: ended,
        delegation_problems: Vec::new(),
        ignored: u.ignored,
    }
}

/// Every change that takes a delegation domain away from users who still delegate to it after
/// the plan: disabling delegation on it, deleting it, or ending users' bindings to it (LCK003).
fn takeaways(cx: &Context) -> Vec<Takeaway> {
    let mut out = Vec::new();
    let mut whole_domain = Vec::new();
    for (key, before) in &cx.before.ad_domains {
        if !before.is_delegation_domain() {
            continue;
        }
        let Some(after) = cx.after.ad_domains.get(key) else {
            continue;
        };
        let address = Address::AdDomain(key.clone());
        let what = if after.deleted && cx.has(&address, Action::Delete) {
            format!("deletes {address}")
        } else if !after.is_delegation_domain() && cx.change(&address).is_some() {
            format!(
                "sets delegation to {} on {address}",
                after.delegation.config_name()
            )
        } else {
            continue;
        };
        whole_domain.push(key.clone());
        let users = cx.delegating_to(key);
        if !users.is_empty() {
            out.push(Takeaway {
                cause: address,
                domain: key.clone(),
                users,
                what,
            });
        }
    }
    let mut unbinds: BTreeMap<(Address, String), Vec<String>> = BTreeMap::new();
    for (name, dir) in cx.removed_bindings() {
        let Directory::AdDomain(key) = &dir else {
            continue;
        };
        let still_delegates = cx
            .after
            .users
            .get(&name)
            .is_some_and(|u| u.delegated_authority.as_deref() == Some(key));
        let was_delegation = cx
            .before
            .ad_domains
            .get(key)
            .is_some_and(|d| d.is_delegation_domain());
        if !still_delegates || !was_delegation || whole_domain.contains(key) {
            continue;
        }
        if let Some(cause) = cx.unbind_cause(&name, &dir) {
            unbinds.entry((cause, key.clone())).or_default().push(name);
        }
    }
    for ((cause, domain), users) in unbinds {
        out.push(Takeaway {
            what: format!(
                "ends their binding to {} ({cause})",
                Address::AdDomain(domain.clone())
            ),
            cause,
            domain,
            users,
        });
    }
    out
}

#[cfg(test)]
mod tests;
