//! Lowering of `sso_apps`: SSO applications and their group assignments.

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn sso_app(&mut self, entry: &'a Entry) {
        let key = entry.key.clone();
        let what = format!("SSO app `{key}`");
        let fields = self.fields(&entry.value, SSO_APP_FIELDS, &what);
        if !self.declare(RefKind::SsoApp, &entry.key, entry.key_span) {
            return;
        }
        self.origins
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
            ("domain", &mut app.domain),
        ] {
            let Some(e) = f.get(field) else { continue };
            self.origins
                .insert_field(Address::SsoApp(key.clone()), field, e.key_span);
            let Some(value) = self.string(&e.value, &format!("`{field}` of {what}")) else {
                continue;
            };
            if let Some((problem, help)) = sso_app_value_problem(field, &value) {
                self.error(
                    "invalid-value",
                    format!("`{field}` of {what} {problem}"),
                    e.value.span,
                    problem,
                    help.into(),
                );
                continue;
            }
            *slot = Some(value);
        }
        if let Some(e) = f.get("tenant") {
            if let Some(t) = self.string(&e.value, &format!("`tenant` of {what}")) {
                self.refer(RefKind::M365Tenant, t.clone(), e.value.span, what.as_str());
                app.tenant = Some(t);
            }
        }
        if let Some(e) = f.get("groups") {
            self.origins
                .insert_field(Address::SsoApp(key.clone()), "groups", e.key_span);
            let mut groups = BTreeSet::new();
            let mut referred = Vec::new();
            for (group, span) in self.names(&e.value, &format!("`groups` of {what}")) {
                if !groups.insert(group.to_string()) {
                    self.error(
                        "duplicate-key",
                        format!("{what} lists group `{group}` twice"),
                        span,
                        "listed again",
                        "remove the repeat".into(),
                    );
                    continue;
                }
                let binding = Binding {
                    directory: Directory::SsoApp(key.clone()),
                    subject: Subject::Group(group.to_string()),
                };
                referred.push((group, span));
                self.origins.insert(Address::Binding(binding.clone()), span);
                self.model.bindings.insert(binding);
            }
            self.references.push(Reference {
                kind: RefKind::Group,
                from: format!("{what} (groups)"),
                names: referred,
            });
            app.groups = Some(groups);
        }
        self.model.sso_apps.insert(key, app);
    }
}

/// Characters no app setting may hold: control characters and Unicode line separators (they
/// end lines in `jcform federation`'s output) and quotes (never in a URL, domain or URN).
fn forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '"' | '\'' | '`')
}

/// An `https://` URL with a host and nothing that needs quoting: no whitespace, control
/// characters or quotes.
fn https_url(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("https://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || forbidden(c) || c == '<' || c == '>')
}

/// What is wrong with `value` as the SSO app setting `field`, with a hint, or `None`.
/// `display_label`: not blank, no control characters. `domain` (the IdP Entity ID): a domain
/// name. `sso_url`, `acs_url`: `https://` URLs. `sp_entity_id`: an `https://` URL when
/// URL-shaped, else a URN (`urn:federation:MicrosoftOnline`) or another name without whitespace
/// or quotes.
pub(super) fn sso_app_value_problem(
    field: &str,
    value: &str,
) -> Option<(&'static str, &'static str)> {
    match field {
        "display_label" => {
            if value.trim().is_empty() {
                Some(("is blank", "write the label users see in the User Portal, e.g. `Microsoft 365`, or leave `display_label` out to use the key"))
            } else if value.chars().any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')) {
                Some(("contains a line break or control character", "write the label on one line, without control characters"))
            } else {
                None
            }
        }
        "domain" => {
            let d = value.trim_end_matches('.').to_lowercase();
            if value.trim() != value || !valid_domain(&d) {
                Some(("is not a domain name", "write the IdP Entity ID as a domain name, e.g. `contoso.com`"))
            } else {
                None
            }
        }
        "sso_url" | "acs_url" => (!https_url(value)).then_some((
            "is not an https:// URL",
            "write an https:// URL without spaces or quotes, e.g. `https://login.microsoftonline.com/login.srf`",
        )),
        "sp_entity_id" => {
            let lower = value.to_ascii_lowercase();
            let url_shaped = lower.contains("://") || lower.starts_with("http:") || lower.starts_with("https:");
            if url_shaped {
                (!https_url(value)).then_some((
                    "is not an https:// URL",
                    "write the SP Entity ID as an https:// URL or a URN, e.g. `urn:federation:MicrosoftOnline`",
                ))
            } else if value.is_empty() || value.chars().any(|c| c.is_whitespace() || forbidden(c)) {
                Some((
                    "is not a URN or URL",
                    "write the SP Entity ID as a URN or an https:// URL without spaces or quotes, e.g. `urn:federation:MicrosoftOnline`",
                ))
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::sso_app_value_problem as problem;

    #[test]
    fn app_settings_are_checked_by_shape() {
        for (field, ok) in [
            ("display_label", "Microsoft 365 (Contoso)"),
            ("domain", "example.com"),
            ("domain", "Contoso.COM"),
            ("sso_url", "https://sso.jumpcloud.com/saml2/office365"),
            ("acs_url", "https://login.microsoftonline.com/login.srf"),
            ("sp_entity_id", "urn:federation:MicrosoftOnline"),
            ("sp_entity_id", "https://sp.example.com/metadata"),
        ] {
            assert_eq!(problem(field, ok), None, "{field}: {ok}");
        }
        for (field, bad) in [
            ("display_label", "  "),
            ("display_label", ""),
            ("display_label", "M365\nRemove-MgDomain"),
            ("domain", "exa mple.com\"$(x)"),
            ("domain", "localhost"),
            ("domain", " example.com"),
            ("sso_url", "not a url"),
            ("sso_url", "http://sso.example.com"),
            ("sso_url", "https://"),
            ("sso_url", "https://sso.example.com/\"$(x)"),
            ("sso_url", "https://sso.example.com/a b"),
            ("acs_url", "javascript:alert(1)"),
            ("acs_url", "https://x.example/\u{1b}[2J"),
            ("sp_entity_id", "http://sp.example.com"),
            ("sp_entity_id", "urn:federation:Microsoft Online"),
            ("sp_entity_id", "urn:x'$(y)"),
        ] {
            assert!(problem(field, bad).is_some(), "{field}: {bad:?}");
        }
    }
}
