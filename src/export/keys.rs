//! Config keys for objects the API names only by id: AD domains (by a slug of the domain's
//! first label: `corp` for corp.example.com) and M365 tenants (a slug of the name, else the id).
//!
//! Keys must be stable across exports so that files diff cleanly, so they depend only on the
//! objects: candidates are assigned in a fixed order (sorted by natural key, then remote id) and
//! a taken key gets `-2`, `-3`... in that order.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::live::{LiveAdDomain, LiveM365Tenant};

/// Lower-case ASCII letters and digits, runs of anything else as one `_`; empty if nothing is
/// left (a name in another script), so callers pick a fallback.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Remote id -> key, given (remote id, wanted key) already in assignment order.
fn assign<'a>(wanted: impl IntoIterator<Item = (&'a str, String)>) -> BTreeMap<String, String> {
    let mut taken = BTreeSet::new();
    let mut keys = BTreeMap::new();
    for (id, want) in wanted {
        let mut key = want.clone();
        let mut n = 2;
        while taken.contains(&key) {
            key = format!("{want}-{n}");
            n += 1;
        }
        taken.insert(key.clone());
        keys.insert(id.to_string(), key);
    }
    keys
}

/// Keys for AD domains, by remote id. Callers pass each domain once (the config cannot hold two
/// instances of one domain).
pub fn ad_keys<'a>(ads: impl IntoIterator<Item = &'a LiveAdDomain>) -> BTreeMap<String, String> {
    let mut ads: Vec<&LiveAdDomain> = ads.into_iter().collect();
    ads.sort_by(|a, b| (&a.domain, &a.id).cmp(&(&b.domain, &b.id)));
    assign(ads.into_iter().map(|ad| {
        let first = ad.domain.split('.').next().unwrap_or_default();
        let key = match slug(first) {
            s if s.is_empty() => match slug(&ad.domain) {
                s if s.is_empty() => "ad".to_string(),
                s => s,
            },
            s => s,
        };
        (ad.id.as_str(), key)
    }))
}

/// Keys for M365 tenants, by remote id.
pub fn tenant_keys<'a>(
    tenants: impl IntoIterator<Item = &'a LiveM365Tenant>,
) -> BTreeMap<String, String> {
    named_keys(
        tenants
            .into_iter()
            .map(|t| (t.id.as_str(), t.name.as_deref())),
    )
}

/// Config keys for SSO apps: the slug of the label (`Microsoft 365` -> `microsoft_365`), else
/// the remote id; repeats get a suffix as for tenants.
pub fn sso_app_keys<'a>(
    apps: impl IntoIterator<Item = &'a crate::model::live::LiveSsoApp>,
) -> BTreeMap<String, String> {
    named_keys(
        apps.into_iter()
            .map(|a| (a.id.as_str(), a.display_label.as_deref())),
    )
}

/// Keys for `(remote id, name)` pairs: the slug of the name, else the id; assigned in key
/// order so repeats get their suffixes the same way every time.
fn named_keys<'a>(
    items: impl Iterator<Item = (&'a str, Option<&'a str>)>,
) -> BTreeMap<String, String> {
    let mut wanted: Vec<(&str, String)> = items
        .map(|(id, name)| {
            let key = name
                .map(slug)
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| id.to_string());
            (id, key)
        })
        .collect();
    wanted.sort_by(|a, b| (&a.1, a.0).cmp(&(&b.1, b.0)));
    assign(wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_ascii_words() {
        assert_eq!(slug("Contoso Ltd."), "contoso_ltd");
        assert_eq!(slug("--Corp--"), "corp");
        assert_eq!(slug("Контосо"), "");
        assert_eq!(slug("Müller & Co"), "m_ller_co");
    }

    #[test]
    fn taken_keys_get_a_number_in_order() {
        let keys = assign([
            ("b", "corp".to_string()),
            ("a", "corp".to_string()),
            ("c", "corp".to_string()),
        ]);
        assert_eq!(keys["b"], "corp");
        assert_eq!(keys["a"], "corp-2");
        assert_eq!(keys["c"], "corp-3");
    }
}
