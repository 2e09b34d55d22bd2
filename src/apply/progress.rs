//! What a person sees while the apply runs: one line per finished step (✓ done, ✗ failed,
//! `-` skipped) with its address, kind and duration; a progress bar on a terminal only; the
//! summary at the end. `--format json` prints the report as data instead (see `cli::apply`).

use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::execute::{ApplyReport, Event, Observer, Outcome, StepResult};

pub struct Progress {
    out: Mutex<Box<dyn Write + Send>>,
    bar: Option<ProgressBar>,
    /// Print a line per step (human output).
    lines: bool,
}

impl Progress {
    /// `bar`: draw an indicatif bar on stderr (callers pass "stderr is a terminal").
    pub fn new(out: Box<dyn Write + Send>, steps: usize, bar: bool, lines: bool) -> Progress {
        let bar = bar.then(|| {
            let b = ProgressBar::new(u64::try_from(steps).unwrap_or(u64::MAX));
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
                b.set_style(style);
            }
            b
        });
        Progress {
            out: Mutex::new(out),
            bar,
            lines,
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn event(&self, event: &Event<'_>) {
        let Event::Finished(_, result) = event else {
            if let (Event::Started(step), Some(bar)) = (event, &self.bar) {
                bar.set_message(step.label());
            }
            return;
        };
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        if !self.lines {
            return;
        }
        let line = step_line(result);
        match &self.bar {
            Some(bar) => bar.suspend(|| self.write(&line)),
            None => self.write(&line),
        }
    }
}

impl Progress {
    fn write(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

/// `✓ user.alice create (120 ms)`, `✗ ... : why`, `- ...: needs ...`.
pub fn step_line(r: &StepResult) -> String {
    let mut line = format!("{} {} {}", r.outcome.mark(), r.address, r.kind.name());
    if r.outcome != Outcome::Skipped {
        line.push_str(&format!(" ({})", duration(r.duration_ms)));
    }
    if let Some(m) = &r.message {
        line.push_str(": ");
        line.push_str(m);
    }
    line
}

fn duration(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", Duration::from_millis(ms).as_secs_f64())
    }
}

/// `Apply: 5 done, 1 failed, 2 skipped.` and, below, what failed and what was skipped.
pub fn summary(report: &ApplyReport) -> String {
    let mut out = format!(
        "Apply: {} done, {} failed, {} skipped.\n",
        report.count(Outcome::Done),
        report.count(Outcome::Failed),
        report.count(Outcome::Skipped)
    );
    for (outcome, title) in [(Outcome::Failed, "Failed"), (Outcome::Skipped, "Skipped")] {
        let rows: Vec<&StepResult> = report
            .results
            .iter()
            .filter(|r| r.outcome == outcome)
            .collect();
        if rows.is_empty() {
            continue;
        }
        out.push_str(&format!("{title}:\n"));
        for r in rows {
            out.push_str(&format!("  {}\n", step_line(r)));
        }
    }
    out
}
