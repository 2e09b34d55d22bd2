//! Shared by the apply tests: an in-process emulator with a temp state file and a request log,
//! a client for it, and the request log read back as data.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use jcform::emulator::{Emulator, EmulatorOptions};
use jcform::jumpcloud::{read_live, ApiKey, Client, ClientConfig};
use jcform::model::live::LiveState;
use serde_json::Value;

pub const KEY: &str = "test-key";

pub struct Sandbox {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
    pub log: PathBuf,
}

/// Fault knobs for one sandbox.
#[derive(Clone, Copy, Default)]
pub struct Faults {
    pub fail_rate: f64,
    pub rate_limit: Option<u32>,
}

impl Sandbox {
    pub async fn start(faults: Faults) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("requests.jsonl");
        let options = EmulatorOptions {
            state: dir.path().join("state.json"),
            api_key: Some(KEY.into()),
            fail_rate: faults.fail_rate,
            rate_limit: faults.rate_limit,
            log: Some(log.clone()),
            seed: Some(7),
            ..Default::default()
        };
        let emulator = Emulator::start(options, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("emulator starts");
        Sandbox { emulator, dir, log }
    }

    pub fn client(&self, parallelism: usize) -> Client {
        self.client_with_retries(parallelism, 8)
    }

    /// Few retries let injected faults reach the executor, so rounds of apply must converge.
    pub fn client_with_retries(&self, parallelism: usize, retries: u32) -> Client {
        let mut config = ClientConfig::new(ApiKey::new(KEY));
        config.api_url = self.emulator.base_url();
        config.parallelism = parallelism;
        config.max_retries = retries;
        Client::new(config).expect("client")
    }

    pub async fn live(&self) -> LiveState {
        // A fault-free reader: the state is what it is, however the apply got there.
        read_live(&self.client(4)).await.expect("read live")
    }

    /// Every logged request so far.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// How many lines the log has now (to look only at what comes after).
    pub fn mark(&self) -> usize {
        self.requests().len()
    }
}

/// Writes that succeeded, from log line `from` on, as `METHOD path [op type:name]` with remote
/// ids replaced by `<kind:name>` placeholders, so a snapshot pins the order, not the ids.
pub fn writes(requests: &[Value], from: usize, names: &BTreeMap<String, String>) -> Vec<String> {
    requests[from..]
        .iter()
        .filter(|r| {
            let method = r["method"].as_str().unwrap_or("");
            let path = r["path"].as_str().unwrap_or("");
            let status = r["status"].as_u64().unwrap_or(0);
            method != "GET" && !path.starts_with("/api/search/") && (200..300).contains(&status)
        })
        .map(|r| {
            let mut line = format!(
                "{} {}",
                r["method"].as_str().unwrap_or(""),
                placeholders(r["path"].as_str().unwrap_or(""), names)
            );
            if let (Some(op), Some(kind), Some(id)) = (
                r["body"]["op"].as_str(),
                r["body"]["type"].as_str(),
                r["body"]["id"].as_str(),
            ) {
                line.push_str(&format!(" {op} {kind}:{}", placeholders(id, names)));
            }
            if let Some(body) = r["body"].as_object() {
                if body.contains_key("delegatedAuthority") {
                    let to = body["delegatedAuthority"]["id"]
                        .as_str()
                        .map(|id| placeholders(id, names))
                        .unwrap_or_else(|| "none".into());
                    line.push_str(&format!(" delegatedAuthority={to}"));
                }
            }
            line
        })
        .collect()
}

/// Replaces every known id in `text` with its `<kind:name>`.
fn placeholders(text: &str, names: &BTreeMap<String, String>) -> String {
    text.split('/')
        .map(|seg| names.get(seg).cloned().unwrap_or_else(|| seg.to_string()))
        .collect::<Vec<_>>()
        .join("/")
}

/// Remote id -> `<kind:name>` for every object in these states.
pub fn names(states: &[&LiveState]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for s in states {
        for u in s.users.values() {
            out.insert(u.id.clone(), format!("<user:{}>", u.username));
        }
        for g in s.groups.values() {
            out.insert(g.id.clone(), format!("<group:{}>", g.name));
        }
        for a in s.ad_domains.values() {
            out.insert(a.id.clone(), format!("<ad:{}>", a.domain));
        }
    }
    out
}
