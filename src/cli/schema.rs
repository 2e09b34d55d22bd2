//! `jcform schema`: the JSON Schema of the YAML form (for editors: yaml-language-server).

use std::io::Write;

use clap::Args;

use super::Outcome;

#[derive(Debug, Args)]
pub struct SchemaArgs {}

pub fn run(_args: SchemaArgs) -> anyhow::Result<Outcome> {
    std::io::stdout()
        .lock()
        .write_all(crate::config::schema::json().as_bytes())?;
    Ok(Outcome::Ok)
}
