//! The org's large collections, indexed and change-tracked: [`Table`] (objects by id, in storage
//! order) and [`Edges`] (the association graph with an adjacency index).
//!
//! Why: the sandbox must serve an org of 100,000 users. A lookup by id, a neighbour list and a
//! write must not scan, clone or compare the whole org. Both types keep storage order (what a
//! list without `sort` answers, and the order the state file is written in) with tombstones, so
//! a delete is O(1) and slots stay stable for the list cache; the dead slots are swept once they
//! outnumber the live ones (amortised O(1)).
//!
//! Both record what a request changed: an undo log (so a failed request changes nothing, as the
//! emulator promises) and the keys touched (so the write-ahead journal holds only the changed
//! objects, see `journal`). `App::write` commits or rolls back every request.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::marker::PhantomData;

use serde::de::Deserializer;
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::state::{Edge, Node, Obj};

/// Names the field that identifies a table's objects (`_id` for users, `id` elsewhere).
pub trait IdKey {
    /// The object field holding the id.
    const KEY: &'static str;
    /// Text fields looked up case-insensitively (what must be unique: usernames, emails).
    const UNIQUE: &'static [&'static str] = &[];
    /// Whether [`IdKey::pack`] may drop fields, so that a stored object is not the whole
    /// object the API answers with (see [`Table::get_full`]).
    const PACKS: bool = false;
    /// Drops the fields `obj` holds at the value [`IdKey::unpack`] would fill in, so a table
    /// of 100,000 objects does not hold 100,000 copies of the same defaults (issue 13).
    fn pack(_obj: &mut Obj) {}
    /// Fills in what [`IdKey::pack`] dropped: `unpack(pack(o)) == o`.
    fn unpack(_obj: &mut Obj) {}
}

/// Objects identified by `_id`: v1 system users. Stored packed: the ~40 fields of
/// `systemuserreturn` a user holds at their defaults (`state::fill_user_defaults`) are left out
/// of the table (and of the state file) and filled in when the user is served.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UnderscoreId;
impl IdKey for UnderscoreId {
    const KEY: &'static str = "_id";
    const UNIQUE: &'static [&'static str] = &["username", "email"];
    const PACKS: bool = true;
    fn pack(obj: &mut Obj) {
        super::state::pack_user(obj);
    }
    fn unpack(obj: &mut Obj) {
        super::state::fill_user_defaults(obj);
    }
}

/// Objects identified by `id` (v2 objects).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PlainId;
impl IdKey for PlainId {
    const KEY: &'static str = "id";
}

/// What one request did to a table, so it can be undone.
#[derive(Debug, Clone)]
enum Undo {
    /// A slot was appended: drop it.
    Pushed(usize),
    /// A slot held this object before (`None`: it was a tombstone).
    Replaced(usize, Option<Obj>),
}

/// A collection of objects by id, in storage order. Serialises as the plain JSON array the state
/// file has always held.
#[derive(Clone, Default)]
pub struct Table<K> {
    slots: Vec<Option<Obj>>,
    index: HashMap<String, usize>,
    live: usize,
    undo: Vec<Undo>,
    touched: Vec<String>,
    /// Per `K::UNIQUE` field: slots by lower-cased value. May hold stale slots (an object
    /// changed or removed since); [`Table::find_ci`] checks every candidate.
    unique: Vec<HashMap<String, Vec<usize>>>,
    key: PhantomData<K>,
}

fn id_of<'a>(obj: &'a Obj, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

impl<K: IdKey> Table<K> {
    /// Builds a table from objects in storage order. Objects without an id (a hand-written file)
    /// are kept but cannot be found until [`Table::reindex`] runs after ids are assigned.
    pub fn from_vec(rows: Vec<Obj>) -> Self {
        let mut table = Table {
            live: rows.len(),
            slots: rows.into_iter().map(Some).collect(),
            index: HashMap::new(),
            undo: Vec::new(),
            touched: Vec::new(),
            unique: Vec::new(),
            key: PhantomData,
        };
        table.reindex();
        table
    }

