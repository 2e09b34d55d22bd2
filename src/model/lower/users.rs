//! Lowering of `users`: each user's fields, initial password source, state and delegated authority.

use super::*;

/// Places in [`USER_FIELDS`] of the fields lowering looks at by name.
const EMAIL: usize = field_index(&USER_FIELDS, "email");
const ALTERNATE_EMAIL: usize = field_index(&USER_FIELDS, "alternate_email");
const INITIAL_PASSWORD: usize = field_index(&USER_FIELDS, "initial_password");
const EMPLOYEE_ID: usize = field_index(&USER_FIELDS, "employee_id");
const STATE: usize = field_index(&USER_FIELDS, "state");
const PASSWORD_NEVER_EXPIRES: usize = field_index(&USER_FIELDS, "password_never_expires");
const DELEGATED_AUTHORITY: usize = field_index(&USER_FIELDS, "delegated_authority");
const PASSWORD_AUTHORITY: usize = field_index(&USER_FIELDS, "password_authority");

impl<'a> Lowerer<'a> {
    pub(super) fn user(&mut self, entry: &'a Entry) {
        // Only the model and the origins own a copy of the name.
        let name: &'a str = &entry.key;
        // Written out only into the message of an error.
        let what = Named { noun: "user", name };
        let fields = self.fields(&entry.value, &USER_FIELDS, what);
        if !self.declare(RefKind::User, name, entry.key_span) {
            return;
        }
        let max = limits::USERNAME_MAX_CHARS;
        // A name of at most `max` bytes has at most `max` characters: counted only when longer.
        let username_chars = if name.len() > max {
            limits::chars(name)
        } else {
            0
        };
        if username_chars > max {
            self.error(
                "too-long",
                format!("the username of a user is {username_chars} characters; JumpCloud allows at most {max}"),
                entry.key_span,
                &format!("{username_chars} characters"),
                format!("shorten it to at most {max} characters (the API refuses longer values)"),
            );
        }
        let Some(f) = fields else {
            self.origins
                .insert(Address::User(name.to_string()), entry.key_span);
            return;
        };
        // Where each field is written, recorded with the user's place at the end.
        // Sized exactly: the origins keep it for every user.
        let recorded = f.found[..USER_TEXT_FIELDS.len()].iter().flatten().count()
            + usize::from(f.at(INITIAL_PASSWORD).is_some());
        let mut field_spans: Vec<(&'static str, Span)> = Vec::with_capacity(recorded);
        let mut attrs = UserAttrs::default();
        // Whether the email passed `valid_email` (checked once, then used for the duplicate check).
        let mut email_valid = false;
        // `USER_TEXT_FIELDS[i]` is `USER_FIELDS[i]`.
        for (i, (field, _)) in USER_TEXT_FIELDS.iter().enumerate() {
            let Some(e) = f.at(i) else { continue };
            field_spans.push((field, e.value.span));
            // A string is taken as it is; the words for an error are only made for other
            // values (a hundred thousand users have half a million text fields).
            let value = match &e.value.value {
                Value::Str(s) => Some(s.clone()),
                _ if i == EMAIL => self.string(&e.value, &format!("`{field}` of {what}")),
                _ => self.clearable(&e.value, &format!("`{field}` of {what}")),
            };
            // An empty optional field clears it; the email is required and always checked.
            let checked = i == EMAIL
                || (i == ALTERNATE_EMAIL && value.as_deref().is_some_and(|v| !v.is_empty()));
            if let (Some(v), Some(max)) = (
                value.as_deref().filter(|v| !v.is_empty()),
                limits::USER_TEXT_MAX_CHARS[i],
            ) {
                self.check_length(field, max, v, e.value.span, what);
            }
            if let (Some(v), true) = (&value, checked) {
                let valid = valid_email(v);
                if i == EMAIL {
                    email_valid = valid;
                }
                if !valid {
                    self.error(
                        "invalid-email",
                        format!("`{v}` is not a valid email address"),
                        e.value.span,
                        "not an email address",
                        "write it as name@domain.tld".into(),
                    );
                }
            }
            *attrs.texts_mut()[i] = value;
        }
        // The email as written in the tree: only a string can be a valid email.
        let written_email = f.at(EMAIL).and_then(|e| match &e.value.value {
            Value::Str(s) => Some((e, s.as_str())),
            _ => None,
        });
        if let (Some((e, email)), true) = (written_email, email_valid) {
            use std::collections::hash_map::Entry as Slot;
            match self.emails.entry(email_key_cow(email)) {
                Slot::Occupied(slot) => {
                    let (other, first_email, first) = *slot.get();
                    self.diags.push(
                        Diagnostic::error(
                            "duplicate-email",
                            format!(
                                "users `{other}` and `{name}` have the same email \
                                 `{first_email}` (emails are compared case-insensitively{})",
                                if first_email.to_lowercase() == email.to_lowercase() {
                                    ""
                                } else {
                                    ", and a Unicode domain is its punycode form"
                                }
                            ),
                        )
                        .with_label(e.value.span, "same email again")
                        .with_label(first, "first here")
                        .with_help("give each user its own email"),
                    )
                }
                Slot::Vacant(slot) => {
                    slot.insert((name, email, e.value.span));
                }
            }
        }
        // An empty id clears the field: it is no id, so it cannot be anyone else's.
        if let (Some(e), Some(id)) = (
            f.at(EMPLOYEE_ID),
            attrs
                .employee_id
                .as_ref()
                .filter(|id| !id.trim().is_empty()),
        ) {
            match self.employee_ids.get(id).cloned() {
                Some((other, first)) => self.diags.push(
                    Diagnostic::error(
                        "duplicate-employee-id",
                        format!("users `{other}` and `{name}` have the same employee_id `{id}`"),
                    )
                    .with_label(e.value.span, "same employee id again")
                    .with_label(first, "first here")
                    .with_help(
                        "the API requires employee ids to be unique per user; give each user its own",
                    ),
                ),
                None => {
                    self.employee_ids
                        .insert(id.clone(), (name.to_string(), e.value.span));
                }
            }
        }
        if f.at(EMAIL).is_none() {
            self.missing(
                what,
                "email",
                entry.key_span,
                &format!("{}@example.com", ascii_slug(name)),
            );
        }
        if let Some(e) = f.at(STATE) {
            attrs.state = self.enumeration(
                &e.value,
                "user state",
                UserState::NAMES,
                UserState::declared,
            );
        }
        if let Some(e) = f.at(PASSWORD_NEVER_EXPIRES) {
            attrs.password_never_expires =
                self.boolean(&e.value, &format!("`password_never_expires` of {what}"));
        }
        let mut user = User {
            attrs,
            ..User::default()
        };
        if let Some(e) = f.at(INITIAL_PASSWORD) {
            field_spans.push(("initial_password", e.value.span));
            user.initial_password = self.secret(&e.value, what);
        }
        if let Some(e) = f.at(DELEGATED_AUTHORITY) {
            if let Some(v) = self.string(&e.value, &format!("`delegated_authority` of {what}")) {
                if v == crate::model::DELEGATED_AUTHORITY_NONE {
                    user.delegated_authority = Some(DelegatedAuthority::None);
                } else {
                    self.refer(
                        RefKind::AdDomain,
                        v.clone(),
                        e.value.span,
                        format!("{what} (delegated_authority)"),
                    );
                    user.delegated_authority = Some(DelegatedAuthority::Ad(v));
                }
            }
        }
        if let Some(e) = f.at(PASSWORD_AUTHORITY) {
            user.password_authority = self.enumeration(
                &e.value,
                "password authority",
                PasswordAuthorityDecl::NAMES,
                PasswordAuthorityDecl::from_config,
            );
            let delegates = matches!(user.delegated_authority, Some(DelegatedAuthority::Ad(_)));
            if user.password_authority == Some(PasswordAuthorityDecl::ActiveDirectory) && !delegates
            {
                self.error(
                    "invalid-value",
                    format!(
                        "{what} has `password_authority: active_directory` but no AD domain in \
                         `delegated_authority`"
                    ),
                    e.value.span,
                    "which AD domain owns the password?",
                    "add `delegated_authority: <ad_domains key>` to the user: that domain owns \
                     the password"
                        .into(),
                );
            }
        }
        self.origins
            .insert_object(Address::User(name.to_string()), entry.key_span, field_spans);
        self.users.push((name.to_string(), user));
    }

    pub(super) fn secret(&mut self, node: &Node, what: Named) -> Option<SecretSource> {
        match &node.value {
            Value::Str(s) => Some(SecretSource::Literal(s.clone())),
            Value::Map(_) => {
                let f = self.fields(
                    node,
                    PASSWORD_FIELDS,
                    format_args!("`initial_password` of {what}"),
                )?;
                match (f.get("env"), f.get("file")) {
                    (Some(e), None) => self
                        .string(&e.value, "`initial_password.env`")
                        .map(SecretSource::Env),
                    (None, Some(e)) => self
                        .string(&e.value, "`initial_password.file`")
                        .map(|p| SecretSource::File(normalize_path(&self.dir.join(p)))),
                    _ => {
                        self.error(
                            "invalid-value",
                            format!("`initial_password` of {what} must name exactly one of `env` or `file`"),
                            node.span,
                            "one source expected",
                            "write `initial_password: {env: VARIABLE}` or `initial_password: {file: path}`".into(),
                        );
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(
                    node,
                    "{env: VAR} or {file: path}",
                    &format!("`initial_password` of {what}"),
                );
                None
            }
        }
    }
}
