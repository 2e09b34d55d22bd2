//! What a rule sees: the model, where things are written, the org state before and after the plan,
//! the plan itself (none when no org was read), and a few questions several rules ask.

use std::collections::HashMap;
use std::sync::Arc;

use crate::access::Access;
use crate::model::live::LiveState;
use crate::model::lower::Origins;
use crate::model::{Address, Binding, Directory, Model, Subject};
use crate::plan::keys::Keys;
use crate::plan::state::{EffectiveBindings, OrgState};
use crate::plan::{Action, Change, Plan};

pub struct Context<'a> {
    pub model: &'a Model,
    pub origins: &'a Origins,
    /// The org as read (empty when no org was read).
    pub before: Arc<OrgState>,
    /// The org after the plan (what the files declare when no org was read). The same `Arc` as
    /// `before` when the plan changes nothing in it (an empty plan: the common case).
    pub after: Arc<OrgState>,
    pub plan: Option<&'a Plan>,
    /// An org was read: rules that need live state can run.
    pub org_read: bool,
    /// `before.effective_bindings()`, computed once.
    pub bound_before: Arc<EffectiveBindings>,
    /// `after.effective_bindings()`, computed once: the same `Arc` as `bound_before` when the
    /// plan changes none of the users, memberships or bindings they follow from.
    pub bound_after: Arc<EffectiveBindings>,
    /// Who can log in where, before and after the plan: the verdicts rules read.
    pub access: Access,
    /// The plan's first change for each address: rules ask about one address per user, so a
    /// scan of the changes per question would be quadratic in the org's size.
    by_address: HashMap<&'a Address, &'a Change>,
}

