//! Shared helpers for the emulator integration tests: start an in-process emulator on a free
//! port over a temp state file and talk to it over real HTTP.
#![allow(dead_code)]

use std::path::PathBuf;

use jcform::emulator::{Emulator, EmulatorOptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

pub const KEY: &str = "test-key";

pub struct Sandbox {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    pub base: String,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn total(&self) -> Option<u64> {
        self.headers
            .get("x-total-count")?
            .to_str()
            .ok()?
            .parse()
            .ok()
    }
}

impl Sandbox {
    /// Starts an emulator over `state` (None = no state file) with `tweak` applied to the options.
    pub async fn start(state: Option<Value>, tweak: impl FnOnce(&mut EmulatorOptions)) -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        if let Some(state) = state {
            std::fs::write(&path, serde_json::to_vec_pretty(&state).unwrap()).unwrap();
        }
        let mut opts = EmulatorOptions {
            state: path,
            ..EmulatorOptions::default()
        };
        tweak(&mut opts);
        let emulator = Emulator::start(opts, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let base = emulator.base_url();
        Sandbox {
            emulator,
            dir,
            client: reqwest::Client::new(),
            base,
        }
    }

    pub async fn seeded() -> Sandbox {
        Sandbox::start(Some(fixture()), |_| {}).await
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join("state.json")
    }

    pub fn state(&self) -> Value {
        // The state file with the writes its journal holds (folded in when the emulator stops).
        jcform::emulator::read_state(&self.state_path()).unwrap()
    }

    /// Sends a request with the test API key; `path` starts with `/api`.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Reply {
        self.call_with_key(method, path, body, Some(KEY)).await
    }

    pub async fn call_with_key(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(key) = key {
            req = req.header("x-api-key", key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.call(Method::POST, path, Some(body)).await
    }
}

/// Ids in the fixture: 24 hex digits like real ObjectIds.
pub const ALICE: &str = "a00000000000000000000001";
pub const BOB: &str = "a00000000000000000000002";
pub const CAROL: &str = "a00000000000000000000003";
pub const ENG: &str = "b00000000000000000000001";
pub const OPS: &str = "b00000000000000000000002";
pub const AD: &str = "c00000000000000000000001";
pub const O365: &str = "d00000000000000000000001";
pub const DOM1: &str = "e00000000000000000000001";
pub const DOM2: &str = "e00000000000000000000002";

/// A small org: three users, two groups (alice in engineering), one AD bound to engineering
/// and to bob, one M365 tenant bound to alice.
pub fn fixture() -> Value {
    json!({
        "systemusers": [
            {"_id": ALICE, "username": "alice", "email": "alice@example.com", "firstname": "Alice", "state": "ACTIVATED",
             "password_date": "2026-01-05T10:00:00Z", "delegatedAuthority": {"name": "ActiveDirectory", "id": AD}},
            {"_id": BOB, "username": "bob", "email": "bob@example.com", "state": "ACTIVATED"},
            {"_id": CAROL, "username": "carol", "email": "carol@example.com", "state": "SUSPENDED"}
        ],
        "usergroups": [
            {"id": ENG, "name": "engineering", "membershipMethod": "STATIC"},
            {"id": OPS, "name": "ops", "description": "Operations"}
        ],
        "activedirectories": [
            {"id": AD, "domain": "DC=corp;DC=example;DC=com", "useCase": "TWOWAYSYNC", "delegationState": "ENABLED", "groupsEnabled": true}
        ],
        "activedirectory_agents": {AD: [{"id": "f00000000000000000000001", "agentType": "IMPORT", "state": "active", "hostType": "DC", "version": "3.1.0"}]},
        "office365s": [
            {"id": O365, "name": "Contoso", "groupsEnabled": true, "userLockoutAction": "suspend", "userPasswordExpirationAction": "maintain"}
        ],
        "office365_domains": {O365: [
            {"objectId": DOM1, "domain": "contoso.com", "default": true},
            {"objectId": DOM2, "domain": "contoso.org", "default": false}
        ]},
        "associations": [
            {"from": {"type": "user_group", "id": ENG}, "to": {"type": "user", "id": ALICE}},
            {"from": {"type": "user_group", "id": ENG}, "to": {"type": "active_directory", "id": AD}},
            {"from": {"type": "user", "id": BOB}, "to": {"type": "active_directory", "id": AD}},
            {"from": {"type": "user", "id": ALICE}, "to": {"type": "office_365", "id": O365}}
        ]
    })
}

pub fn is_object_id(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 24
            && s.chars()
                .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    })
}
