//! Lowering of `groups`: each group and its members.

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn group(&mut self, entry: &'a Entry) {
        let name: &'a str = &entry.key;
        let what = format!("group `{name}`");
        let fields = self.fields(&entry.value, GROUP_FIELDS, &what);
        if !self.declare(RefKind::Group, name, entry.key_span) {
            return;
        }
        let Some(f) = fields else {
            self.origins
                .insert(Address::Group(name.to_string()), entry.key_span);
            return;
        };
        let mut group = Group::default();
        if let Some(e) = f.get("description") {
            group.description = self.clearable(&e.value, &format!("`description` of {what}"));
        }
        let mut field_spans = Vec::new();
        if let Some(e) = f.get("members") {
            field_spans.push(("members", e.key_span));
            let listed = self.names(&e.value, &format!("`members` of {what}"));
            group.members = Some(self.members(name, &what, listed));
        }
        self.origins.insert_object(
            Address::Group(name.to_string()),
            entry.key_span,
            field_spans,
        );
        self.model.groups.insert(name.to_string(), group);
    }

    /// The member set of group `group` from its list, recording where each member is listed and
    /// each reference to check; a member listed twice is an error at the repeat.
    fn members(
        &mut self,
        group: &str,
        what: &str,
        listed: Vec<(Cow<'a, str>, Span)>,
    ) -> BTreeSet<String> {
        // Lists are usually written sorted (`jcform export` does): then there is no repeat and
        // the set is built in one pass instead of by an insert per member.
        let sorted = listed.windows(2).all(|w| w[0].0 < w[1].0);
        let (members, listed) = if sorted {
            let members = listed.iter().map(|(user, _)| user.to_string()).collect();
            (members, listed)
        } else {
            let mut members = BTreeSet::new();
            let mut once = Vec::with_capacity(listed.len());
            for (user, span) in listed {
                if members.insert(user.to_string()) {
                    once.push((user, span));
                } else {
                    self.error(
                        "duplicate-key",
                        format!("{what} lists member `{user}` twice"),
                        span,
                        "listed again",
                        "remove the repeat".into(),
                    );
                }
            }
            (members, once)
        };
        self.origins.insert_members(group, &listed);
        self.references.push(Reference {
            kind: RefKind::User,
            from: format!("{what} (members)"),
            names: listed,
        });
        members
    }
}
