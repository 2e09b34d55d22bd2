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
    /// Step lines not yet written (no bar only), written by [`Observer::flush`]: one write for
    /// the lines of several steps rather than one per line (issue 13).
    pending: Mutex<String>,
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
            pending: Mutex::new(String::new()),
            bar,
            lines,
        }
    }

    pub fn finish(&self) {
        Observer::flush(self);
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
            None => {
                let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                pending.push_str(&line);
                pending.push('\n');
            }
        }
    }

    fn flush(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.is_empty() {
            return;
        }
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = out.write_all(pending.as_bytes()).and_then(|()| out.flush());
        pending.clear();
    }
}

impl Progress {
    fn write(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

impl Drop for Progress {
    /// Lines still buffered are written.
    fn drop(&mut self) {
        Observer::flush(self);
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
