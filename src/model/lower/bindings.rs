//! Lowering of `bindings`: the users and groups bound to each directory (JumpCloud's associations).

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn binding(&mut self, node: &'a Node) {
        let Some(f) = self.fields(node, BINDING_FIELDS, "a binding") else {
            return;
        };
        let directory = match (f.get("ad_domain"), f.get("m365_tenant")) {
            (Some(e), None) => self.string(&e.value, "`ad_domain` of a binding").map(|k| {
                self.refer(RefKind::AdDomain, k.clone(), e.value.span, "a binding");
                Directory::AdDomain(k)
            }),
            (None, Some(e)) => self
                .string(&e.value, "`m365_tenant` of a binding")
                .map(|k| {
                    self.refer(RefKind::M365Tenant, k.clone(), e.value.span, "a binding");
                    Directory::M365Tenant(k)
                }),
            (Some(_), Some(e)) => {
                self.error(
                    "invalid-value",
                    "a binding names both an AD domain and an M365 tenant".into(),
                    e.key_span,
                    "second directory",
                    "split it into two entries, one per directory".into(),
                );
                None
            }
            (None, None) => {
                self.error(
                    "missing-field",
                    "a binding names no directory".into(),
                    node.span,
                    "`ad_domain` or `m365_tenant` is required",
                    "add `ad_domain: <key>` or `m365_tenant: <key>`".into(),
                );
                None
            }
        };
        let Some(directory) = directory else { return };
        let from = format!("a binding to {directory}");
        for (field, kind) in [("users", RefKind::User), ("groups", RefKind::Group)] {
            let Some(e) = f.get(field) else { continue };
            let names = self.names(&e.value, &format!("`{field}` of a binding"));
            for (name, span) in &names {
                let subject = if kind == RefKind::User {
                    Subject::User(name.to_string())
                } else {
                    Subject::Group(name.to_string())
                };
                let binding = Binding {
                    directory: directory.clone(),
                    subject,
                };
                self.origins
                    .insert(Address::Binding(binding.clone()), *span);
                self.model.bindings.insert(binding);
            }
            self.references.push(Reference {
                kind,
                from: from.clone(),
                names,
            });
        }
    }
}
