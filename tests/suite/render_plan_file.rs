//! Plan files through the public API: what `plan --out` writes, `apply` can trust.

use std::collections::BTreeMap;

use jcform::model::Address;
use jcform::plan::file::{fingerprint, PlanFile, PlanFileError};
use jcform::plan::{Action, Change, Plan};
use serde_json::{json, Value};

fn plan() -> Plan {
    Plan {
        changes: vec![
            Change {
                reason: "declared in the files, missing in the org".into(),
                ..Change::from_json_sides(
                    Address::User("anna.lindqvist".into()),
                    Action::Create,
                    Value::Null,
                    json!({"email": "anna@example.com", "initial_password": "(set)"}),
                )
                .expect("a plan side")
            },
            Change {
                reason: "in the org, not in the files".into(),
                remote_ids: BTreeMap::from([("group".into(), "64aa00000000000000000001".into())]),
                ..Change::from_json_sides(
                    Address::Group("engineering".into()),
                    Action::Delete,
                    json!({"description": "Engineers"}),
                    Value::Null,
                )
                .expect("a plan side")
            },
        ],
        ..Plan::default()
    }
}

fn fingerprints() -> BTreeMap<String, String> {
    BTreeMap::from([(
        "64aa00000000000000000001".to_string(),
        fingerprint(&json!({"name": "engineering", "description": "Engineers"})),
    )])
}

#[test]
fn round_trip_keeps_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    let file = PlanFile::new("acme", "abc123", &plan(), &[], fingerprints());
    file.write_atomic(&path).unwrap();
    let back = PlanFile::read(&path).unwrap();
    assert_eq!(back, file);
    assert_eq!(back.changes[0].address, "user[\"anna.lindqvist\"]");
    assert_eq!(back.changes[1].action, Action::Delete);
    assert_eq!(
        back.changes[1].remote_ids["group"],
        "64aa00000000000000000001"
    );
    assert_eq!(back.fingerprints, fingerprints());
}

#[test]
fn any_edit_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    PlanFile::new("acme", "abc123", &plan(), &[], fingerprints())
        .write_atomic(&path)
        .unwrap();
    let original = std::fs::read_to_string(&path).unwrap();
    let edits = [
        ("\"acme\"", "\"other-org\""),
        ("\"Engineers\"", "\"Everyone\""),
        ("\"delete\"", "\"create\""),
    ];
    for (from, to) in edits {
        assert!(original.contains(from), "{from}");
        std::fs::write(&path, original.replacen(from, to, 1)).unwrap();
        match PlanFile::read(&path) {
            Err(PlanFileError::Tampered { .. }) => {}
            other => panic!("{from} -> {to}: {other:?}"),
        }
    }
    // A changed fingerprint (someone making a stale plan look fresh) too.
    let fp = fingerprints()["64aa00000000000000000001"].clone();
    std::fs::write(&path, original.replace(&fp, &"0".repeat(64))).unwrap();
    assert!(matches!(
        PlanFile::read(&path),
        Err(PlanFileError::Tampered { .. })
    ));
}

#[test]
fn no_secrets_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.json");
    PlanFile::new("acme", "abc123", &plan(), &[], fingerprints())
        .write_atomic(&path)
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // No change can hold a password: a side with one is refused, without echoing it.
    let err = Change::from_json_sides(
        Address::User("anna.lindqvist".into()),
        Action::Create,
        Value::Null,
        json!({"initial_password": "Sommar2024!"}),
    )
    .unwrap_err();
    assert!(!err.contains("Sommar2024!"), "{err}");
    assert!(!text.contains("Sommar2024!"));
    assert!(text.contains("(set)"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "plan files are private: {mode:o}");
    }
}

/// A device, a directory or a stream is refused before anything is read (no unbounded memory),
/// with one clear message.
#[test]
fn only_regular_files_are_read() {
    for path in ["/dev/zero", "/"] {
        let err = PlanFile::read(std::path::Path::new(path)).expect_err(path);
        assert!(
            err.to_string().contains("not a regular file"),
            "{path}: {err}"
        );
    }
    let missing = PlanFile::read(std::path::Path::new("/nonexistent/plan.json")).unwrap_err();
    let chain = format!("{:#}", anyhow::Error::from(missing));
    assert_eq!(chain.matches("No such file").count(), 1, "{chain}");
}
