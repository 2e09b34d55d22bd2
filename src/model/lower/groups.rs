//! Lowering of `groups`: each group and its members.

use super::*;

impl Lowerer {
    pub(super) fn group(&mut self, entry: &Entry) {
        let name = entry.key.clone();
        let what = format!("group `{name}`");
        let fields = self.fields(&entry.value, GROUP_FIELDS, &what);
        if !self.declare("groups", "group", &name, entry.key_span) {
            return;
        }
        self.origins
            .spans
            .insert(Address::Group(name.clone()), entry.key_span);
        let Some(f) = fields else { return };
        let mut group = Group::default();
        if let Some(e) = f.get("description") {
            group.description = self.clearable(&e.value, &format!("`description` of {what}"));
        }
        if let Some(e) = f.get("members") {
            self.origins
                .fields
                .insert((Address::Group(name.clone()), "members"), e.key_span);
            let mut members = BTreeSet::new();
            let from: std::rc::Rc<str> = format!("{what} (members)").into();
            for (user, span) in self.names(&e.value, &format!("`members` of {what}")) {
                if !members.insert(user.clone()) {
                    self.error(
                        "duplicate-key",
                        format!("{what} lists member `{user}` twice"),
                        span,
                        "listed again",
                        "remove the repeat".into(),
                    );
                    continue;
                }
                self.origins
                    .spans
                    .insert(Address::Membership(name.clone(), user.clone()), span);
                self.references.push(Reference {
                    kind: RefKind::User,
                    name: user,
                    span,
                    from: from.clone(),
                });
            }
            group.members = Some(members);
        }
        self.model.groups.insert(name, group);
    }
}
