//! The plan: what would change, as data. `plan` prints it, `apply` executes the same value,
//! tests snapshot it. Built by `diff` from the model and the live state.

pub mod diff;
pub mod file;
pub mod keys;
pub mod ownership;
pub mod recheck;
pub mod world;

use std::collections::BTreeMap;

use serde::Serialize;

pub use diff::diff;

use crate::model::Address;

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

/// One change. `before` / `after` hold the changed fields only (config names), `null` where a
/// side does not exist (before of a create, after of a delete).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub address: Address,
    pub action: Action,
    /// Why, in words, for people ("declared in the files, missing in the org").
    pub reason: String,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    /// The remote id of the object or, for edges, of both ends, where they exist already.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub remote_ids: BTreeMap<String, String>,
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
