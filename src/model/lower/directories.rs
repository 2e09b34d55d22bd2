//! Lowering of `ad_domains` and `m365_tenants`, with a tenant's `federation` (and the checks that
//! need every section read first).

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn ad_domain(&mut self, entry: &'a Entry) {
        let key = entry.key.clone();
        let what = format!("AD domain `{key}`");
        let fields = self.fields(&entry.value, AD_FIELDS, &what);
        if !self.declare(RefKind::AdDomain, &entry.key, entry.key_span) {
            return;
        }
        self.origins
            .insert(Address::AdDomain(key.clone()), entry.key_span);
        if key == crate::model::DELEGATED_AUTHORITY_NONE {
            // `delegated_authority: none` means "no AD domain": a domain keyed `none` could
            // never be delegated to, and a plan naming it would read back as undelegation.
            self.error(
                "invalid-value",
                format!("`{key}` cannot be an AD domain key"),
                entry.key_span,
                "reserved word",
                format!(
                    "`delegated_authority: {key}` means no delegation; key the domain by its \
                     name instead (for example `corp`)"
                ),
            );
        }
        let Some(f) = fields else { return };
        let mut ad = AdDomain::default();
        match f.get("domain") {
            Some(e) => {
                if let Some(d) = self.string(&e.value, &format!("`domain` of {what}")) {
                    let normal = normalize_ad_domain(&d);
                    // Compared as IDNA keys: `müller.example` and `xn--mller-kva.example` are
                    // one domain.
                    let compare = domain_key(&normal);
                    if !valid_domain(&normal) {
                        self.error(
                            "invalid-value",
                            format!("`{d}` is not a valid AD domain"),
                            e.value.span,
                            "not a domain name",
                            "write it as corp.example.com or DC=corp;DC=example;DC=com".into(),
                        );
                    } else if let Some((other, first)) = self.ad_by_domain.get(&compare).cloned() {
                        self.diags.push(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("AD domains `{other}` and `{key}` both name {normal}"),
                            )
                            .with_label(e.value.span, "same domain again")
                            .with_label(first, "first here")
                            .with_help("one AD domain is one JumpCloud AD instance: keep one key"),
                        );
                    } else {
                        self.ad_by_domain
                            .insert(compare, (key.clone(), e.value.span));
                    }
                    ad.domain = normal;
                }
            }
            None => self.missing(&what, "domain", entry.key_span, "corp.example.com"),
        }
        if let Some(e) = f.get("use_case") {
            ad.use_case =
                self.enumeration(&e.value, "AD use case", UseCase::NAMES, UseCase::declared);
        }
        if let Some(e) = f.get("delegation") {
            ad.delegation = self.enumeration(
                &e.value,
                "delegation setting",
                Delegation::NAMES,
                Delegation::declared,
            );
        }
        if let Some(e) = f.get("groups_enabled") {
            ad.groups_enabled = self.boolean(&e.value, &format!("`groups_enabled` of {what}"));
        }
        self.model.ad_domains.insert(key, ad);
    }

    pub(super) fn m365_tenant(&mut self, entry: &'a Entry) {
        let key = entry.key.clone();
        let what = format!("M365 tenant `{key}`");
        let fields = self.fields(&entry.value, M365_FIELDS, &what);
        if !self.declare(RefKind::M365Tenant, &entry.key, entry.key_span) {
            return;
        }
        self.origins
            .insert(Address::M365Tenant(key.clone()), entry.key_span);
        let Some(f) = fields else { return };
        let mut tenant = M365Tenant::default();
        match f.get("id") {
            Some(e) => {
                if let Some(id) = self.string(&e.value, &format!("`id` of {what}")) {
                    if !valid_object_id(&id) {
                        self.error(
                            "invalid-tenant-id",
                            format!("`{id}` is not a JumpCloud tenant id"),
                            e.value.span,
                            "expected 24 hexadecimal digits",
                            "copy the id from the M365 integration's page in the admin console (or `jcform export`)".into(),
                        );
                    } else if let Some((other, first)) = self.tenant_by_id.get(&id).cloned() {
                        self.diags.push(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("M365 tenants `{other}` and `{key}` have the same id"),
                            )
                            .with_label(e.value.span, "same id again")
                            .with_label(first, "first here")
                            .with_help("keep one key per tenant"),
                        );
                    } else {
                        self.tenant_by_id
                            .insert(id.clone(), (key.clone(), e.value.span));
                    }
                    tenant.id = id;
                }
            }
            None => self.missing(&what, "id", entry.key_span, "5f1e0c0b4a3f2e1d0c9b8a71"),
        }
        if let Some(e) = f.get("name") {
            tenant.name = self.string(&e.value, &format!("`name` of {what}"));
        }
        if let Some(e) = f.get("groups_enabled") {
            tenant.groups_enabled = self.boolean(&e.value, &format!("`groups_enabled` of {what}"));
        }
        if let Some(e) = f.get("default_domain") {
            tenant.default_domain = self.string(&e.value, &format!("`default_domain` of {what}"));
        }
        if let Some(e) = f.get("user_lockout_action") {
            tenant.user_lockout_action = self.enumeration(
                &e.value,
                "user_lockout_action",
                M365Action::NAMES,
                M365Action::declared,
            );
        }
        if let Some(e) = f.get("user_password_expiration_action") {
            tenant.user_password_expiration_action = self.enumeration(
                &e.value,
                "user_password_expiration_action",
                M365Action::NAMES,
                M365Action::declared,
            );
        }
        if let Some(e) = f.get("federation") {
            tenant.federation = self.federation(&e.value, &key, &what);
        }
        self.model.m365_tenants.insert(key, tenant);
    }

    /// `federation: {domain, sso_app}`: both required; the domain must be a domain name, the
    /// app a declared `sso_apps` key (checked with the other references).
    pub(super) fn federation(&mut self, node: &Node, key: &str, what: &str) -> Option<Federation> {
        let ctx = format!("`federation` of {what}");
        let f = self.fields(node, FEDERATION_FIELDS, &ctx)?;
        let domain = match f.get("domain") {
            Some(e) => self
                .string(&e.value, &format!("`domain` of {ctx}"))
                .and_then(|d| {
                    let d = d.trim().trim_end_matches('.').to_lowercase();
                    if valid_domain(&d) {
                        Some(d)
                    } else {
                        self.error(
                            "invalid-value",
                            format!("`{d}` is not a domain name"),
                            e.value.span,
                            "not a domain name",
                            "write the M365 domain to federate, e.g. `contoso.com`".into(),
                        );
                        None
                    }
                }),
            None => {
                self.missing(&ctx, "domain", node.span, "contoso.com");
                None
            }
        };
        let app = match f.get("sso_app") {
            Some(e) => self
                .string(&e.value, &format!("`sso_app` of {ctx}"))
                .inspect(|a| {
                    self.refer(
                        RefKind::SsoApp,
                        a.clone(),
                        e.value.span,
                        format!("the federation of M365 tenant `{key}`"),
                    );
                }),
            None => {
                self.missing(&ctx, "sso_app", node.span, "m365");
                None
            }
        };
        Some(Federation {
            domain: domain?,
            sso_app: app?,
        })
    }

    /// A federation's SSO app must sign in to that tenant: an app whose `tenant` names another
    /// tenant cannot answer for this one's domain.
    pub(super) fn check_federations(&mut self) {
        let mut errors = Vec::new();
        for (key, t) in &self.model.m365_tenants {
            let Some(f) = &t.federation else { continue };
            let Some(app) = self.model.sso_apps.get(&f.sso_app) else {
                continue;
            };
            if let Some(other) = app.tenant.as_ref().filter(|o| *o != key) {
                // Declared tenants always have an origin; without one there is no place to name.
                if let Some(at) = self.origins.get(&Address::M365Tenant(key.clone())) {
                    errors.push((key.clone(), f.sso_app.clone(), other.clone(), at));
                }
            }
        }
        for (key, app, other, at) in errors {
            self.error(
                "invalid-value",
                format!(
                    "M365 tenant `{key}` federates through SSO app `{app}`, which signs in to \
                     tenant `{other}`"
                ),
                at,
                "federation names an app of another tenant",
                format!("set `tenant: {key}` on the app, or name this tenant's own app"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    fn validate(text: &str) -> Result<crate::model::Config, crate::model::ConfigError> {
        let mut loaded = crate::config::Loaded::default();
        let path = std::path::Path::new("a.yaml");
        crate::config::parse_bytes(&mut loaded, path, "a.yaml".into(), text.as_bytes().to_vec());
        crate::model::from_loaded(loaded)
    }

    #[test]
    fn none_is_not_an_ad_domain_key() {
        // `delegated_authority: none` would name both "no delegation" and this domain.
        let err = validate(
            "version: 1\nusers: {alice: {email: alice@example.com, delegated_authority: none}}\n\
             ad_domains: {none: {domain: corp.example.com}}\n",
        )
        .unwrap_err();
        let crate::model::ConfigError::Invalid { diagnostics, .. } = err else {
            panic!("not a validation error: {err:?}");
        };
        assert!(
            diagnostics
                .iter()
                .any(|d| d.message == "`none` cannot be an AD domain key"),
            "{diagnostics:?}"
        );
        assert!(validate("version: 1\nad_domains: {corp: {domain: corp.example.com}}\n").is_ok());
    }
}
