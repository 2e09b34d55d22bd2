//! `jcform access [CONFIG] [--sandbox FILE | org flags] [--user KEY]... [--changed]
//! [--format human|json]`: who can log in where, per user, before and after the plan of CONFIG
//! (the access model, `crate::access`). Changed users first.
//!
//! With an org the model is computed on the plan the files would make; without one, on what the
//! files declare (no "before").

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::validate::{load_or_report, report_plan_errors, DiagFormat};
use super::Outcome;
use crate::access::render;
use crate::lint::Context;
use crate::model::Address;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum AccessFormat {
    /// Text for people.
    #[default]
    Human,
    /// `{format_version, users: [{address, before, after, changed}]}` (docs/plan-json.md).
    Json,
}

#[derive(Debug, Args)]
pub struct AccessArgs {
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,
    #[command(flatten)]
    pub org: crate::cli::org::OrgArgs,
    /// Only this user (a username, `user.alice` or `user["anna.lindqvist"]`); repeatable.
    #[arg(long = "user", value_name = "KEY")]
    pub users: Vec<String>,
    /// Only the users whose verdicts the plan changes.
    #[arg(long)]
    pub changed: bool,
    #[arg(long, value_enum, default_value_t = AccessFormat::Human)]
    pub format: AccessFormat,
}

/// `alice`, `user.alice` or `user["anna.lindqvist"]` -> `alice` / `anna.lindqvist`.
fn user_key(text: &str) -> String {
    match text.parse::<Address>() {
        Ok(Address::User(key)) => key,
        _ => text.to_string(),
    }
}

pub fn run(args: AccessArgs) -> anyhow::Result<Outcome> {
    let diag_format = match args.format {
        AccessFormat::Human => DiagFormat::Human,
        AccessFormat::Json => DiagFormat::Json,
    };
    let config = load_or_report(&args.config, diag_format)?;
    let live_and_plan = if args.org.is_given() {
        let live = args.org.read_live()?.live;
        // The same refusals as `plan`: no verdict from a plan that cannot be made.
        let plan = crate::plan::diff(&config.model, &live)
            .and_then(|plan| {
                let unreadable = crate::plan::unreadable_passwords(&config.model, &plan);
                match unreadable.is_empty() {
                    true => Ok(plan),
                    false => Err(crate::plan::PlanErrors::sorted(unreadable)),
                }
            })
            .map_err(|errors| report_plan_errors(&config, &errors, diag_format))?;
        Some((live, plan))
    } else {
        None
    };
    let cx = match &live_and_plan {
        Some((live, plan)) => Context::with_org(&config.model, &config.origins, live, plan),
        None => Context::offline(&config.model, &config.origins),
    };
    let users: Vec<String> = args.users.iter().map(|u| user_key(u)).collect();
    for (given, key) in args.users.iter().zip(&users) {
        if !cx.access.before.contains_key(key) && !cx.access.after.contains_key(key) {
            let known = cx
                .access
                .before
                .keys()
                .chain(cx.access.after.keys())
                .map(String::as_str);
            let hint = match crate::model::lower::suggest(key, known) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => String::new(),
            };
            anyhow::bail!(
                "--user {given}: no such user in the files or the org{hint}; `jcform access` \
                 without --user lists every user"
            );
        }
    }
    let entries = render::entries(&cx.access, &users, args.changed);
    let mut out = std::io::stdout().lock();
    match args.format {
        AccessFormat::Human => render::human(&entries, &cx.access, &mut out)?,
        AccessFormat::Json => out.write_all(render::json(&entries).as_bytes())?,
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_keys_in_every_spelling() {
        assert_eq!(user_key("alice"), "alice");
        assert_eq!(user_key("user.alice"), "alice");
        assert_eq!(user_key("user[\"anna.lindqvist\"]"), "anna.lindqvist");
        assert_eq!(user_key("anna.lindqvist"), "anna.lindqvist");
    }
}