    /// Rebuilds the id index (after ids were filled in place, see `Org::normalise`).
    pub fn reindex(&mut self) {
        self.index.clear();
        self.unique = vec![HashMap::new(); K::UNIQUE.len()];
        for slot in 0..self.slots.len() {
            if let Some(id) = self.slots[slot].as_ref().and_then(|o| id_of(o, K::KEY)) {
                // The first object with an id wins, as a linear search did.
                self.index.entry(id.to_string()).or_insert(slot);
            }
            self.index_unique(slot);
        }
    }

    fn index_unique(&mut self, slot: usize) {
        if self.unique.len() != K::UNIQUE.len() {
            self.unique = vec![HashMap::new(); K::UNIQUE.len()];
        }
        let Some(obj) = self.slots.get(slot).and_then(Option::as_ref) else {
            return;
        };
        for (field, index) in K::UNIQUE.iter().zip(&mut self.unique) {
            if let Some(text) = obj.get(*field).and_then(Value::as_str) {
                let slots = index.entry(text.to_ascii_lowercase()).or_default();
                if !slots.contains(&slot) {
                    slots.push(slot);
                }
            }
        }
    }

    /// Live objects whose `field` (one of `K::UNIQUE`) equals `text`, ignoring ASCII case, as
    /// of the last commit or push.
    pub fn find_ci<'a>(&'a self, field: &str, text: &str) -> Vec<&'a Obj> {
        let Some(index) = K::UNIQUE
            .iter()
            .position(|f| *f == field)
            .and_then(|i| self.unique.get(i))
        else {
            return self
                .iter()
                .filter(|o| {
                    o.get(field)
                        .and_then(Value::as_str)
                        .is_some_and(|v| v.eq_ignore_ascii_case(text))
                })
                .collect();
        };
        let slots = index.get(&text.to_ascii_lowercase());
        slots
            .into_iter()
            .flatten()
            .filter_map(|&slot| self.at(slot))
            .filter(|o| {
                o.get(field)
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.eq_ignore_ascii_case(text))
            })
            .collect()
    }

    /// Live objects in storage order.
    pub fn iter(&self) -> impl Iterator<Item = &Obj> + '_ {
        self.slots.iter().flatten()
    }

    /// Live objects with their slots (stable until the next write).
    pub fn slots(&self) -> impl Iterator<Item = (usize, &Obj)> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, o)| o.as_ref().map(|o| (i, o)))
    }

    /// The object in `slot`, if live, as stored (packed: see [`IdKey::pack`]).
    pub fn at(&self, slot: usize) -> Option<&Obj> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// The whole object in `slot` (unpacked), if live: what the API answers with.
    pub fn at_full(&self, slot: usize) -> Option<Obj> {
        self.at(slot).map(unpacked::<K>)
    }

    /// The whole object with this id (unpacked): what the API answers with.
    pub fn get_full(&self, id: &str) -> Option<Obj> {
        self.get(id).map(unpacked::<K>)
    }

    /// Packs every object (after [`Table::untracked_iter_mut`] changed them; not tracked).
    pub fn untracked_pack(&mut self) {
        for obj in self.slots.iter_mut().flatten() {
            K::pack(obj);
        }
    }

    /// Mutable access to every object, for `Org::normalise` before anything is served (not
    /// tracked: call [`Table::reindex`] afterwards).
    pub fn untracked_iter_mut(&mut self) -> impl Iterator<Item = &mut Obj> + '_ {
        self.slots.iter_mut().flatten()
    }

    /// The object with this id, as stored: fields at their defaults may be absent (see
    /// [`IdKey::pack`]; [`Table::get_full`] has them).
    pub fn get(&self, id: &str) -> Option<&Obj> {
        self.index.get(id).and_then(|&slot| self.at(slot))
    }

    /// Whether an object has this id.
    pub fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    /// The whole object with this id (unpacked), for a change (recorded for undo and the
    /// journal; packed again on commit).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Obj> {
        let slot = *self.index.get(id)?;
        let old = self.slots[slot].clone();
        old.as_ref()?;
        self.undo.push(Undo::Replaced(slot, old));
        self.touched.push(id.to_string());
        let obj = self.slots[slot].as_mut()?;
        K::unpack(obj);
        Some(obj)
    }

    /// Appends `obj` (its id must be set and unused; a used id replaces that object in place).
    pub fn push(&mut self, mut obj: Obj) {
        let id = id_of(&obj, K::KEY).unwrap_or_default().to_string();
        K::pack(&mut obj);
        if let Some(existing) = self.get_mut(&id) {
            *existing = obj;
            return;
        }
        self.slots.push(Some(obj));
        self.live += 1;
        let slot = self.slots.len() - 1;
        self.index.insert(id.clone(), slot);
        self.index_unique(slot);
        self.undo.push(Undo::Pushed(slot));
        self.touched.push(id);
    }

    /// Removes the object with this id.
    pub fn remove(&mut self, id: &str) -> Option<Obj> {
        let slot = *self.index.get(id)?;
        let old = self.slots[slot].take()?;
        self.index.remove(id);
        self.live -= 1;
        self.undo.push(Undo::Replaced(slot, Some(old.clone())));
        self.touched.push(id.to_string());
        Some(old)
    }

    /// Undoes everything since the last commit.
    fn rollback(&mut self) {
        while let Some(step) = self.undo.pop() {
            match step {
                Undo::Pushed(slot) => {
                    if let Some(obj) = self.slots.get_mut(slot).and_then(Option::take) {
                        if let Some(id) = id_of(&obj, K::KEY) {
                            self.index.remove(id);
                        }
                        self.live -= 1;
                    }
                    if slot + 1 == self.slots.len() {
                        self.slots.pop();
                    }
                }
                Undo::Replaced(slot, old) => {
                    let was_live = self.slots[slot].is_some();
                    match (&old, was_live) {
                        (Some(_), false) => self.live += 1,
                        (None, true) => self.live -= 1,
                        _ => {}
                    }
                    if let Some(id) = old.as_ref().and_then(|o| id_of(o, K::KEY)) {
                        self.index.insert(id.to_string(), slot);
                    }
                    self.slots[slot] = old;
                }
            }
        }
        self.touched.clear();
    }

    /// Forgets the undo log and sweeps tombstones once they outnumber the live objects.
    fn commit(&mut self) {
        self.undo.clear();
        for id in std::mem::take(&mut self.touched) {
            if let Some(&slot) = self.index.get(&id) {
                if let Some(obj) = self.slots[slot].as_mut() {
                    K::pack(obj);
                }
                self.index_unique(slot);
            }
        }
        let dead = self.slots.len() - self.live;
        if dead > 64 && dead > self.live {
            self.slots.retain(Option::is_some);
            self.reindex();
        }
    }

    /// The final value of each object touched since the last commit (`None`: removed).
    fn changes(&self) -> Vec<(String, Option<Obj>)> {
        let mut seen = HashSet::new();
        self.touched
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .map(|id| {
                let value = self.get(id).cloned().map(|mut obj| {
                    K::pack(&mut obj);
                    obj
                });
                (id.clone(), value)
            })
            .collect()
    }

    /// Replays a journal record: the object with `id` becomes `value` (`None`: removed). Keeps
    /// its slot if it exists, appends otherwise.
    fn apply(&mut self, id: &str, value: Option<Obj>) {
        match value {
            Some(obj) => self.push(obj),
            None => {
                self.remove(id);
            }
        }
    }
}

