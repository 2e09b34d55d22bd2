//! `jcform access` output: per user, the verdicts before and after the plan, as text for people
//! or as a versioned JSON document (`{format_version, users: [{address, before, after,
//! changed}]}`, see docs/plan-json.md "Access").

use std::io::{self, Write};

use serde::Serialize;

use super::{Access, AdAccount, SignIn, UserAccess, JUMPCLOUD};
use crate::model::Address;

/// Version of the `jcform access` JSON document; new fields do not bump it.
pub const ACCESS_FORMAT_VERSION: &str = "1";

/// One user's verdicts, as printed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry<'a> {
    pub address: Address,
    /// `None`: the user is not in the org before the plan (the plan creates them).
    pub before: Option<&'a UserAccess>,
    /// The plan deletes a user: `deleted` is set in their `after`.
    pub after: Option<&'a UserAccess>,
    pub changed: bool,
}

/// The users to print: changed users first, then the others, each by address; only `users`
/// when some are given (config keys), only changed ones with `changed_only`.
pub fn entries<'a>(access: &'a Access, users: &[String], changed_only: bool) -> Vec<Entry<'a>> {
    let mut out: Vec<Entry> = access
        .shown_users()
        .into_iter()
        .filter(|n| users.is_empty() || users.contains(n))
        .map(|n| Entry {
            address: Address::User(n.clone()),
            before: access.before.get(n).map(|v| &**v),
            after: access.after.get(n).map(|v| &**v),
            changed: access.changed(n),
        })
        .filter(|e| e.changed || !changed_only)
        .collect();
    out.sort_by(|a, b| (!a.changed, &a.address).cmp(&(!b.changed, &b.address)));
    out
}

#[derive(Serialize)]
struct Document<'a> {
    format_version: &'static str,
    users: &'a [Entry<'a>],
}

/// The JSON document, pretty-printed, with a trailing newline.
pub fn json(entries: &[Entry]) -> String {
    let doc = Document {
        format_version: ACCESS_FORMAT_VERSION,
        users: entries,
    };
    let mut text = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\": {}}}", serde_json::Value::from(e.to_string())));
    text.push('\n');
    text
}

/// Text for people: per user a header, then one line per part (`before -> after` when it
/// changes).
pub fn human(entries: &[Entry], access: &Access, out: &mut dyn Write) -> io::Result<()> {
    let changed = access.changed_users().len();
    writeln!(
        out,
        "Access: {} of {} changed by the plan; {} shown.",
        changed,
        crate::lint::context::users_phrase(access.shown_users().len()),
        entries.len()
    )?;
    for e in entries {
        writeln!(out)?;
        let tag = match (e.before, e.after) {
            (None, _) => "  (created by the plan)",
            (_, Some(a)) if a.deleted => "  (deleted by the plan)",
            _ if e.changed => "  (changed)",
            _ => "",
        };
        writeln!(out, "{}{tag}", e.address)?;
        let parts: [(&str, Describe); 4] = [
            ("portal", portal),
            ("microsoft 365", m365),
            ("ad", ad),
            ("ldap/radius/devices", non_delegable),
        ];
        for (label, f) in parts {
            let before = e.before.map(f);
            let after = e.after.map(f);
            let head = format!("  {label}:");
            match (before, after) {
                (Some(b), Some(a)) if b == a => writeln!(out, "{head:<24}{a}")?,
                (Some(b), Some(a)) => {
                    writeln!(out, "{head:<24}{b}")?;
                    writeln!(out, "{:<21}-> {a}", "")?;
                }
                (None, Some(a)) => writeln!(out, "{head:<24}{a}")?,
                (Some(b), None) => writeln!(out, "{head:<24}{b}")?,
                (None, None) => {}
            }
        }
        // Only users of a federated domain have an SSO path to show.
        let before = e.before.and_then(sso);
        let after = e.after.and_then(sso);
        let head = format!("  {}:", "m365 via jumpcloud");
        match (before, after) {
            (Some(b), Some(a)) if b == a => writeln!(out, "{head:<24}{a}")?,
            (Some(b), Some(a)) => {
                writeln!(out, "{head:<24}{b}")?;
                writeln!(out, "{:<21}-> {a}", "")?;
            }
            (None, Some(a)) | (Some(a), None) => writeln!(out, "{head:<24}{a}")?,
            (None, None) => {}
        }
    }
    Ok(())
}

/// The SSO path of a federated user: `can sign in through sso_app.m365` or why not.
fn sso(u: &UserAccess) -> Option<String> {
    let s = u.sso.as_ref()?;
    Some(if s.can_sign_in {
        format!("can sign in through {} ({} is federated)", s.app, s.domain)
    } else {
        format!(
            "cannot sign in{}: {}",
            codes(&s.blocked_by),
            s.reason.as_deref().unwrap_or("unknown")
        )
    })
}

/// Draws one part of a user's verdicts as a line of text.
type Describe = fn(&UserAccess) -> String;

/// ` [LCK002, LCK008]` or nothing.
fn codes(codes: &[&str]) -> String {
    if codes.is_empty() {
        String::new()
    } else {
        format!(" [{}]", codes.join(", "))
    }
}

fn checker(by: &str) -> &str {
    if by == JUMPCLOUD {
        "JumpCloud"
    } else {
        by
    }
}

fn portal(u: &UserAccess) -> String {
    let by = checker(&u.portal.password_checked_by);
    if u.portal.can_log_in {
        format!("can log in, password checked by {by}")
    } else {
        format!(
            "cannot log in{}: {} (password checked by {by})",
            codes(&u.portal.blocked_by),
            u.portal.reason.as_deref().unwrap_or("unknown")
        )
    }
}

fn m365(u: &UserAccess) -> String {
    let m = &u.m365;
    let why = m
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    match (m.sign_in, &m.tenant) {
        (SignIn::Active, Some(t)) => format!("active in {t}{}{why}", codes(&m.blocked_by)),
        (SignIn::Active, None) => format!("active{why}"),
        (SignIn::Blocked, Some(t)) => format!("blocked in {t}{}{why}", codes(&m.blocked_by)),
        (SignIn::Blocked, None) => format!("blocked{}{why}", codes(&m.blocked_by)),
        (SignIn::NotProvisioned, Some(t)) => {
            format!("not provisioned in {t}{}{why}", codes(&m.blocked_by))
        }
        (SignIn::NotProvisioned, None) => format!("not provisioned{}{why}", codes(&m.blocked_by)),
    }
}

fn ad(u: &UserAccess) -> String {
    if u.ad.is_empty() {
        return "not linked".to_string();
    }
    u.ad.iter()
        .map(|l| {
            let state = match l.account {
                AdAccount::Enabled => "enabled",
                AdAccount::Disabled => "disabled",
            };
            format!("{} {state}{}", l.domain, codes(&l.blocked_by))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn non_delegable(u: &UserAccess) -> String {
    let n = &u.non_delegable;
    let why = n
        .reason
        .as_deref()
        .map(|r| format!(": {r}"))
        .unwrap_or_default();
    if n.can_log_in {
        format!("can log in{why}")
    } else {
        format!("cannot log in{}{why}", codes(&n.blocked_by))
    }
}
