//! The list cache: the filtered, sorted rows of a list query, kept between the requests for its
//! pages while the org does not change.
//!
//! Why: a client reads a collection page by page (`skip` advancing by 100). Filtering and
//! sorting the whole collection for every page made reading it quadratic (151 s of CPU for 50k
//! users). With the cache, the first page costs O(rows log rows) and every other page
//! O(page). Entries are keyed by the org's version, which every committed write bumps, so a
//! page is always cut from the org as it is now; an entry is dropped once its last page is
//! served, and the cache never holds more than a few queries.

use std::collections::HashMap;
use std::sync::Arc;

use super::state::Obj;

/// Rows of one list query, in answer order.
pub enum Rows {
    /// Slots of a `table::Table` (the objects stay in the org).
    Slots(Vec<usize>),
    /// Rows built for the answer (graph traversals, association lists).
    Built(Vec<Obj>),
}

impl Rows {
    /// How many rows match (the list's total).
    pub fn len(&self) -> usize {
        match self {
            Rows::Slots(slots) => slots.len(),
            Rows::Built(rows) => rows.len(),
        }
    }
}

/// At most this many queries are cached at once.
const MAX_ENTRIES: usize = 16;

/// Cached rows per query key, all for one org version.
#[derive(Default)]
pub struct ListCache {
    version: u64,
    entries: HashMap<String, Arc<Rows>>,
}

impl ListCache {
    /// The rows cached for `key` at `version`.
    pub fn get(&mut self, version: u64, key: &str) -> Option<Arc<Rows>> {
        if self.version != version {
            self.entries.clear();
            self.version = version;
        }
        self.entries.get(key).cloned()
    }

    /// Caches `rows` for `key` at `version`.
    pub fn put(&mut self, version: u64, key: String, rows: Arc<Rows>) {
        if self.version != version {
            self.entries.clear();
            self.version = version;
        }
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(key, rows);
    }

    /// Drops `key` (its last page was served).
    pub fn forget(&mut self, key: &str) {
        self.entries.remove(key);
    }
}
