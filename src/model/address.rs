//! Addresses name every object and edge a plan can touch: `user.alice`, `group.engineering`,
//! `membership.engineering.alice`, `binding.ad_domain.corp.user.alice`. A key with characters
//! outside `[A-Za-z0-9_-]` is quoted the way Terraform does it: `user["anna.lindqvist"]`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use super::{Binding, Directory, GraphKind, Subject};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Address {
    AdDomain(String),
    M365Tenant(String),
    /// `sso_app.m365`.
    SsoApp(String),
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
        // Written piece by piece: addresses are formatted per user (findings' targets, access),
        // and `write!` goes through the general formatting machinery for two pieces.
        f.write_str(".")?;
        f.write_str(key)
    } else {
        write!(f, "[{}]", serde_json::Value::String(key.to_string()))
    }
}

impl fmt::Display for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.graph_kind().config_name())?;
        key(f, self.key())
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.graph_kind().config_name())?;
        key(f, self.id())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The same text as the subject's or directory's own address, without a copy of it.
            Address::User(k) => {
                f.write_str("user")?;
                key(f, k)
            }
            Address::Group(k) => {
                f.write_str("group")?;
                key(f, k)
            }
            Address::AdDomain(k) => {
                f.write_str("ad_domain")?;
                key(f, k)
            }
            Address::M365Tenant(k) => {
                f.write_str("m365_tenant")?;
                key(f, k)
            }
            Address::SsoApp(k) => {
                f.write_str("sso_app")?;
                key(f, k)
            }
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

impl Directory {
    /// The directory's own address (`ad_domain.corp`, `m365_tenant.contoso`, `sso_app.m365`).
    pub fn address(&self) -> Address {
        match self {
            Directory::AdDomain(k) => Address::AdDomain(k.clone()),
            Directory::M365Tenant(k) => Address::M365Tenant(k.clone()),
            Directory::SsoApp(k) => Address::SsoApp(k.clone()),
        }
    }

    /// The key or remote id it holds, whatever its kind.
    pub fn key(&self) -> &str {
        match self {
            Directory::AdDomain(k) | Directory::M365Tenant(k) | Directory::SsoApp(k) => k,
        }
    }
}

impl Address {
    /// The kind word used in summaries and the unmanaged report.
    pub fn kind(&self) -> &'static str {
        match self {
            Address::User(_) => GraphKind::User.config_name(),
            Address::Group(_) => GraphKind::Group.config_name(),
            Address::AdDomain(_) => GraphKind::AdDomain.config_name(),
            Address::M365Tenant(_) => GraphKind::M365Tenant.config_name(),
            Address::SsoApp(_) => GraphKind::SsoApp.config_name(),
            Address::Membership(..) => "membership",
            Address::Binding(_) => "binding",
        }
    }
}

/// Text that is not an address (`Address::from_str`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an address (e.g. user.alice, user[\"anna.lindqvist\"], membership.engineering.alice, binding.ad_domain.corp.user.alice)")]
pub struct AddressParseError(pub String);

/// The inverse of `Display`: saved plan files name changes by address. Either key form is
/// accepted (`user.alice` and `user["alice"]`), as in waiver targets.
impl FromStr for Address {
    type Err = AddressParseError;

    fn from_str(text: &str) -> Result<Address, AddressParseError> {
        let err = || AddressParseError(text.to_string());
        let parts = super::lower::address_parts(text).ok_or_else(err)?;
        let directory = |kind: &str, key: &str| {
            Directory::of_kind(GraphKind::from_config(kind)?, key.to_string())
        };
        let subject = |kind: &str, key: &str| {
            Subject::of_kind(GraphKind::from_config(kind)?, key.to_string())
        };
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let address = match parts.as_slice() {
            [kind, k] => match GraphKind::from_config(kind).ok_or_else(err)? {
                GraphKind::User => Address::User(k.to_string()),
                GraphKind::Group => Address::Group(k.to_string()),
                GraphKind::AdDomain => Address::AdDomain(k.to_string()),
                GraphKind::M365Tenant => Address::M365Tenant(k.to_string()),
                GraphKind::SsoApp => Address::SsoApp(k.to_string()),
            },
            ["membership", g, u] => Address::Membership(g.to_string(), u.to_string()),
            ["binding", dk, d, sk, s] => Address::Binding(Binding {
                directory: directory(dk, d).ok_or_else(err)?,
                subject: subject(sk, s).ok_or_else(err)?,
            }),
            _ => return Err(err()),
        };
        Ok(address)
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

    fn every_kind() -> Vec<Address> {
        let keys = [
            "alice",
            "anna.lindqvist",
            "All Users",
            "josé",
            "",
            "a\"]b",
            "x[y].z",
            "back\\slash",
            "-_09",
        ];
        let mut out = Vec::new();
        for k in keys {
            out.push(Address::User(k.into()));
            out.push(Address::Group(k.into()));
            out.push(Address::AdDomain(k.into()));
            out.push(Address::M365Tenant(k.into()));
            out.push(Address::SsoApp(k.into()));
            out.push(Address::Membership(k.into(), "bob".into()));
            out.push(Address::Membership("eng".into(), k.into()));
            for directory in [
                Directory::AdDomain(k.into()),
                Directory::M365Tenant("c".into()),
            ] {
                for subject in [Subject::User(k.into()), Subject::Group("g.x".into())] {
                    out.push(Address::Binding(Binding {
                        directory: directory.clone(),
                        subject,
                    }));
                }
            }
        }
        out
    }

    #[test]
    fn parse_is_the_inverse_of_display() {
        for address in every_kind() {
            let text = address.to_string();
            assert_eq!(text.parse::<Address>(), Ok(address), "{text}");
        }
        assert_eq!(
            "user[\"anna.lindqvist\"]".parse(),
            Ok(Address::User("anna.lindqvist".into()))
        );
        assert_eq!(
            "binding.ad_domain.corp.user.alice".parse(),
            Ok(Address::Binding(Binding {
                directory: Directory::AdDomain("corp".into()),
                subject: Subject::User("alice".into()),
            }))
        );
        // Quoting a plain key is allowed, as in waiver targets.
        assert_eq!("user[\"alice\"]".parse(), Ok(Address::User("alice".into())));
    }

    #[test]
    fn parse_rejects_what_display_never_writes() {
        for text in [
            "",
            "user",
            "user.",
            "user.a.b",
            "widget.x",
            "membership.eng",
            "binding.ad_domain.corp.user",
            "binding.user.alice.ad_domain.corp",
            "binding.ad_domain.corp.widget.x",
            "user[\"unterminated",
            "user[\"a\"]b",
            "user[alice]",
        ] {
            let err = text.parse::<Address>().expect_err(text);
            assert!(err.to_string().contains("is not an address"), "{err}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_key_round_trips(a in ".*", b in ".*") {
            for address in [
                Address::User(a.clone()),
                Address::Membership(a.clone(), b.clone()),
                Address::Binding(Binding {
                    directory: Directory::M365Tenant(a.clone()),
                    subject: Subject::Group(b.clone()),
                }),
            ] {
                let text = address.to_string();
                proptest::prop_assert_eq!(text.parse::<Address>(), Ok(address), "{}", text);
            }
        }
    }
}
