//! Lowering of `settings`: the org-wide switches (what jcform manages, limits, profile).

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn settings(&mut self, node: &'a Node) {
        let Some(f) = self.fields(node, SETTINGS_FIELDS, "settings") else {
            return;
        };
        let mut settings = Settings::default();
        if let Some(e) = f.get("manage") {
            if let Some(m) = self.fields(&e.value, MANAGE_FIELDS, "settings.manage") {
                let mut manage = Manage::default();
                for (name, e) in m.sorted() {
                    let mode = self.enumeration(
                        &e.value,
                        &format!("manage mode for {name}"),
                        ManageMode::NAMES,
                        ManageMode::declared,
                    );
                    let Some(mode) = mode else { continue };
                    match name {
                        "users" => manage.users = mode,
                        "groups" => manage.groups = mode,
                        "ad_domains" => manage.ad_domains = mode,
                        "memberships" => manage.memberships = mode,
                        "sso_apps" => manage.sso_apps = mode,
                        _ => manage.bindings = mode,
                    }
                }
                settings.manage = manage;
            }
        }
        if let Some(e) = f.get("ignore") {
            if let Some(m) = self.fields(&e.value, IGNORE_FIELDS, "settings.ignore") {
                for (name, e) in m.sorted() {
                    let globs: Vec<String> = self
                        .names(&e.value, &format!("settings.ignore.{name}"))
                        .into_iter()
                        .map(|(g, span)| {
                            if let Err(err) = globset::Glob::new(&g) {
                                self.error(
                                    "invalid-value",
                                    format!("`{g}` is not a valid glob: {err}"),
                                    span,
                                    "bad glob",
                                    "use `*` and `?` wildcards, e.g. `svc-*`".into(),
                                );
                            }
                            g.into_owned()
                        })
                        .collect();
                    if name == "users" {
                        settings.ignore.users = globs;
                    } else {
                        settings.ignore.groups = globs;
                    }
                }
            }
        }
        if let Some(e) = f.get("limits") {
            if let Some(m) = self.fields(&e.value, LIMITS_FIELDS, "settings.limits") {
                let mut limits = Limits::default();
                for (name, e) in m.sorted() {
                    let n = self.count(&e.value, &format!("settings.limits.{name}"));
                    if name == "max_deletes" {
                        limits.max_deletes = n;
                    } else {
                        limits.max_unbinds = n;
                    }
                }
                settings.limits = limits;
            }
        }
        if let Some(e) = f.get("profile") {
            settings.profile = self.string(&e.value, "settings.profile");
        }
        self.model.settings = settings;
    }
}
