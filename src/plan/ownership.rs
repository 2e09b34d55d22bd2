//! Ownership: hands off what the files don't name unless the config says otherwise.
//!
//! A live object the files don't name belongs to someone else (a person in the admin console,
//! another tool, an import) until `settings.manage` says jcform owns the whole kind:
//! - `full`: jcform owns the kind; what the files don't name is deleted (unbound, removed);
//! - `additive` (the default): it is left alone and listed in the plan as unmanaged;
//! - `ignore`: it is left alone and not mentioned.
//!
//! `settings.ignore` globs name users and groups jcform never touches and never reports, whatever
//! the mode; they apply to objects the files don't name (a declared object is named, so it is
//! managed), including when they appear as a member or a binding subject. Globs match without
//! regard to letter case, as JumpCloud compares usernames and group names (`svc-*` ignores
//! `SVC-Backup` too).

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::model::{ManageMode, Settings, Subject};

/// What happens to a live object the files don't name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Delete it (or unbind, or remove from the group).
    Remove,
    /// Leave it and list it as unmanaged.
    Report,
    /// Leave it and say nothing.
    Leave,
}

impl Fate {
    pub fn of(mode: ManageMode) -> Fate {
        match mode {
            ManageMode::Full => Fate::Remove,
            ManageMode::Additive => Fate::Report,
            ManageMode::Ignore => Fate::Leave,
        }
    }
}

/// The ignore globs, compiled once.
#[derive(Debug, Clone)]
pub struct Ignored {
    users: GlobSet,
    groups: GlobSet,
}

impl Ignored {
    pub fn new(settings: &Settings) -> Ignored {
        Ignored {
            users: compile(&settings.ignore.users),
            groups: compile(&settings.ignore.groups),
        }
    }

    pub fn user(&self, username: &str) -> bool {
        self.users.is_match(username)
    }

    pub fn group(&self, name: &str) -> bool {
        self.groups.is_match(name)
    }

    /// A binding subject (under config keys) that is ignored.
    pub fn subject(&self, subject: &Subject) -> bool {
        match subject {
            Subject::User(u) => self.user(u),
            Subject::Group(g) => self.group(g),
        }
    }
}

/// Validation rejects bad globs, so one that still fails to compile is skipped rather than
/// matching everything (ignoring too much would hide objects from the plan).
fn compile(globs: &[String]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for g in globs {
        if let Ok(glob) = GlobBuilder::new(g).case_insensitive(true).build() {
            builder.add(glob);
        }
    }
    builder.build().unwrap_or_else(|_| GlobSet::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names() {
        let mut settings = Settings::default();
        settings.ignore.users = vec!["svc-*".into(), "[".into()];
        settings.ignore.groups = vec!["All Users".into()];
        let ig = Ignored::new(&settings);
        assert!(ig.user("svc-backup"));
        assert!(
            ig.user("SVC-Backup"),
            "case-insensitive, as JumpCloud names"
        );
        assert!(!ig.user("alice"));
        assert!(!ig.user("["));
        assert!(ig.group("All Users"));
        assert!(ig.group("all users"));
        assert!(ig.subject(&Subject::Group("All Users".into())));
        assert!(!ig.subject(&Subject::User("All Users".into())));
    }

    #[test]
    fn modes_map_to_fates() {
        assert_eq!(Fate::of(ManageMode::Full), Fate::Remove);
        assert_eq!(Fate::of(ManageMode::Additive), Fate::Report);
        assert_eq!(Fate::of(ManageMode::Ignore), Fate::Leave);
    }
}
