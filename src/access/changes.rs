//! Access changes: where a user's verdicts differ before and after the plan, one entry per user
//! and part (`portal`, `m365`, `ad`, `non_delegable`), and the sentences a plan leads with
//! ("3 users lose Microsoft 365 sign-in: ...").
//!
//! A part changes when its verdict does: for the portal whether they can log in and who checks
//! the password; for Microsoft 365 the tenant and the sign-in; for AD the linked domains and
//! the account states; for the rest whether they can log in. Reasons and codes explain a
//! verdict; a changed explanation alone is not a change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Access, SignIn, UserAccess, JUMPCLOUD};
use crate::model::Address;

/// The part of the access model a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Portal,
    M365,
    Ad,
    NonDelegable,
}

/// One part of one user's verdicts that the plan changes. `before` / `after` are that part's
/// verdict as `jcform access` prints it, `null` where the user does not exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessChange {
    pub address: Address,
    pub what: Part,
    pub before: Value,
    pub after: Value,
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// The parts of `name`'s verdicts that differ.
pub fn of_user(
    name: &str,
    before: Option<&UserAccess>,
    after: Option<&UserAccess>,
) -> Vec<AccessChange> {
    // The verdict of each part, without its explanation, compared directly; the JSON of a
    // part is made only when it differs (most users of a large org change in no part).
    fn portal(u: &UserAccess) -> (bool, &str) {
        (u.portal.can_log_in, u.portal.password_checked_by.as_ref())
    }
    fn m365(u: &UserAccess) -> (Option<&str>, SignIn) {
        (u.m365.tenant.as_deref(), u.m365.sign_in)
    }
    let ad = |a: &UserAccess, b: &UserAccess| {
        a.ad.len() == b.ad.len()
            && a.ad
                .iter()
                .zip(&b.ad)
                .all(|(x, y)| x.domain == y.domain && x.account == y.account)
    };
    let nd = |u: &UserAccess| u.non_delegable.can_log_in;
    let (portal_differs, m365_differs, ad_differs, nd_differs) = match (before, after) {
        (Some(b), Some(a)) => (
            portal(b) != portal(a),
            m365(b) != m365(a),
            !ad(b, a),
            nd(b) != nd(a),
        ),
        (None, None) => (false, false, false, false),
        _ => (true, true, true, true),
    };
    let mut out = Vec::new();
    let mut part = |what: Part, differs: bool, value: &dyn Fn(&UserAccess) -> Value| {
        if differs {
            out.push(AccessChange {
                address: Address::User(name.to_string()),
                what,
                before: before.map(value).unwrap_or(Value::Null),
                after: after.map(value).unwrap_or(Value::Null),
            });
        }
    };
    part(Part::Portal, portal_differs, &|u| to_value(&u.portal));
    part(Part::M365, m365_differs, &|u| to_value(&u.m365));
    part(Part::Ad, ad_differs, &|u| to_value(&u.ad));
    part(Part::NonDelegable, nd_differs, &|u| {
        to_value(&u.non_delegable)
    });
    out
}

impl Access {
    /// Every part of every user's verdicts the plan changes, by user address then part.
    pub fn changes(&self) -> Vec<AccessChange> {
        let mut out: Vec<AccessChange> = self
            .differing()
            .flat_map(|(n, before, after)| of_user(n, before, after))
            .collect();
        out.sort_by(|a, b| (&a.address, a.what).cmp(&(&b.address, b.what)));
        out
    }