fn unpacked<K: IdKey>(obj: &Obj) -> Obj {
    let mut obj = obj.clone();
    K::unpack(&mut obj);
    obj
}

impl<K> fmt::Debug for Table<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.slots.iter().flatten()).finish()
    }
}

impl<K> PartialEq for Table<K> {
    fn eq(&self, other: &Self) -> bool {
        self.slots.iter().flatten().eq(other.slots.iter().flatten())
    }
}

impl<K> Serialize for Table<K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.live))?;
        for obj in self.slots.iter().flatten() {
            seq.serialize_element(obj)?;
        }
        seq.end()
    }
}

impl<'de, K: IdKey> Deserialize<'de> for Table<K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Obj>::deserialize(deserializer).map(Table::from_vec)
    }
}

/// An interned graph node.
type NodeId = u32;

#[derive(Debug, Clone)]
enum EdgeUndo {
    Added(usize),
    Removed(usize, Edge),
    Attributes(usize, Option<Value>),
}

/// The association graph: edges in storage order, found by their ends in O(1) and listed per
/// node in O(degree). Serialises as the array of edges the state file has always held.
#[derive(Clone, Default)]
pub struct Edges {
    slots: Vec<Option<Edge>>,
    nodes: HashMap<Node, NodeId>,
    /// Edge slots per node, ascending (storage order); may name dead slots (skipped).
    adjacent: Vec<Vec<usize>>,
    pairs: HashMap<(NodeId, NodeId), usize>,
    live: usize,
    undo: Vec<EdgeUndo>,
    touched: Vec<(Node, Node)>,
}

