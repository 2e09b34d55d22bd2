//! The dependency graph over addresses (petgraph). A membership depends on its user and group; a
//! binding on its directory and its user or group; a user with a delegated authority on that AD
//! domain. Order is deterministic: ties are broken by address, so the same files always give the
//! same order, the same DOT output and the same apply sequence.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use crate::model::{Address, DelegatedAuthority, Model, Subject};

#[derive(Debug, Clone, Default)]
pub struct DependencyGraph {
    /// Edge `a -> b`: `a` depends on `b` (as Terraform draws it).
    graph: DiGraph<Address, ()>,
    index: BTreeMap<Address, NodeIndex>,
}

impl DependencyGraph {
    pub fn add_node(&mut self, address: Address) -> NodeIndex {
        if let Some(i) = self.index.get(&address) {
            return *i;
        }
        let i = self.graph.add_node(address.clone());
        self.index.insert(address, i);
        i
    }

    /// `dependent` needs `dependency` to exist first.
    pub fn add_dependency(&mut self, dependent: Address, dependency: Address) {
        let a = self.add_node(dependent);
        let b = self.add_node(dependency);
        if !self.graph.contains_edge(a, b) {
            self.graph.add_edge(a, b, ());
        }
    }

    pub fn len(&self) -> usize {
        self.graph.node_count()
    }

    pub fn is_empty(&self) -> bool {
        self.graph.node_count() == 0
    }

    pub fn contains(&self, address: &Address) -> bool {
        self.index.contains_key(address)
    }

    /// What `address` depends on, sorted.
    pub fn dependencies(&self, address: &Address) -> Vec<&Address> {
        self.neighbours(address, Direction::Outgoing)
    }

    /// What depends on `address`, sorted.
    pub fn dependents(&self, address: &Address) -> Vec<&Address> {
        self.neighbours(address, Direction::Incoming)
    }

    fn neighbours(&self, address: &Address, dir: Direction) -> Vec<&Address> {
        let Some(i) = self.index.get(address) else {
            return Vec::new();
        };
        let mut out: Vec<&Address> = self
            .graph
            .neighbors_directed(*i, dir)
            .map(|n| &self.graph[n])
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Dependencies first; among nodes that are ready at the same time, by address (Kahn's
    /// algorithm with an ordered ready set). `Err` holds the addresses on a cycle.
    pub fn topological_order(&self) -> Result<Vec<&Address>, Vec<&Address>> {
        let mut remaining: BTreeMap<NodeIndex, usize> = self
            .graph
            .node_indices()
            .map(|n| {
                (
                    n,
                    self.graph
                        .neighbors_directed(n, Direction::Outgoing)
                        .count(),
                )
            })
            .collect();
        let mut ready: BTreeSet<(&Address, NodeIndex)> = remaining
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(n, _)| (&self.graph[*n], *n))
            .collect();
        let mut order = Vec::with_capacity(self.graph.node_count());
        while let Some((address, n)) = ready.pop_first() {
            order.push(address);
            remaining.remove(&n);
            for dependent in self.graph.neighbors_directed(n, Direction::Incoming) {
                if let Some(d) = remaining.get_mut(&dependent) {
                    *d -= 1;
                    if *d == 0 {
                        ready.insert((&self.graph[dependent], dependent));
                    }
                }
            }
        }
        if remaining.is_empty() {
            Ok(order)
        } else {
            let mut cycle: Vec<&Address> = remaining.keys().map(|n| &self.graph[*n]).collect();
            cycle.sort();
            Err(cycle)
        }
    }

    /// Graphviz DOT: one node per address, an edge from each object to what it depends on.
    pub fn to_dot(&self) -> String {
        let mut out = String::from("digraph jcform {\n    rankdir = \"RL\";\n    node [shape = box, fontname = \"Helvetica\"];\n");
        let mut nodes: Vec<&Address> = self.index.keys().collect();
        nodes.sort();
        for a in &nodes {
            let _ = writeln!(
                out,
                "    {} [label = {}];",
                quote(&a.to_string()),
                quote(&a.to_string())
            );
        }
        for a in &nodes {
            for b in self.dependencies(a) {
                let _ = writeln!(
                    out,
                    "    {} -> {};",
                    quote(&a.to_string()),
                    quote(&b.to_string())
                );
            }
        }
        out.push_str("}\n");
        out
    }
}

/// A DOT quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn subject_address(s: &Subject) -> Address {
    match s {
        Subject::User(k) => Address::User(k.clone()),
        Subject::Group(k) => Address::Group(k.clone()),
    }
}