    /// The access changes in sentences, for people: one line per kind of change, naming the
    /// users (all of them; a renderer with a size cap shortens the lists itself, see
    /// [`Sentence::text_capped`]).
    pub fn sentences(&self) -> Vec<Sentence> {
        let mut s = Sentences::default();
        for (name, before, after) in self.differing() {
            let Some(a) = after else { continue };
            // Made only for a line that names the user: most users of a large org change in
            // no way, and three strings each for them were most of this loop's cost.
            let portal_user = || display(name, a, &a.portal.blocked_by);
            let m365_user = || display(name, a, &a.m365.blocked_by);
            let nd_user = || display(name, a, &a.non_delegable.blocked_by);
            // The User Portal.
            match before {
                Some(bu) if bu.portal.can_log_in && !a.portal.can_log_in => s.add(
                    0,
                    "can no longer log in to the User Portal",
                    "can no longer log in to the User Portal",
                    portal_user(),
                ),
                Some(bu) if !bu.portal.can_log_in && a.portal.can_log_in => s.add(
                    4,
                    "can log in to the User Portal again",
                    "can log in to the User Portal again",
                    portal_user(),
                ),
                None if !a.portal.can_log_in && !a.portal.blocked_by.is_empty() => s.add_keyed(
                    0,
                    "new user cannot log in".into(),
                    "new user cannot log in to the User Portal".into(),
                    "new users cannot log in to the User Portal".into(),
                    portal_user(),
                ),
                _ => {}
            }
            if let Some(bu) = before {
                if !a.deleted && bu.portal.password_checked_by != a.portal.password_checked_by {
                    let head = format!(
                        "will be checked by {} instead of {}",
                        checker(&a.portal.password_checked_by),
                        checker(&bu.portal.password_checked_by)
                    );
                    s.add_keyed(
                        3,
                        head.clone(),
                        format!("user's password {head}"),
                        format!("users' passwords {head}"),
                        name.to_string(),
                    );
                }
            }
            // Microsoft 365.
            let was_active = before.is_some_and(|b| b.m365.sign_in == SignIn::Active);
            let now_active = a.m365.sign_in == SignIn::Active;
            let old_tenant = before.and_then(|b| b.m365.tenant.as_ref());
            if was_active && !now_active {
                s.add(
                    1,
                    "loses Microsoft 365 sign-in",
                    "lose Microsoft 365 sign-in",
                    m365_user(),
                );
            } else if !was_active && now_active {
                let head = format!(
                    "Microsoft 365 sign-in in {}",
                    a.m365.tenant.as_deref().unwrap_or("a tenant")
                );
                s.add_keyed(
                    5,
                    head.clone(),
                    format!("user gets {head}"),
                    format!("users get {head}"),
                    name.to_string(),
                );
            } else if was_active && now_active && old_tenant != a.m365.tenant.as_ref() {
                let to = a.m365.tenant.as_deref().unwrap_or("another tenant");
                s.add_keyed(
                    5,
                    format!("move to {to}"),
                    format!("user moves to {to}"),
                    format!("users move to {to}"),
                    name.to_string(),
                );
            } else if !now_active
                && !a.deleted
                && a.m365.tenant.is_some()
                && old_tenant != a.m365.tenant.as_ref()
            {
                s.add(
                    2,
                    "is bound to Microsoft 365 but cannot sign in",
                    "are bound to Microsoft 365 but cannot sign in",
                    m365_user(),
                );
            }
            // AD accounts.
            if !a.deleted {
                for link in &a.ad {
                    let old = before.and_then(|b| b.ad.iter().find(|l| l.domain == link.domain));
                    match old {
                        Some(o) if o.account != link.account => {
                            let (rank, verb) = match link.account {
                                super::AdAccount::Disabled => (6, "disabled"),
                                super::AdAccount::Enabled => (7, "enabled again"),
                            };
                            s.add_keyed(
                                rank,
                                format!("AD account in {} {verb}", link.domain),
                                format!("user's AD account in {} will be {verb}", link.domain),
                                format!("users' AD accounts in {} will be {verb}", link.domain),
                                display(name, a, &link.blocked_by),
                            );
                        }
                        None => s.add_keyed(
                            7,
                            format!("linked to {}", link.domain),
                            format!("user gets an AD account in {}", link.domain),
                            format!("users get an AD account in {}", link.domain),
                            name.to_string(),
                        ),
                        _ => {}
                    }
                }
                for old in before.map(|b| b.ad.as_slice()).unwrap_or_default() {
                    if !a.ad.iter().any(|l| l.domain == old.domain) {
                        s.add_keyed(
                            7,
                            format!("unlinked from {}", old.domain),
                            format!("user is no longer linked to {}", old.domain),
                            format!("users are no longer linked to {}", old.domain),
                            name.to_string(),
                        );
                    }
                }
            }
            // Cloud LDAP, Cloud RADIUS, devices.
            match before {
                Some(bu)
                    if bu.non_delegable.can_log_in && !a.non_delegable.can_log_in && !a.deleted =>
                {
                    s.add(
                        8,
                        "loses Cloud LDAP, Cloud RADIUS and device logins",
                        "lose Cloud LDAP, Cloud RADIUS and device logins",
                        nd_user(),
                    )
                }
                Some(bu) if !bu.non_delegable.can_log_in && a.non_delegable.can_log_in => s.add(
                    9,
                    "gets Cloud LDAP, Cloud RADIUS and device logins",
                    "get Cloud LDAP, Cloud RADIUS and device logins",
                    nd_user(),
                ),
                _ => {}
            }
        }
        s.finish()
    }
}

