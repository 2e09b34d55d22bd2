//! What every command shares about its output: colour (`--color`, `NO_COLOR`), logging (`-v`,
//! `JCFORM_LOG`, through `tracing` to stderr) and the progress line shown while an org is read.
//!
//! Logs and progress go to stderr so that stdout stays a clean document (JSON, markdown, DOT).
//! The request log comes from one `tracing::debug!` event in the API client (target
//! [`HTTP_TARGET`]: method, path without its query, status, milliseconds, attempt) and the reader
//! (target [`READ_TARGET`]: one event per collection read); neither carries a header or a body, so
//! no API key or password can reach a log.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Target of the API client's request events (one per HTTP response or transport failure).
pub const HTTP_TARGET: &str = "jcform::http";
/// Target of the org reader's events (one per collection read completely).
pub const READ_TARGET: &str = "jcform::read";
/// The environment variable with `tracing` filter directives, e.g. `jcform=debug`.
pub const LOG_ENV: &str = "JCFORM_LOG";

/// `--color`: whether to colour output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour, even into a pipe or with `NO_COLOR`.
    Always,
    /// Never colour.
    Never,
}

/// Which stream a decision is for: stdout and stderr can be redirected separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

const COLOR_UNSET: u8 = 0;
static COLOR: AtomicU8 = AtomicU8::new(COLOR_UNSET);

/// Records `--color` for the whole process (set once by `cli::main`, before any output).
pub fn set_color(choice: ColorChoice) {
    let v = match choice {
        ColorChoice::Auto => 1,
        ColorChoice::Always => 2,
        ColorChoice::Never => 3,
    };
    COLOR.store(v, Ordering::Relaxed);
}

fn color_choice() -> ColorChoice {
    match COLOR.load(Ordering::Relaxed) {
        2 => ColorChoice::Always,
        3 => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

/// Whether `NO_COLOR` asks for no colour (set and not empty, per no-color.org).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The decision for `choice` on a stream that is (or is not) a terminal.
pub fn decide(choice: ColorChoice, is_terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => is_terminal && !no_color,
    }
}

/// Whether to colour what goes to `stream`: `--color always|never` decide; `auto` (the default)
/// colours a terminal unless `NO_COLOR` is set.
pub fn color(stream: Stream) -> bool {
    let terminal = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    decide(color_choice(), terminal, no_color_env())
}

/// The filter for `-v` counted `verbose` times, or `JCFORM_LOG` when no `-v` is given.
/// Default: warnings only. `-v`: jcform's info (what was read, how long); `-vv`: every request;
/// `-vvv`: everything, dependencies included.
pub fn log_filter(verbose: u8, env: Option<&str>) -> Result<EnvFilter, String> {
    let directives = match (verbose, env.map(str::trim).filter(|s| !s.is_empty())) {
        (0, Some(env)) => {
            return EnvFilter::builder()
                .parse(env)
                .map_err(|e| format!("{LOG_ENV}={env:?} is not a valid log filter: {e}"))
                .map_err(|e| {
                    format!("{e}\n  help: for example {LOG_ENV}=jcform=debug, or use -v / -vv")
                });
        }
        (0, None) => "warn",
        (1, _) => "warn,jcform=info",
        (2, _) => "warn,jcform=debug",
        _ => "trace",
    };
    EnvFilter::builder()
        .parse(directives)
        .map_err(|e| e.to_string())
}

/// Whether a progress line may be drawn: stderr is a terminal and no log lines share it.
static PROGRESS_ALLOWED: OnceLock<bool> = OnceLock::new();

/// Installs the logger (stderr, `filter`) and the progress layer. Call once, first thing.
pub fn init_logging(filter: EnvFilter, quiet_logs: bool) {
    let ansi = color(Stream::Stderr);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .with_target(true)
        .without_time()
        .with_filter(filter);
    let progress = ProgressLayer.with_filter(tracing_subscriber::filter::filter_fn(|m| {
        m.target() == HTTP_TARGET || m.target() == READ_TARGET
    }));
    let _ = PROGRESS_ALLOWED.set(quiet_logs && std::io::stderr().is_terminal());
    // `try_init`: tests that run `cli::main` twice in one process must not panic.
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(progress)
        .try_init();
}

/// The read in progress, if a progress line is shown.
static ACTIVE: Mutex<Option<Arc<ReadProgress>>> = Mutex::new(None);

/// Counts of an org read, drawn as one spinner line.
#[derive(Debug)]
pub struct ReadProgress {
    bar: ProgressBar,
    label: String,
    requests: AtomicU64,
    collections: AtomicU64,
}

impl ReadProgress {
    fn new(bar: ProgressBar, label: String) -> ReadProgress {
        let p = ReadProgress {
            bar,
            label,
            requests: AtomicU64::new(0),
            collections: AtomicU64::new(0),
        };
        p.redraw(None);
        p
    }

    fn on_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.redraw(None);
    }

    fn on_collection(&self, name: Option<&str>) {
        self.collections.fetch_add(1, Ordering::Relaxed);
        self.redraw(name);
    }

    /// The line: `reading sandbox:org.json: 12 pages, 3 collections done (groups)`.
    pub fn message(&self, last: Option<&str>) -> String {
        let pages = self.requests.load(Ordering::Relaxed);
        let done = self.collections.load(Ordering::Relaxed);
        let mut line = format!(
            "reading {}: {pages} page{} read, {done} collection{} done",
            self.label,
            if pages == 1 { "" } else { "s" },
            if done == 1 { "" } else { "s" },
        );
        if let Some(last) = last {
            line.push_str(&format!(" ({last})"));
        }
        line
    }

    fn redraw(&self, last: Option<&str>) {
        self.bar.set_message(self.message(last));
    }
}

