//! Lowering of `waivers`: accepted findings, each with a reason and a target that names something
//! declared.

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn waiver(&mut self, node: &Node) {
        let Some(f) = self.fields(node, WAIVER_FIELDS, "a waiver") else {
            return;
        };
        let get = |cx: &mut Lowerer, field: &str, example: &str| match f.get(field) {
            Some(e) => cx
                .string(&e.value, &format!("`{field}` of a waiver"))
                .map(|s| (s, e.value.span)),
            None => {
                cx.missing("a waiver", field, node.span, example);
                None
            }
        };
        let rule = get(self, "rule", "LCK101");
        let target = get(self, "target", "user.alice");
        let reason = get(self, "reason", "\"why this is accepted\"");
        if let Some((code, span)) = &rule {
            if crate::lint::catalog::find(code).is_none() {
                let help = match suggest(code, crate::lint::catalog::CATALOG.iter().map(|r| r.code))
                {
                    Some(s) => {
                        format!("did you mean `{s}`? `jcform explain --list` lists the rules")
                    }
                    None => "`jcform explain --list` lists the rules".into(),
                };
                self.error(
                    "unknown-reference",
                    format!("waiver names unknown rule `{code}`"),
                    *span,
                    "no such rule",
                    help,
                );
            }
        }
        if let Some((_, span)) = &reason {
            if reason.as_ref().is_some_and(|(r, _)| r.trim().is_empty()) {
                self.error(
                    "invalid-value",
                    "a waiver needs a reason".into(),
                    *span,
                    "empty reason",
                    "say why the finding is accepted".into(),
                );
            }
        }
        if let Some((t, span)) = &target {
            self.waiver_targets.push((t.clone(), *span));
        }
        if let (Some((rule, span)), Some((target, _)), Some((reason, _))) = (rule, target, reason) {
            let rule = crate::lint::catalog::find(&rule).map_or(rule, |r| r.code.to_string());
            self.model.waivers.push(Waiver {
                rule,
                target,
                reason,
                origin: Some(span),
            });
        }
    }

    /// A waiver target must be an address of something declared.
    pub(super) fn check_target(&self, target: &str) -> Result<(), String> {
        let parts = address_parts(target).ok_or_else(|| "is not an address".to_string())?;
        let declared = |kind: RefKind, name: &String| {
            if self.exists(kind, name) {
                Ok(())
            } else {
                Err(format!(
                    "names {} `{name}`, which is not declared",
                    kind.noun()
                ))
            }
        };
        match parts.as_slice() {
            [k, n] if k == "user" => declared(RefKind::User, n),
            [k, n] if k == "group" => declared(RefKind::Group, n),
            [k, n] if k == "ad_domain" => declared(RefKind::AdDomain, n),
            [k, n] if k == "m365_tenant" => declared(RefKind::M365Tenant, n),
            [k, n] if k == "sso_app" => declared(RefKind::SsoApp, n),
            [k, g, u] if k == "membership" => {
                declared(RefKind::Group, g).and(declared(RefKind::User, u))
            }
            [k, dk, d, sk, s] if k == "binding" => {
                let dir = match dk.as_str() {
                    "ad_domain" => RefKind::AdDomain,
                    "m365_tenant" => RefKind::M365Tenant,
                    "sso_app" => RefKind::SsoApp,
                    _ => return Err("is not an address".into()),
                };
                let sub = match sk.as_str() {
                    "user" => RefKind::User,
                    "group" => RefKind::Group,
                    _ => return Err("is not an address".into()),
                };
                declared(dir, d).and(declared(sub, s))
            }
            _ => Err("is not an address".into()),
        }
    }
}
