//! `jcform emulator`: serve the sandbox JumpCloud API over a local state file until Ctrl-C or
//! SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;

use crate::cli::Outcome;
use crate::emulator::{Emulator, EmulatorOptions, FailRule, StateAccess};

#[derive(clap::Args, Debug)]
pub struct EmulatorArgs {
    /// The org state file (JSON, rewritten after every change). It must exist; see --create
    #[arg(long, value_name = "FILE")]
    pub state: PathBuf,
    /// When the state file does not exist, start from an empty org (the file is written on the
    /// first change)
    #[arg(long)]
    pub create: bool,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Append one JSON line per request to this file (passwords redacted).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Require exactly this x-api-key (otherwise any non-empty key is accepted).
    #[arg(long, value_name = "KEY")]
    pub api_key: Option<String>,
    /// Delay every request by this many milliseconds.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub latency_ms: u64,
    /// Delay every request by LATENCY plus up to JITTER more (drawn per request, repeatable
    /// with --seed), e.g. "150ms" or "150ms,30ms": a real API's round trips on one machine.
    #[arg(long, value_name = "LATENCY[,JITTER]", value_parser = parse_latency, conflicts_with = "latency_ms")]
    pub latency: Option<(u64, u64)>,
    /// Admit at most N requests per second; answer the rest with 429 and Retry-After.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Answer this share of requests (0 to 1) with 503.
    #[arg(long, default_value_t = 0.0, value_name = "P", value_parser = parse_rate)]
    pub fail_rate: f64,
    /// Drop the last row of every other request to the same list page.
    #[arg(long)]
    pub short_pages: bool,
    /// Seed for generated ids and injected faults, for repeatable runs.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Answer every request with this method and exact path with STATUS, changing nothing
    /// (repeatable), e.g. "POST /api/v2/activedirectories 400": to see what an apply does when
    /// one write fails.
    #[arg(long, value_name = "METHOD /PATH STATUS")]
    pub fail_request: Vec<FailRule>,
}

/// `150ms`, `0.2s`, `150` (milliseconds), optionally `,JITTER` in the same units.
fn parse_latency(raw: &str) -> Result<(u64, u64), String> {
    let one = |part: &str| -> Result<u64, String> {
        let part = part.trim();
        let (number, scale) = if let Some(ms) = part.strip_suffix("ms") {
            (ms, 1.0)
        } else if let Some(s) = part.strip_suffix('s') {
            (s, 1000.0)
        } else {
            (part, 1.0)
        };
        match number.trim().parse::<f64>() {
            Ok(n) if n.is_finite() && (0.0..=600_000.0).contains(&(n * scale)) => {
                Ok((n * scale).round() as u64)
            }
            _ => Err(format!(
                "expected a delay like 150ms or 0.2s (at most 600s), got {part:?}"
            )),
        }
    };
    match raw.split_once(',') {
        Some((latency, jitter)) => Ok((one(latency)?, one(jitter)?)),
        None => Ok((one(raw)?, 0)),
    }
}

fn parse_rate(raw: &str) -> Result<f64, String> {
    match raw.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!("expected a number from 0 to 1, got {raw:?}")),
    }
}

pub fn run(args: EmulatorArgs) -> anyhow::Result<Outcome> {
    crate::cli::org::check_state_file(&args.state, "--state", "--create", args.create)?;
    let opts = EmulatorOptions {
        state: args.state,
        api_key: args.api_key,
        latency_ms: args.latency.map_or(args.latency_ms, |(ms, _)| ms),
        jitter_ms: args.latency.map_or(0, |(_, jitter)| jitter),
        rate_limit: args.rate_limit,
        fail_rate: args.fail_rate,
        short_pages: args.short_pages,
        log: args.log,
        seed: args.seed,
        // The standalone emulator serves writes: it holds the state file's lock for its whole
        // run, so no `apply --sandbox` (or second emulator) can change the file under it.
        access: StateAccess::Write,
        fail_requests: args.fail_request,
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        // Listening for the signals before anyone can learn the URL: a SIGTERM sent right after
        // a write must stop the emulator cleanly (folding its journal into the state file), not
        // kill it with the default action.
        let stop = shutdown_signal();
        let emulator = Emulator::start(opts, args.listen).await?;
        // Scripts and tests read this first line to learn the port; flush it now.
        let mut stdout = std::io::stdout();
        writeln!(stdout, "listening on {}", emulator.base_url())?;
        stdout.flush()?;
        stop.await;
        emulator.shutdown().await;
        Ok(Outcome::Ok)
    })
}

/// Waits for Ctrl-C, or SIGTERM on Unix. The handlers are installed when this is called, not
/// when the future is first polled.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let signals = {
        use tokio::signal::unix::{signal, SignalKind};
        signal(SignalKind::terminate())
            .and_then(|term| Ok((term, signal(SignalKind::interrupt())?)))
            .ok()
    };
    async move {
        #[cfg(unix)]
        if let Some((mut term, mut interrupt)) = signals {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}
