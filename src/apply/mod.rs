//! `apply`: executes a plan against an org.
//!
//! - `order`: the plan as a schedule of steps with the lockout-safe order (pure data).
//! - `execute`: runs the schedule through a `jumpcloud::Client`: concurrency, safe repeats,
//!   read-after-write, skipping what depends on a failure.
//! - `precondition`: before each update, the fields it writes still hold what the plan read.
//! - `journal`: a JSON-lines record of every step as it runs (never a secret).
//! - `progress`: one line per finished step, a bar on a terminal, the summary.

pub mod execute;
pub mod journal;
pub mod order;
pub mod precondition;
pub mod progress;

pub use execute::{execute, ApplyReport, Event, ExecuteOptions, Observer, Outcome, StepResult};
pub use order::{
    apply_graph, schedule, ApplyGraph, EdgeRule, OrderHints, Schedule, Step, StepKind,
};
