//! The list cache: the filtered, sorted rows of a list query, kept between the requests for its
//! pages while the org does not change.
//!
//! Why: a client reads a collection page by page (`skip` advancing by 100). Filtering and
//! sorting the whole collection for every page made reading it quadratic (151 s of CPU for 50k
//! users). With the cache, the first page costs O(rows log rows) and every other page
//! O(page). Entries are keyed by the org's version, which every committed write bumps, so a
//! page is always cut from the org as it is now; an entry is dropped once its last page is
//! served, and past `MAX_ENTRIES` queries the least recently used one goes.

use std::collections::HashMap;
use std::sync::Arc;

use super::state::Obj;

/// Rows of one list query, in answer order.
pub enum Rows {
    /// Slots of a `table::Table`, or of the association graph (`table::Edges`): the rows stay
    /// in the org and are drawn when their page is served.
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

/// At most this many queries are cached at once. A full read asks for every group's members at
/// once (up to `--parallelism` pages in flight, every group's read in progress), so this must
/// exceed the number of lists being paged concurrently or the largest list is rebuilt again and
/// again; past it, the least recently used entry goes.
const MAX_ENTRIES: usize = 512;

/// Cached rows per query key, all for one org version.
#[derive(Default)]
pub struct ListCache {
    version: u64,
    /// Rows and when they were last used (`clock`).
    entries: HashMap<String, (u64, Arc<Rows>)>,
    clock: u64,
}

impl ListCache {
    fn at_version(&mut self, version: u64) {
        if self.version != version {
            self.entries.clear();
            self.version = version;
        }
    }

    /// The rows cached for `key` at `version`.
    pub fn get(&mut self, version: u64, key: &str) -> Option<Arc<Rows>> {
        self.at_version(version);
        self.clock += 1;
        let clock = self.clock;
        self.entries.get_mut(key).map(|(used, rows)| {
            *used = clock;
            rows.clone()
        })
    }

    /// Caches `rows` for `key` at `version`.
    pub fn put(&mut self, version: u64, key: String, rows: Arc<Rows>) {
        self.at_version(version);
        if self.entries.len() >= MAX_ENTRIES {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        self.clock += 1;
        self.entries.insert(key, (self.clock, rows));
    }

    /// Drops `key` (its last page was served).
    pub fn forget(&mut self, key: &str) {
        self.entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_entry_goes_and_a_new_version_empties_it() {
        let mut cache = ListCache::default();
        let rows = || Arc::new(Rows::Slots(vec![1, 2, 3]));
        for i in 0..MAX_ENTRIES {
            cache.put(1, format!("k{i}"), rows());
        }
        assert!(cache.get(1, "k0").is_some());
        cache.put(1, "new".into(), rows());
        assert!(cache.get(1, "k0").is_some(), "recently used stays");
        assert!(cache.get(1, "k1").is_none(), "least recently used went");
        assert!(
            cache.get(2, "new").is_none(),
            "another version is another org"
        );
    }
}