impl<'a> Context<'a> {
    /// No org: only the files. Rules that need live state do not run.
    pub fn offline(model: &'a Model, origins: &'a Origins) -> Context<'a> {
        Context::new(
            model,
            origins,
            Arc::new(OrgState::default()),
            Arc::new(OrgState::declared(model)),
            None,
        )
    }

    /// An org was read and `plan` is `diff(model, live)`.
    pub fn with_org(
        model: &'a Model,
        origins: &'a Origins,
        live: &LiveState,
        plan: &'a Plan,
    ) -> Context<'a> {
        Context::with_org_keyed(model, origins, live, plan, &Keys::new(model, live))
    }

    /// [`Context::with_org`] with the mapping of keys already made (`Keys::new` of the same
    /// model and org, as `plan::diff::diff_keyed` returns it).
    pub fn with_org_keyed(
        model: &'a Model,
        origins: &'a Origins,
        live: &LiveState,
        plan: &'a Plan,
        keys: &Keys,
    ) -> Context<'a> {
        // Users the plan renames are keyed by their new address on both sides.
        let before = Arc::new(OrgState::prior_for_plan_keyed(model, live, plan, keys));
        // `OrgState::planned`, from the picture just made rather than from the org again (and
        // not even copied when the plan leaves it as it is).
        let after = if before.unchanged_by(model, plan) {
            // Every test run checks that `unchanged_by` keeps in step with `apply_plan`.
            debug_assert!(*before == (*before).clone().apply_plan(model, plan));
            Arc::clone(&before)
        } else {
            Arc::new((*before).clone().apply_plan(model, plan))
        };
        Context::new(model, origins, before, after, Some(plan))
    }

    fn new(
        model: &'a Model,
        origins: &'a Origins,
        before: Arc<OrgState>,
        after: Arc<OrgState>,
        plan: Option<&'a Plan>,
    ) -> Context<'a> {
        let mut by_address = HashMap::new();
        for c in plan.map_or(&[][..], |p| p.changes.as_slice()) {
            by_address.entry(&c.address).or_insert(c);
        }
        // Effective bindings follow from the users, the groups' members and the direct
        // bindings alone: when the plan changes none of them (the common case), the picture
        // after is the one before, and is shared rather than worked out again.
        let bound_before = Arc::new(before.effective_bindings());
        let same_edges = Arc::ptr_eq(&before, &after)
            || (before.bindings == after.bindings
                && before.users.len() == after.users.len()
                && before.users.keys().eq(after.users.keys())
                && before.groups.len() == after.groups.len()
                && before
                    .groups
                    .iter()
                    .zip(&after.groups)
                    .all(|((k1, g1), (k2, g2))| k1 == k2 && g1.members == g2.members));
        let bound_after = if same_edges {
            Arc::clone(&bound_before)
        } else {
            Arc::new(after.effective_bindings())
        };
        let mut cx = Context {
            model,
            origins,
            bound_before,
            bound_after,
            before,
            after,
            org_read: plan.is_some(),
            plan,
            access: Access::default(),
            by_address,
        };
        cx.access = Access::compute(&cx);
        cx
    }

    /// The plan's changes (none without an org).
    pub fn changes(&self) -> &[Change] {
        self.plan.map_or(&[], |p| p.changes.as_slice())
    }

    /// The plan's change of `address`, if any (the first, should a plan hold two).
    pub fn change(&self, address: &Address) -> Option<&Change> {
        self.by_address.get(address).copied()
    }

    /// The users that delegate to AD domain `key` after the plan, sorted.
    pub fn delegating_to(&self, key: &str) -> Vec<String> {
        self.after
            .users
            .iter()
            .filter(|(_, u)| u.delegated_authority.as_deref() == Some(key))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// The plan has a change of this kind for `address`.
    pub fn has(&self, address: &Address, action: Action) -> bool {
        self.change(address).is_some_and(|c| c.action == action)
    }

    /// Directories `user` is effectively bound to after the plan.
    pub fn bound(&self, user: &str) -> impl Iterator<Item = &Directory> {
        self.bound_after
            .get(user)
            .into_iter()
            .flat_map(|d| d.iter())
    }

    /// Effective (user, directory) bindings the plan ends, sorted.
    pub fn removed_bindings(&self) -> Vec<(String, Directory)> {
        let mut out = Vec::new();
        if Arc::ptr_eq(&self.bound_before, &self.bound_after) {
            // Shared: the plan changes no edge, so it ends no binding.
            return out;
        }
        for (user, dirs) in self.bound_before.iter() {
            let after = self.bound_after.get(user);
            for d in dirs.iter() {
                if !after.is_some_and(|a| a.contains(d)) {
                    out.push((user.clone(), d.clone()));
                }
            }
        }
        out
    }

    /// The change that ends `user`'s effective binding to `dir`: deleting the user, the domain,
    /// the direct binding, or a bound group, its binding or the user's membership in it.
    pub fn unbind_cause(&self, user: &str, dir: &Directory) -> Option<Address> {
        let mut candidates = vec![
            Address::User(user.to_string()),
            Address::Binding(Binding {
                directory: dir.clone(),
                subject: Subject::User(user.to_string()),
            }),
        ];
        if let Directory::AdDomain(k) = dir {
            candidates.push(Address::AdDomain(k.clone()));
        }
        for b in &self.before.bindings {
            let Subject::Group(g) = &b.subject else {
                continue;
            };
            let member = self
                .before
                .groups
                .get(g)
                .is_some_and(|g| g.members.contains(user));
            if &b.directory == dir && member {
                candidates.push(Address::Binding(b.clone()));
                candidates.push(Address::Membership(g.clone(), user.to_string()));
                candidates.push(Address::Group(g.clone()));
            }
        }
        candidates.sort();
        candidates.into_iter().find(|a| self.has(a, Action::Delete))
    }

    /// The change that gives `user` their effective binding to `dir` (or, for an AD domain,
    /// makes it a delegation domain): creating the user, the binding, a bound group's binding or
    /// the membership, or switching delegation on.
    pub fn bind_cause(&self, user: &str, dir: &Directory) -> Option<Address> {
        let mut candidates = vec![
            Address::Binding(Binding {
                directory: dir.clone(),
                subject: Subject::User(user.to_string()),
            }),
            Address::User(user.to_string()),
        ];
        for b in &self.after.bindings {
            let Subject::Group(g) = &b.subject else {
                continue;
            };
            let member = self
                .after
                .groups
                .get(g)
                .is_some_and(|g| g.members.contains(user));
            if &b.directory == dir && member {
                candidates.push(Address::Binding(b.clone()));
                candidates.push(Address::Membership(g.clone(), user.to_string()));
            }
        }
        if let Directory::AdDomain(k) = dir {
            let address = Address::AdDomain(k.clone());
            let enables = self.change(&address).is_some_and(|c| {
                c.after.ad_domain().and_then(|d| d.delegation.value())
                    == Some(&crate::model::Delegation::Enabled)
            });
            if enables {
                candidates.push(address);
            }
        }
        // The most specific cause first: the user's own binding, their creation, a group's
        // binding or membership, then the domain's delegation being switched on.
        candidates.into_iter().find(|a| {
            self.change(a).is_some_and(|c| {
                c.action != Action::Delete
                    && (!matches!(a, Address::User(_)) || c.action == Action::Create)
            })
        })
    }

    /// How `user` reaches `dir`: `ad_domain.corp (via group.eng)` or `ad_domain.corp (direct)`.
    pub fn via(&self, user: &str, dir: &Directory) -> String {
        let subjects: Vec<String> = self
            .after
            .bound_via(user, dir)
            .iter()
            .map(|s| match s {
                Subject::User(_) => "direct".to_string(),
                Subject::Group(_) => format!("via {s}"),
            })
            .collect();
        if subjects.is_empty() {
            dir.to_string()
        } else {
            format!("{dir} ({})", subjects.join(", "))
        }
    }

    /// Every target is a user or group that `settings.ignore` hides: never reported.
    pub fn only_ignored(&self, targets: &[Address]) -> bool {
        let ignored = |a: &Address| match a {
            Address::User(u) => self
                .after
                .users
                .get(u)
                .or_else(|| self.before.users.get(u))
                .is_some_and(|u| u.ignored),
            Address::Group(g) => self
                .after
                .groups
                .get(g)
                .or_else(|| self.before.groups.get(g))
                .is_some_and(|g| g.ignored),
            _ => false,
        };
        !targets.is_empty() && targets.iter().all(ignored)
    }
}

/// `user.alice`.
pub fn user_addr(name: &str) -> Address {
    Address::User(name.to_string())
}

/// Directories as a readable list: `ad_domain.corp, ad_domain.emea`. Written into one string,
/// not a string per item (a finding can list 60,000 users).
pub fn list<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        // Writing into a String cannot fail.
        let _ = write!(out, "{item}");
    }
    out
}

/// `1 user`, `3 users`.
pub fn users_phrase(n: usize) -> String {
    if n == 1 {
        "1 user".to_string()
    } else {
        format!("{n} users")
    }
}