impl Edges {
    /// Builds the graph from edges in storage order. A pair stored twice keeps its first edge
    /// for lookups, as a linear search did; both are kept in the file.
    pub fn from_vec(edges: Vec<Edge>) -> Edges {
        let mut graph = Edges::default();
        for edge in edges {
            graph.insert_slot(edge);
        }
        graph
    }

    fn intern(&mut self, node: &Node) -> NodeId {
        if let Some(&id) = self.nodes.get(node) {
            return id;
        }
        let id = self.adjacent.len() as NodeId;
        self.nodes.insert(node.clone(), id);
        self.adjacent.push(Vec::new());
        id
    }

    fn pair(&self, a: &Node, b: &Node) -> Option<(NodeId, NodeId)> {
        let edge = Edge::new(a.clone(), b.clone());
        Some((*self.nodes.get(&edge.from)?, *self.nodes.get(&edge.to)?))
    }

    fn insert_slot(&mut self, edge: Edge) -> usize {
        let from = self.intern(&edge.from);
        let to = self.intern(&edge.to);
        let slot = self.slots.len();
        self.slots.push(Some(edge));
        self.live += 1;
        self.pairs.entry((from, to)).or_insert(slot);
        self.adjacent[from as usize].push(slot);
        if to != from {
            self.adjacent[to as usize].push(slot);
        }
        slot
    }

