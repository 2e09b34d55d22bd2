//! `--target` / `--exclude`: a partial plan, Terraform style.
//!
//! The plan keeps the changes whose address matches a target glob (all of them when no target is
//! given) and no exclude glob, plus every change those wait for in apply's order
//! (`apply::schedule`: a membership waits for its user's and group's creates, a user delegated to
//! a new AD domain for the domain, a deleted object for the deletes of the edges that name it...).
//! The dependencies are the schedule's, not a second copy of the rules, so a partial apply can
//! never run a change before something it needs. A dependency that an exclude names is an error
//! naming both: the partial plan would be broken.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::Plan;
use crate::apply::{schedule, OrderHints};
use crate::model::Address;

/// The address globs that make a plan partial (`--target`, `--exclude`), as given. Saved in plan
/// files and shown by every plan format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partial {
    /// Keep only changes matching one of these (and what they need); empty: every change.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Drop changes matching one of these.
    #[serde(default)]
    pub excludes: Vec<String>,
}

impl Partial {
    /// No filter: the plan is whole.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty() && self.excludes.is_empty()
    }

    /// Checks every glob, so a typo is an error before anything is read.
    pub fn check(&self) -> Result<(), TargetError> {
        for glob in self.targets.iter().chain(&self.excludes) {
            matcher(glob)?;
        }
        Ok(())
    }

    /// The filter as `Some` when it makes the plan partial.
    pub fn some(self) -> Option<Partial> {
        (!self.is_empty()).then_some(self)
    }
}

/// Why a partial plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("invalid address glob `{glob}`: {reason}")]
    BadGlob { glob: String, reason: String },
    #[error(
        "{kept} needs {needed}, which `--exclude {exclude}` leaves out: a partial apply would \
         break; drop the exclude or also exclude {kept}"
    )]
    ExcludedDependency {
        kept: String,
        needed: String,
        exclude: String,
    },
    #[error("{0}")]
    Order(String),
}

/// A filtered plan and what the filter did.
#[derive(Debug, Clone)]
pub struct Filtered {
    pub plan: Plan,
    /// Globs (targets and excludes) that match no change: a warning, probably a typo.
    pub unmatched: Vec<String>,
    /// Changes kept only because a targeted change needs them.
    pub pulled_in: Vec<Address>,
}

/// An address pattern: the glob's parts as an address splits them (`user.a*`,
/// `membership.sales.*`, `user["anna.*"]`), each a wildcard pattern over one part of an
/// address: `*` (any characters) and `?` (one character) match within that part only (a `.`
/// inside a quoted key is part of the key, so `membership.sales.*` never reaches group
/// `sales.eu`), and letter case is ignored as JumpCloud compares names (`keys::fold`). A last
/// part of exactly `*` matches one or more remaining parts (`binding.ad_domain.corp.*`); the
/// pattern `*` matches every address.
#[derive(Debug)]
struct Pattern {
    /// Each part folded, as characters.
    parts: Vec<Vec<char>>,
    /// The last part was `*`: any number (at least one) of further parts.
    rest: bool,
}

impl Pattern {
    fn is_match(&self, address: &[String]) -> bool {
        let fits = if self.rest {
            address.len() > self.parts.len()
        } else {
            address.len() == self.parts.len()
        };
        fits && self.parts.iter().zip(address).all(|(p, part)| {
            let text: Vec<char> = crate::plan::keys::fold(part).chars().collect();
            wildcard(p, &text)
        })
    }
}

