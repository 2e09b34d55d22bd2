//! Talking to a JumpCloud org (or the sandbox emulator, which speaks the same wire format).
//!
//! - `config`: connection settings and the redacted API key.
//! - `client`: HTTP, shared limiter, retries, typed endpoints.
//! - `paging`: reading whole collections without missing or duplicating a row.
//! - `error`: `ApiError` and error-body parsing.
//! - `wire`: the API's JSON shapes, exactly as sent.
//! - `convert`: wire <-> model, the only place that knows both.
//! - `read`: the whole org as a `model::live::LiveState`.
//! - `snapshot`: a `LiveState` as an emulator state file.
//! - `writes`: update bodies that keep what jcform does not manage, and which endpoint replaces
//!   and which merges.

pub mod client;
pub mod config;
pub mod convert;
pub mod error;
mod limiter;
mod paging;
pub mod read;
mod retry;
pub mod snapshot;
pub mod wire;
pub mod writes;

pub use client::{check_list_body, Client, ListKind, Op};
pub use config::{ApiKey, ClientConfig, Region};
pub use error::ApiError;
pub use read::read_live;
pub use wire::Fetched;