    /// Live edges in storage order.
    pub fn iter(&self) -> impl Iterator<Item = &Edge> + '_ {
        self.slots.iter().flatten()
    }

    /// The slot of the edge between `a` and `b`, whichever way round.
    pub fn find(&self, a: &Node, b: &Node) -> Option<usize> {
        let slot = *self.pairs.get(&self.pair(a, b)?)?;
        self.slots[slot].as_ref().map(|_| slot)
    }

    /// The live edge in `slot`.
    pub fn at(&self, slot: usize) -> Option<&Edge> {
        self.slots.get(slot).and_then(Option::as_ref)
    }

    /// Live edges touching `node`, in storage order.
    pub fn of<'a>(&'a self, node: &Node) -> impl Iterator<Item = &'a Edge> + 'a {
        self.slots_of(node).map(|(_, edge)| edge)
    }

    /// Live edges touching `node` with their slots (for [`Edges::at`]), in storage order.
    pub fn slots_of<'a>(&'a self, node: &Node) -> impl Iterator<Item = (usize, &'a Edge)> + 'a {
        let slots: &'a [usize] = match self.nodes.get(node) {
            Some(&id) => &self.adjacent[id as usize],
            None => &[],
        };
        slots
            .iter()
            .filter_map(|&slot| self.at(slot).map(|edge| (slot, edge)))
    }

    /// Adds `edge` (its pair must not be stored yet: see [`Edges::find`]).
    pub fn add(&mut self, edge: Edge) {
        self.touched.push((edge.from.clone(), edge.to.clone()));
        let slot = self.insert_slot(edge);
        self.undo.push(EdgeUndo::Added(slot));
    }

    /// Removes the edge in `slot`.
    pub fn remove_at(&mut self, slot: usize) -> Option<Edge> {
        let edge = self.slots.get_mut(slot)?.take()?;
        self.live -= 1;
        if let Some(pair) = self.pair(&edge.from, &edge.to) {
            if self.pairs.get(&pair) == Some(&slot) {
                self.pairs.remove(&pair);
            }
        }
        self.touched.push((edge.from.clone(), edge.to.clone()));
        self.undo.push(EdgeUndo::Removed(slot, edge.clone()));
        Some(edge)
    }

    /// Sets the attributes of the edge in `slot`.
    pub fn set_attributes(&mut self, slot: usize, attributes: Option<Value>) {
        if let Some(edge) = self.slots.get_mut(slot).and_then(Option::as_mut) {
            let old = std::mem::replace(&mut edge.attributes, attributes);
            self.touched.push((edge.from.clone(), edge.to.clone()));
            self.undo.push(EdgeUndo::Attributes(slot, old));
        }
    }

    /// Removes every edge touching `node`.
    pub fn remove_all_of(&mut self, node: &Node) {
        let Some(&id) = self.nodes.get(node) else {
            return;
        };
        for slot in self.adjacent[id as usize].clone() {
            self.remove_at(slot);
        }
    }

    fn rollback(&mut self) {
        while let Some(step) = self.undo.pop() {
            match step {
                EdgeUndo::Added(slot) => {
                    if let Some(edge) = self.slots[slot].take() {
                        self.live -= 1;
                        if let Some(pair) = self.pair(&edge.from, &edge.to) {
                            if self.pairs.get(&pair) == Some(&slot) {
                                self.pairs.remove(&pair);
                            }
                        }
                    }
                }
                EdgeUndo::Removed(slot, edge) => {
                    if let Some(pair) = self.pair(&edge.from, &edge.to) {
                        self.pairs.insert(pair, slot);
                    }
                    self.slots[slot] = Some(edge);
                    self.live += 1;
                }
                EdgeUndo::Attributes(slot, old) => {
                    if let Some(edge) = self.slots[slot].as_mut() {
                        edge.attributes = old;
                    }
                }
            }
        }
        self.touched.clear();
    }

    fn commit(&mut self) {
        self.undo.clear();
        self.touched.clear();
        let dead = self.slots.len() - self.live;
        if dead > 64 && dead > self.live {
            *self = Edges::from_vec(self.slots.drain(..).flatten().collect());
        }
    }

    /// The final state of each pair touched since the last commit (`None`: no edge).
    fn changes(&self) -> Vec<(Node, Node, Option<Edge>)> {
        let mut seen = HashSet::new();
        self.touched
            .iter()
            .filter(|pair| seen.insert(*pair))
            .map(|(a, b)| {
                let edge = self.find(a, b).and_then(|slot| self.at(slot)).cloned();
                (a.clone(), b.clone(), edge)
            })
            .collect()
    }

    fn apply(&mut self, a: &Node, b: &Node, edge: Option<Edge>) {
        match (self.find(a, b), edge) {
            (Some(slot), Some(edge)) => self.set_attributes(slot, edge.attributes),
            (None, Some(edge)) => self.add(edge),
            (Some(slot), None) => {
                self.remove_at(slot);
            }
            (None, None) => {}
        }
    }
}

impl fmt::Debug for Edges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl PartialEq for Edges {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Serialize for Edges {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.live))?;
        for edge in self.iter() {
            seq.serialize_element(edge)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Edges {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Vec::<Edge>::deserialize(deserializer).map(Edges::from_vec)
    }
}

/// One change to a tracked collection, as the journal stores it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Change {
    /// The object `id` of `table` is now `value` (`null`: removed).
    Row {
        table: String,
        id: String,
        value: Option<Obj>,
    },
    /// The edge between `from` and `to` is now `edge` (`null`: none).
    Edge {
        from: Node,
        to: Node,
        edge: Option<Edge>,
    },
    /// A top-level field of the untracked rest of the org is now `value` (`null`: absent).
    Field { field: String, value: Value },
}