/// What `address` depends on, the one definition both graphs use: a membership on its group and
/// user, a binding (JumpCloud's association) on its directory and subject, and an object on the
/// one its fields name (`named`, a config key): a user on the AD domain it delegates to, an SSO
/// app on the M365 tenant it signs in to; anything else on nothing. The config graph
/// ([`build`]) draws these; the apply graph (`apply::order`) makes creates wait for them and
/// deletes run in reverse.
pub fn references(address: &Address, named: Option<&str>) -> Vec<Address> {
    match address {
        Address::Membership(group, user) => {
            vec![Address::Group(group.clone()), Address::User(user.clone())]
        }
        Address::Binding(b) => vec![b.directory.address(), subject_address(&b.subject)],
        Address::User(_) => named
            .map(|d| Address::AdDomain(d.to_string()))
            .into_iter()
            .collect(),
        Address::SsoApp(_) => named
            .map(|t| Address::M365Tenant(t.to_string()))
            .into_iter()
            .collect(),
        _ => Vec::new(),
    }
}

/// The graph of everything a model declares: each object and edge with an edge to each of its
/// [`references`].
pub fn build(model: &Model) -> DependencyGraph {
    let mut g = DependencyGraph::default();
    let add = |g: &mut DependencyGraph, address: Address, named: Option<&str>| {
        for r in references(&address, named) {
            g.add_dependency(address.clone(), r);
        }
        g.add_node(address);
    };
    for key in model.ad_domains.keys() {
        add(&mut g, Address::AdDomain(key.clone()), None);
    }
    for key in model.m365_tenants.keys() {
        add(&mut g, Address::M365Tenant(key.clone()), None);
    }
    // An SSO app names the tenant it signs in to (`tenant`); its groups are bindings below.
    for (key, app) in &model.sso_apps {
        add(&mut g, Address::SsoApp(key.clone()), app.tenant.as_deref());
    }
    for (name, user) in &model.users {
        let delegates_to = match &user.delegated_authority {
            Some(DelegatedAuthority::Ad(ad)) => Some(ad.as_str()),
            _ => None,
        };
        add(&mut g, Address::User(name.clone()), delegates_to);
    }
    for (name, group) in &model.groups {
        add(&mut g, Address::Group(name.clone()), None);
        for user in group.members.iter().flatten() {
            add(
                &mut g,
                Address::Membership(name.clone(), user.clone()),
                None,
            );
        }
    }
    for b in &model.bindings {
        add(&mut g, Address::Binding(b.clone()), None);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_dependencies_first_then_by_address() {
        let mut g = DependencyGraph::default();
        g.add_dependency(
            Address::User("bob".into()),
            Address::AdDomain("corp".into()),
        );
        g.add_dependency(
            Address::Membership("eng".into(), "bob".into()),
            Address::User("bob".into()),
        );
        g.add_dependency(
            Address::Membership("eng".into(), "bob".into()),
            Address::Group("eng".into()),
        );
        g.add_node(Address::User("alice".into()));
        let order: Vec<String> = g
            .topological_order()
            .unwrap()
            .into_iter()
            .map(|a| a.to_string())
            .collect();
        assert_eq!(
            order,
            vec![
                "ad_domain.corp",
                "user.alice",
                "user.bob",
                "group.eng",
                "membership.eng.bob"
            ]
        );
    }

    #[test]
    fn cycles_are_reported() {
        let mut g = DependencyGraph::default();
        g.add_dependency(Address::User("a".into()), Address::Group("g".into()));
        g.add_dependency(Address::Group("g".into()), Address::User("a".into()));
        assert_eq!(g.topological_order().unwrap_err().len(), 2);
    }
}
