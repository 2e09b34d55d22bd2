//! Addresses name every object and edge a plan can touch: `user.alice`, `group.engineering`,
//! `membership.engineering.alice`, `binding.ad_domain.corp.user.alice`. A key with characters
//! outside `[A-Za-z0-9_-]` is quoted the way Terraform does it: `user["anna.lindqvist"]`.

use std::fmt;

use serde::{Serialize, Serializer};

use super::{Binding, Directory, Subject};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    AdDomain(String),
    M365Tenant(String),
    User(String),
    Group(String),
    /// (group, user)
    Membership(String, String),
    Binding(Binding),
}

/// Writes `.key` or `["key"]`.
fn key(f: &mut fmt::Formatter<'_>, key: &str) -> fmt::Result {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        write!(f, ".{key}")
    } else {
        write!(f, "[{}]", serde_json::Value::String(key.to_string()))
    }
}

impl fmt::Display for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Directory::AdDomain(k) => {
                f.write_str("ad_domain")?;
                key(f, k)
            }
            Directory::M365Tenant(k) => {
                f.write_str("m365_tenant")?;
                key(f, k)
            }
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::User(k) => {
                f.write_str("user")?;
                key(f, k)
            }
            Subject::Group(k) => {
                f.write_str("group")?;
                key(f, k)
            }
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::User(k) => Subject::User(k.clone()).fmt(f),
            Address::Group(k) => Subject::Group(k.clone()).fmt(f),
            Address::AdDomain(k) => Directory::AdDomain(k.clone()).fmt(f),
            Address::M365Tenant(k) => Directory::M365Tenant(k.clone()).fmt(f),
            Address::Membership(group, user) => {
                f.write_str("membership")?;
                key(f, group)?;
                key(f, user)
            }
            Address::Binding(b) => {
                // binding.ad_domain.corp.user.alice: the directory's and the subject's own
                // addresses joined, so each part reads like the object it names.
                write!(f, "binding.{}.{}", b.directory, b.subject)
            }
        }
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl Address {
    /// The kind word used in summaries and the unmanaged report.
    pub fn kind(&self) -> &'static str {
        match self {
            Address::User(_) => "user",
            Address::Group(_) => "group",
            Address::AdDomain(_) => "ad_domain",
            Address::M365Tenant(_) => "m365_tenant",
            Address::Membership(..) => "membership",
            Address::Binding(_) => "binding",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_follow_the_contract() {
        assert_eq!(Address::User("alice".into()).to_string(), "user.alice");
        assert_eq!(
            Address::User("anna.lindqvist".into()).to_string(),
            "user[\"anna.lindqvist\"]"
        );
        assert_eq!(
            Address::Membership("engineering".into(), "alice".into()).to_string(),
            "membership.engineering.alice"
        );
        let b = Binding {
            directory: Directory::AdDomain("corp".into()),
            subject: Subject::User("alice".into()),
        };
        assert_eq!(
            Address::Binding(b).to_string(),
            "binding.ad_domain.corp.user.alice"
        );
        let b = Binding {
            directory: Directory::M365Tenant("contoso".into()),
            subject: Subject::Group("engineering".into()),
        };
        assert_eq!(
            Address::Binding(b).to_string(),
            "binding.m365_tenant.contoso.group.engineering"
        );
        assert_eq!(
            Address::Group("All Users".into()).to_string(),
            "group[\"All Users\"]"
        );
    }
}