/// `jumpcloud` as people say it; a domain address as is.
fn checker(by: &str) -> &str {
    if by == JUMPCLOUD {
        "JumpCloud"
    } else {
        by
    }
}

/// `dave (deleted)`, `carol (LCK113)`, `erin (suspended)`, `alice`: the user and, when there is
/// one, why the part of their verdict the line is about is what it is.
fn display(name: &str, a: &UserAccess, codes: &[&str]) -> String {
    let mut codes: Vec<&str> = codes.to_vec();
    codes.sort();
    codes.dedup();
    if a.deleted {
        format!("{name} (deleted)")
    } else if !codes.is_empty() {
        format!("{name} ({})", codes.join(", "))
    } else if a.state != crate::model::UserState::Active {
        format!("{name} ({})", a.state.config_name())
    } else {
        name.to_string()
    }
}

/// One line of the access summary: `3 users lose Microsoft 365 sign-in: a, b, c`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sentence {
    /// `3 users lose Microsoft 365 sign-in`.
    pub head: String,
    /// The users it is about, each maybe with why (`carol (LCK113)`).
    pub users: Vec<String>,
}

impl Sentence {
    /// `head: a, b, c`.
    pub fn text(&self) -> String {
        format!("{}: {}", self.head, self.users.join(", "))
    }

    /// Like [`Sentence::text`] with at most `max` users named, then `and N more`.
    pub fn text_capped(&self, max: usize) -> String {
        if self.users.len() <= max {
            return self.text();
        }
        format!(
            "{}: {}, and {} more",
            self.head,
            self.users[..max].join(", "),
            self.users.len() - max
        )
    }
}

/// Collects users under a sentence key, remembering the singular and plural heads; lines come
/// out by rank (lockouts first), then in the order they were first seen.
#[derive(Default)]
struct Sentences {
    order: Vec<(u8, String)>,
    lines: BTreeMap<String, (String, String, Vec<String>)>,
}

impl Sentences {
    /// A sentence whose verb is for one user (`loses ...`) or many (`lose ...`).
    fn add(&mut self, rank: u8, one: &str, many: &str, user: String) {
        self.add_keyed(
            rank,
            one.to_string(),
            format!("user {one}"),
            format!("users {many}"),
            user,
        );
    }

    fn add_keyed(&mut self, rank: u8, key: String, one: String, many: String, user: String) {
        if !self.lines.contains_key(&key) {
            self.order.push((rank, key.clone()));
        }
        self.lines
            .entry(key)
            .or_insert_with(|| (one, many, Vec::new()))
            .2
            .push(user);
    }

    fn finish(self) -> Vec<Sentence> {
        let mut lines = self.lines;
        let mut order = self.order;
        // Stable: equal ranks keep the order they were first seen in.
        order.sort_by_key(|(rank, _)| *rank);
        order
            .into_iter()
            .filter_map(|(_, k)| lines.remove(&k))
            .map(|(one, many, users)| Sentence {
                head: if users.len() == 1 {
                    format!("1 {one}")
                } else {
                    format!("{} {many}", users.len())
                },
                users,
            })
            .collect()
    }
}
