//! `jcform federation m365_tenant.<key> [CONFIG] [--sandbox FILE | org flags] [--format
//! text|json]`: what must run on Microsoft's side to federate the tenant's declared domain to
//! JumpCloud (`crate::federation`). Reads the org (the app's certificate is there); writes
//! nothing.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::validate::{load_or_report, report_plan_errors, DiagFormat};
use super::Outcome;
use crate::model::Address;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum FederationFormat {
    /// The Graph request and the PowerShell, commented, for people.
    #[default]
    Text,
    /// `{format_version, domain, tenant, sso_app, graph: {method, url, body}, powershell}`.
    Json,
}

#[derive(Debug, Args)]
pub struct FederationArgs {
    /// The tenant whose `federation` to print: `m365_tenant.contoso` (or just `contoso`).
    pub tenant: String,
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,
    #[command(flatten)]
    pub org: crate::cli::org::OrgArgs,
    #[arg(long, value_enum, default_value_t = FederationFormat::Text)]
    pub format: FederationFormat,
    /// Print the request even though the plan would still change the app: the printed values
    /// are the files' (what `jcform apply` makes true), not yet the org's. Without it such a run
    /// is refused (exit 1).
    #[arg(long)]
    pub pending: bool,
}

/// `m365_tenant.contoso`, `m365_tenant["x y"]` or `contoso` -> the tenant key.
fn tenant_key(text: &str) -> anyhow::Result<String> {
    match text.parse::<Address>() {
        Ok(Address::M365Tenant(key)) => Ok(key),
        Ok(other) => anyhow::bail!("{other} is not an M365 tenant; name one as m365_tenant.<key>"),
        Err(_) => Ok(text.to_string()),
    }
}

pub fn run(args: FederationArgs) -> anyhow::Result<Outcome> {
    let key = tenant_key(&args.tenant)?;
    let diag_format = match args.format {
        FederationFormat::Text => DiagFormat::Human,
        FederationFormat::Json => DiagFormat::Json,
    };
    let config = load_or_report(&args.config, diag_format)?;
    if !args.org.is_given() {
        anyhow::bail!(
            "jcform federation needs the org (the SSO app's signing certificate is there): give \
             --sandbox FILE, --profile NAME or JC_API_KEY"
        );
    }
    let live = args.org.read_live()?.live;
    // Identity first, as `jcform plan` settles it: an app the files' key cannot name without a
    // guess (two live apps with its label, ...) stops here with the plan's errors, naming them.
    let plan = crate::plan::diff(&config.model, &live)
        .map_err(|errors| report_plan_errors(&config, &errors, diag_format))?;
    let federation = crate::federation::build(&config.model, &live, &key)
        .map_err(|e| anyhow::anyhow!("{}\n  help: {}", e.message, e.help))?;
    // The files' values win in the request; if the plan still changes the app, the org does not
    // hold them yet and Microsoft would be told an issuer or URL JumpCloud does not answer with.
    let app = Address::SsoApp(
        config.model.m365_tenants[&key]
            .federation
            .as_ref()
            .map(|f| f.sso_app.clone())
            .unwrap_or_default(),
    );
    if let Some(change) = plan.changes.iter().find(|c| c.address == app) {
        let what = format!(
            "the plan would still {} {app}: the org does not match the files yet, and the \
             request reflects the files as they will be after `jcform apply`",
            match change.action {
                crate::plan::Action::Create => "create",
                crate::plan::Action::Update => "update",
                crate::plan::Action::Replace => "replace",
                crate::plan::Action::Delete => "delete",
            }
        );
        if !args.pending {
            anyhow::bail!(
                "{what}\n  help: run `jcform apply` first, then print the request again (or pass \
                 --pending to print it now)"
            );
        }
        eprintln!("warning: {what}");
    }
    let mut out = std::io::stdout().lock();
    match args.format {
        FederationFormat::Text => out.write_all(federation.text().as_bytes())?,
        FederationFormat::Json => {
            let mut text = serde_json::to_string_pretty(&federation.json())?;
            text.push('\n');
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_keys_in_every_spelling() {
        assert_eq!(tenant_key("m365_tenant.contoso").unwrap(), "contoso");
        assert_eq!(tenant_key("contoso").unwrap(), "contoso");
        assert_eq!(tenant_key("m365_tenant[\"a b\"]").unwrap(), "a b");
        assert!(tenant_key("user.alice").is_err());
    }
}