/// `*` and `?` over characters (greedy with backtracking to the last `*`: linear in practice,
/// at worst pattern x text).
fn wildcard(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(c) if *c == '?' || *c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

fn matcher(glob: &str) -> Result<Pattern, TargetError> {
    if glob == "*" {
        return Ok(Pattern {
            parts: Vec::new(),
            rest: true,
        });
    }
    let mut parts =
        crate::model::lower::address_parts(glob).ok_or_else(|| TargetError::BadGlob {
            glob: glob.to_string(),
            reason: "not an address pattern (like `user.a*`, `membership.sales.*` or \
                     `user[\"anna.*\"]`)"
                .to_string(),
        })?;
    let rest = parts.len() > 1 && parts.last().is_some_and(|p| p == "*");
    if rest {
        parts.pop();
    }
    Ok(Pattern {
        parts: parts
            .iter()
            .map(|part| crate::plan::keys::fold(part).chars().collect())
            .collect(),
        rest,
    })
}

/// The changes of `plan` that `partial` keeps (see the module doc). `hints` are the facts apply
/// orders with (`apply::OrderHints::of_org`).
pub fn filter(plan: &Plan, partial: &Partial, hints: &OrderHints) -> Result<Filtered, TargetError> {
    let targets: Vec<(String, Pattern)> = partial
        .targets
        .iter()
        .map(|g| matcher(g).map(|m| (g.clone(), m)))
        .collect::<Result<_, _>>()?;
    let excludes: Vec<(String, Pattern)> = partial
        .excludes
        .iter()
        .map(|g| matcher(g).map(|m| (g.clone(), m)))
        .collect::<Result<_, _>>()?;
    let names: Vec<String> = plan.changes.iter().map(|c| c.address.to_string()).collect();
    // Every address jcform prints splits into its parts.
    let parts: Vec<Vec<String>> = names
        .iter()
        .map(|n| crate::model::lower::address_parts(n).unwrap_or_else(|| vec![n.clone()]))
        .collect();
    let hit = |globs: &[(String, Pattern)], i: usize| {
        globs
            .iter()
            .find(|(_, m)| m.is_match(&parts[i]))
            .map(|(g, _)| g.clone())
    };
    let mut unmatched: Vec<String> = targets
        .iter()
        .chain(excludes.iter())
        .filter(|(_, m)| !parts.iter().any(|p| m.is_match(p)))
        .map(|(g, _)| g.clone())
        .collect();
    unmatched.dedup();

    let chosen: Vec<usize> = (0..names.len())
        .filter(|&i| {
            (targets.is_empty() || hit(&targets, i).is_some()) && hit(&excludes, i).is_none()
        })
        .collect();

    // Change-level dependencies from apply's schedule: change i waits for change j.
    let sched = schedule(plan, hints).map_err(|e| TargetError::Order(e.to_string()))?;
    let mut needs: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for step in &sched.steps {
        for &n in &step.needs {
            let dep = sched.steps[n].change;
            if dep != step.change {
                needs.entry(step.change).or_default().insert(dep);
            }
        }
    }
    let mut kept: BTreeSet<usize> = chosen.iter().copied().collect();
    let mut queue: VecDeque<usize> = chosen.into_iter().collect();
    let mut pulled_in = Vec::new();
    while let Some(i) = queue.pop_front() {
        for &j in needs.get(&i).into_iter().flatten() {
            if kept.contains(&j) {
                continue;
            }
            if let Some(exclude) = hit(&excludes, j) {
                return Err(TargetError::ExcludedDependency {
                    kept: names[i].clone(),
                    needed: names[j].clone(),
                    exclude,
                });
            }
            kept.insert(j);
            pulled_in.push(plan.changes[j].address.clone());
            queue.push_back(j);
        }
    }
    let changes = plan
        .changes
        .iter()
        .enumerate()
        .filter(|(i, _)| kept.contains(i))
        .map(|(_, c)| c.clone())
        .collect();
    pulled_in.sort();
    Ok(Filtered {
        plan: Plan {
            changes,
            unmanaged: plan.unmanaged.clone(),
        },
        unmatched,
        pulled_in,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Binding, Directory, Subject};
    use crate::plan::{Action, Change};

    fn change(address: Address, action: Action, after: serde_json::Value) -> Change {
        let after = match crate::plan::Side::edge(&address) {
            Some(edge) if after == serde_json::json!({}) => edge.to_json(),
            _ => after,
        };
        Change::from_json_sides(address, action, serde_json::Value::Null, after)
            .expect("a plan side")
    }

    fn plan() -> Plan {
        let mut changes = vec![
            change(
                Address::User("ana".into()),
                Action::Create,
                serde_json::json!({"email": "ana@example.com", "delegated_authority": "corp"}),
            ),
            change(
                Address::User("bob".into()),
                Action::Create,
                serde_json::json!({"email": "bob@example.com"}),
            ),
            change(
                Address::Group("staff".into()),
                Action::Create,
                serde_json::json!({}),
            ),
            change(
                Address::Membership("staff".into(), "bob".into()),
                Action::Create,
                serde_json::json!({}),
            ),
            change(
                Address::AdDomain("corp".into()),
                Action::Create,
                serde_json::json!({"domain": "corp.example.com", "delegation": "enabled"}),
            ),
            change(
                Address::Binding(Binding {
                    directory: Directory::AdDomain("corp".into()),
                    subject: Subject::User("ana".into()),
                }),
                Action::Create,
                serde_json::json!({}),
            ),
        ];
        changes.sort_by(|a, b| a.address.cmp(&b.address));
        Plan {
            changes,
            ..Plan::default()
        }
    }

    fn kept(partial: Partial) -> Result<Vec<String>, TargetError> {
        let f = filter(&plan(), &partial, &OrderHints::default())?;
        Ok(f.plan
            .changes
            .iter()
            .map(|c| c.address.to_string())
            .collect())
    }

    fn targets(globs: &[&str]) -> Partial {
        Partial {
            targets: globs.iter().map(|s| s.to_string()).collect(),
            excludes: vec![],
        }
    }

    #[test]
    fn a_membership_pulls_in_its_user_and_group() {
        let mut got = kept(targets(&["membership.staff.*"])).unwrap();
        got.sort();
        assert_eq!(got, ["group.staff", "membership.staff.bob", "user.bob"]);
    }

    #[test]
    fn a_delegated_user_pulls_in_its_domain_and_binding() {
        let mut got = kept(targets(&["user.a*"])).unwrap();
        got.sort();
        assert_eq!(
            got,
            [
                "ad_domain.corp",
                "binding.ad_domain.corp.user.ana",
                "user.ana"
            ]
        );
    }

    #[test]
    fn excluding_a_dependency_is_an_error_naming_both() {
        let err = kept(Partial {
            targets: vec!["membership.*".into()],
            excludes: vec!["user.bob".into()],
        })
        .unwrap_err()
        .to_string();
        assert!(err.contains("membership.staff.bob needs user.bob"), "{err}");
        assert!(err.contains("--exclude user.bob"), "{err}");
    }

    #[test]
    fn excludes_alone_and_unmatched_globs() {
        let f = filter(
            &plan(),
            &Partial {
                targets: vec![],
                excludes: vec!["membership.*".into(), "user.nobody".into()],
            },
            &OrderHints::default(),
        )
        .unwrap();
        assert_eq!(f.plan.changes.len(), 5);
        assert_eq!(f.unmatched, ["user.nobody"]);
    }

    fn parts(address: &str) -> Vec<String> {
        crate::model::lower::address_parts(address).unwrap()
    }

    #[test]
    fn brackets_in_addresses_are_literal() {
        let m = matcher("user[\"anna.*\"]").unwrap();
        assert!(m.is_match(&parts("user[\"anna.lindqvist\"]")));
        assert!(!m.is_match(&parts("user.a")));
    }

    /// The reviewer's cases: a dot inside a quoted key is not a separator, case is ignored,
    /// `?` is one character (not one byte), quoted and plain spellings are one address.
    #[test]
    fn globs_match_whole_parts_without_regard_to_case() {
        let m = matcher("membership.sales.*").unwrap();
        assert!(m.is_match(&parts("membership.sales[\"anna.lindqvist\"]")));
        assert!(!m.is_match(&parts("membership[\"sales.eu\"].bob")));
        assert!(matcher("user.Dave").unwrap().is_match(&parts("user.dave")));
        assert!(matcher("user[\"dave\"]")
            .unwrap()
            .is_match(&parts("user.dave")));
        assert!(matcher("user.Ün?")
            .unwrap()
            .is_match(&parts("user[\"ünï\"]")));
        assert!(matcher("user.a*")
            .unwrap()
            .is_match(&parts("user[\"anna.lindqvist\"]")));
        assert!(!matcher("user.*")
            .unwrap()
            .is_match(&parts("membership.sales.bob")));
        let binding = parts("binding.ad_domain.corp.user.alice");
        assert!(matcher("binding.ad_domain.corp.*")
            .unwrap()
            .is_match(&binding));
        assert!(matcher("binding.*").unwrap().is_match(&binding));
        assert!(!matcher("binding.m365_tenant.*").unwrap().is_match(&binding));
        assert!(matcher("*").unwrap().is_match(&binding));
    }
}