/// Removes the progress line when the read ends (or fails).
#[derive(Debug)]
pub struct ProgressGuard(Option<Arc<ReadProgress>>);

impl Drop for ProgressGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            p.bar.finish_and_clear();
            if let Ok(mut active) = ACTIVE.lock() {
                if active.as_ref().is_some_and(|a| Arc::ptr_eq(a, &p)) {
                    *active = None;
                }
            }
        }
    }
}

/// Shows "reading LABEL: N pages read, M collections done" on stderr until the guard drops,
/// when stderr is a terminal and no logs are printed; otherwise does nothing. One line at a
/// time: a read started while another is shown (many orgs) counts into the first.
pub fn reading(label: &str) -> ProgressGuard {
    if !PROGRESS_ALLOWED.get().copied().unwrap_or(false) {
        return ProgressGuard(None);
    }
    let Ok(mut active) = ACTIVE.lock() else {
        return ProgressGuard(None);
    };
    if active.is_some() {
        return ProgressGuard(None);
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(120));
    let p = Arc::new(ReadProgress::new(bar, label.to_string()));
    *active = Some(p.clone());
    ProgressGuard(Some(p))
}

/// Feeds request and collection events to the active progress line.
struct ProgressLayer;

/// Pulls the `collection` field out of a reader event.
#[derive(Default)]
struct CollectionField(Option<String>);

impl Visit for CollectionField {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "collection" {
            self.0 = Some(value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "collection" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

impl<S: Subscriber> Layer<S> for ProgressLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let Some(active) = ACTIVE.lock().ok().and_then(|a| a.clone()) else {
            return;
        };
        match event.metadata().target() {
            HTTP_TARGET => active.on_request(),
            READ_TARGET => {
                let mut field = CollectionField::default();
                event.record(&mut field);
                active.on_collection(field.0.as_deref());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_decisions() {
        assert!(decide(ColorChoice::Always, false, true));
        assert!(!decide(ColorChoice::Never, true, false));
        assert!(decide(ColorChoice::Auto, true, false));
        assert!(
            !decide(ColorChoice::Auto, true, true),
            "NO_COLOR wins in auto"
        );
        assert!(
            !decide(ColorChoice::Auto, false, false),
            "a pipe gets no colour"
        );
    }

    #[test]
    fn verbosity_maps_to_filters() {
        assert_eq!(log_filter(0, None).unwrap().to_string(), "warn");
        assert!(log_filter(2, None)
            .unwrap()
            .to_string()
            .contains("jcform=debug"));
        // -v beats the environment; the environment is used without -v.
        assert!(log_filter(1, Some("jcform=trace"))
            .unwrap()
            .to_string()
            .contains("jcform=info"));
        assert!(log_filter(0, Some("jcform=trace"))
            .unwrap()
            .to_string()
            .contains("jcform=trace"));
        let err = log_filter(0, Some("jcform=loud")).unwrap_err();
        assert!(err.contains("JCFORM_LOG") && err.contains("help:"), "{err}");
    }

    #[test]
    fn progress_counts_pages_and_collections() {
        let p = ReadProgress::new(ProgressBar::hidden(), "sandbox:x.json".into());
        p.on_request();
        p.on_request();
        p.on_collection(Some("users"));
        assert_eq!(
            p.message(Some("users")),
            "reading sandbox:x.json: 2 pages read, 1 collection done (users)"
        );
    }
}