/// The tracked collections of an org, by name, so commit, rollback and replay cover them all.
pub trait Tracked {
    /// Undoes every change since the last commit.
    fn rollback(&mut self);
    /// Keeps the changes since the last commit.
    fn commit(&mut self);
    /// The changes since the last commit, as journal records.
    fn changes(&self, name: &str, out: &mut Vec<Change>);
}

impl<K: IdKey> Tracked for Table<K> {
    fn rollback(&mut self) {
        Table::rollback(self)
    }
    fn commit(&mut self) {
        Table::commit(self)
    }
    fn changes(&self, name: &str, out: &mut Vec<Change>) {
        out.extend(
            Table::changes(self)
                .into_iter()
                .map(|(id, value)| Change::Row {
                    table: name.to_string(),
                    id,
                    value,
                }),
        );
    }
}

impl Tracked for Edges {
    fn rollback(&mut self) {
        Edges::rollback(self)
    }
    fn commit(&mut self) {
        Edges::commit(self)
    }
    fn changes(&self, _name: &str, out: &mut Vec<Change>) {
        out.extend(
            Edges::changes(self)
                .into_iter()
                .map(|(from, to, edge)| Change::Edge { from, to, edge }),
        );
    }
}

/// Replays `change` on a table (`Change::Row`).
pub fn apply_row<K: IdKey>(table: &mut Table<K>, id: &str, value: Option<Obj>) {
    table.apply(id, value);
    table.commit();
}

/// Replays `change` on the graph (`Change::Edge`).
pub fn apply_edge(edges: &mut Edges, from: &Node, to: &Node, edge: Option<Edge>) {
    edges.apply(from, to, edge);
    edges.commit();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Obj {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn rollback_restores_order_and_index() {
        let mut t: Table<PlainId> =
            Table::from_vec(vec![obj(json!({"id": "a"})), obj(json!({"id": "b"}))]);
        t.push(obj(json!({"id": "c"})));
        t.remove("a");
        t.get_mut("b").unwrap().insert("x".into(), json!(1));
        t.rollback();
        let ids: Vec<_> = t.iter().map(|o| o["id"].clone()).collect();
        assert_eq!(ids, vec![json!("a"), json!("b")]);
        assert!(t.get("c").is_none());
        assert!(t.get("b").unwrap().get("x").is_none());
        assert_eq!(t.iter().count(), 2);
    }

    #[test]
    fn changes_name_final_values_once() {
        let mut t: Table<PlainId> = Table::from_vec(vec![obj(json!({"id": "a"}))]);
        t.get_mut("a").unwrap().insert("x".into(), json!(1));
        t.get_mut("a").unwrap().insert("x".into(), json!(2));
        t.push(obj(json!({"id": "b"})));
        t.remove("b");
        let changes = t.changes();
        assert_eq!(
            changes,
            vec![
                ("a".to_string(), Some(obj(json!({"id": "a", "x": 2})))),
                ("b".to_string(), None)
            ]
        );
    }

    #[test]
    fn tombstones_are_swept_and_order_kept() {
        let rows = (0..200).map(|i| obj(json!({"id": format!("{i:03}")})));
        let mut t: Table<PlainId> = Table::from_vec(rows.collect());
        for i in 0..150 {
            t.remove(&format!("{i:03}"));
        }
        t.commit();
        assert_eq!(t.iter().count(), 50);
        assert_eq!(t.iter().next().unwrap()["id"], json!("150"));
        assert!(t.get("199").is_some());
    }

    #[test]
    fn edges_find_either_way_and_undo() {
        let g = Node::new("user_group", "g");
        let u = Node::new("user", "u");
        let mut e = Edges::from_vec(vec![Edge::new(g.clone(), u.clone())]);
        assert_eq!(e.find(&u, &g), Some(0));
        e.remove_all_of(&u);
        assert_eq!(e.find(&g, &u), None);
        e.add(Edge::new(u.clone(), g.clone()));
        assert_eq!(e.of(&g).count(), 1);
        e.rollback();
        assert_eq!(e.find(&u, &g), Some(0));
        assert_eq!(e.of(&u).count(), 1);
        assert_eq!(e.iter().count(), 1);
    }
}
