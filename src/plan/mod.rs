//! The plan: what would change, as data. `plan` prints it, `apply` executes the same value,
//! tests snapshot it. Built by `diff` from the model and the live state.

pub mod diff;
pub mod error;
pub mod fields;
pub mod file;
pub mod keys;
pub mod ownership;
pub mod recheck;
pub mod state;
pub mod target;

use std::collections::BTreeMap;

use serde::Serialize;

pub use diff::diff;
pub use error::{PlanError, PlanErrors};
pub use fields::{Field, Side};

use crate::model::{Address, Model};

/// What happens to one address. Glyphs as Terraform draws them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    /// Delete then create (a field the API cannot update in place).
    Replace,
    Delete,
}

impl Action {
    pub fn glyph(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "±",
            Action::Delete => "-",
        }
    }
}

/// One change. `before` / `after` hold the changed fields only (config names, typed per kind:
/// [`fields`]), [`Side::Absent`] (`null`) where a side does not exist (before of a create,
/// after of a delete).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// Why, in words, for people ("declared in the files, missing in the org").
    pub reason: String,
    pub before: Side,
    pub after: Side,
    /// The remote id of the object or, for edges, of both ends, where they exist already.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub remote_ids: BTreeMap<String, String>,
}

impl Change {
    /// The object's address under its live name, when this update renames it: a user whose
    /// `username` or a group whose `name` changes (in spelling or entirely). Derived from the
    /// `before` side, so the plan holds the old name once.
    pub fn renamed_from(&self) -> Option<Address> {
        if self.action != Action::Update {
            return None;
        }
        match &self.address {
            Address::User(_) => self
                .before
                .user()
                .and_then(|u| u.username.value())
                .map(|old| Address::User(old.clone())),
            Address::Group(_) => self
                .before
                .group()
                .and_then(|g| g.name.value())
                .map(|old| Address::Group(old.clone())),
            _ => None,
        }
    }
}

impl Change {
    /// A change whose sides are given as plan JSON (as `--format json` and plan files hold
    /// them), with no reason and no remote ids. Errors name the side and the field that does not
    /// read as the address's kind ([`Side::from_json`]).
    pub fn from_json_sides(
        address: Address,
        action: Action,
        before: serde_json::Value,
        after: serde_json::Value,
    ) -> Result<Change, String> {
        let side = |name: &str, v: &serde_json::Value| {
            Side::from_json(&address, v).map_err(|e| format!("{name} of {address}: {e}"))
        };
        Ok(Change {
            before: side("before", &before)?,
            after: side("after", &after)?,
            address: address.clone(),
            action,
            reason: String::new(),
            remote_ids: BTreeMap::new(),
        })
    }
}

/// Live objects the files don't name and the plan leaves alone, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Unmanaged {
    /// Kind -> addresses, sorted.
    pub objects: BTreeMap<String, Vec<Address>>,
    /// The config fields of unmanaged users, groups and AD domains as the org has them, so
    /// `--show-unmanaged` can print them ready to paste into the files.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<Address, serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Plan {
    /// Sorted by address.
    pub changes: Vec<Change>,
    pub unmanaged: Unmanaged,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }
}

/// Resolves, without keeping or printing them, the initial password of every user the plan
/// creates (or gives a password to): an unset environment variable or an unreadable file is an
/// error at the `initial_password` of that user, found at plan time rather than half-way
/// through an apply. Only what the plan uses is read, so `validate` stays offline and plans
/// that create nobody need no secrets.
pub fn unreadable_passwords(model: &Model, plan: &Plan) -> Vec<PlanError> {
    let mut errors = Vec::new();
    for change in &plan.changes {
        let Address::User(name) = &change.address else {
            continue;
        };
        if !change
            .after
            .user()
            .is_some_and(|u| u.initial_password.is_present())
        {
            continue;
        }
        let source = model
            .users
            .get(name)
            .and_then(|u| u.initial_password.as_ref());
        let problem = match source {
            None => Some("the plan sets it, but the files give none".to_string()),
            // The resolved value is dropped at once; the error never holds it.
            Some(s) => s.resolve().err(),
        };
        if let Some(problem) = problem {
            errors.push(PlanError::new(
                "unreadable-password",
                change.address.clone(),
                Some("initial_password"),
                format!("initial_password of `{name}`: {problem}"),
                "set the variable or create the file where jcform runs (the plan creates this \
                 user with it), or remove `initial_password`",
            ));
        }
    }
    errors
}
