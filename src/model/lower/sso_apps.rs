//! Lowering of `sso_apps`: SSO applications and their group assignments.

use super::*;

impl Lowerer {
    pub(super) fn sso_app(&mut self, entry: &Entry) {
        let key = entry.key.clone();
        let what = format!("SSO app `{key}`");
        let fields = self.fields(&entry.value, SSO_APP_FIELDS, &what);
        if !self.declare("sso_apps", "SSO app", &key, entry.key_span) {
            return;
        }
        self.origins
            .spans
            .insert(Address::SsoApp(key.clone()), entry.key_span);
        let Some(f) = fields else { return };
        let mut app = SsoApp::default();
        match f.get("template") {
            Some(e) => {
                if let Some(t) = self.string(&e.value, &format!("`template` of {what}")) {
                    if t.trim().is_empty() {
                        self.error(
                            "invalid-value",
                            format!("`template` of {what} is empty"),
                            e.value.span,
                            "empty",
                            "name the JumpCloud application catalogue entry, e.g. `office365`"
                                .into(),
                        );
                    }
                    app.template = t;
                }
            }
            None => self.missing(&what, "template", entry.key_span, "office365"),
        }
        for (field, slot) in [
            ("display_label", &mut app.display_label),
            ("sp_entity_id", &mut app.sp_entity_id),
            ("acs_url", &mut app.acs_url),
            ("sso_url", &mut app.sso_url),
        ] {
            if let Some(e) = f.get(field) {
                *slot = self.string(&e.value, &format!("`{field}` of {what}"));
            }
        }
        if let Some(e) = f.get("domain") {
            app.domain = self.string(&e.value, &format!("`domain` of {what}"));
        }
        if let Some(e) = f.get("tenant") {
            if let Some(t) = self.string(&e.value, &format!("`tenant` of {what}")) {
                self.references.push(Reference {
                    kind: RefKind::M365Tenant,
                    name: t.clone(),
                    span: e.value.span,
                    from: what.clone(),
                });
                app.tenant = Some(t);
            }
        }
        if let Some(e) = f.get("groups") {
            self.origins
                .fields
                .insert((Address::SsoApp(key.clone()), "groups"), e.key_span);
            let mut groups = BTreeSet::new();
            for (group, span) in self.names(&e.value, &format!("`groups` of {what}")) {
                if !groups.insert(group.clone()) {
                    self.error(
                        "duplicate-key",
                        format!("{what} lists group `{group}` twice"),
                        span,
                        "listed again",
                        "remove the repeat".into(),
                    );
                    continue;
                }
                self.references.push(Reference {
                    kind: RefKind::Group,
                    name: group.clone(),
                    span,
                    from: format!("{what} (groups)"),
                });
                let binding = Binding {
                    directory: Directory::SsoApp(key.clone()),
                    subject: Subject::Group(group),
                };
                self.origins
                    .spans
                    .entry(Address::Binding(binding.clone()))
                    .or_insert(span);
                self.model.bindings.insert(binding);
            }
            app.groups = Some(groups);
        }
        self.model.sso_apps.insert(key, app);
    }
}
