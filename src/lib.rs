//! jcform: JumpCloud identity configuration as code.
//!
//! Data flows one way: files -> `config` (spanned raw tree) -> `model` (validated) -> `graph`;
//! the org -> `jumpcloud::read` -> `model::live::LiveState`; model + live -> `plan` -> `lint` ->
//! `render`, with `access` (who can log in where, before and after the plan) between plan and
//! lint; `apply` executes a plan. Only `jumpcloud`, `emulator` and `apply` do network I/O.

pub mod access;
pub mod apply;
pub mod atomic;
pub mod cli;
pub mod config;
pub mod credentials;
pub mod diag;
pub mod emulator;
pub mod export;
pub mod federation;
pub mod graph;
pub mod jumpcloud;
pub mod lint;
pub mod model;
pub mod orgs;
pub mod plan;
pub mod render;
pub mod source;
