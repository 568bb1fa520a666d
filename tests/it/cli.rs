//! The command line: output on stdout, messages on stderr, exit codes 0/1/2.

use crate::common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::BIN;

fn ablauf(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(BIN).args(args).arg("--data-dir").arg(data_dir).output().unwrap()
}

fn stdout_json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("stdout is not JSON: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn add_get_list_history_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = "tests/fixtures/anwohnerparkausweis.json";
    let out = ablauf(dir.path(), &["add", "--file", fixture, "--author", "anna", "--reason", "neu"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = stdout_json(&out)["id"].as_str().unwrap().to_owned();

    let got = stdout_json(&ablauf(dir.path(), &["get", &id]));
    assert_eq!(got["process"], common::fixture_json());
    assert_eq!(got["author"], "anna");

    let out = ablauf(dir.path(), &["update", &id, "--file", fixture, "--expected-version", "1"]);
    assert!(out.status.success());
    let out = ablauf(dir.path(), &["update", &id, "--file", fixture, "--expected-version", "1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not the expected version 1"));

    let history = stdout_json(&ablauf(dir.path(), &["history", &id]));
    assert_eq!(history.as_array().unwrap().len(), 2);

    assert!(ablauf(dir.path(), &["set-status", &id, "published"]).status.success());
    let list = stdout_json(&ablauf(dir.path(), &["list", "--status", "published"]));
    assert_eq!(list[0]["id"].as_str(), Some(id.as_str()));

    let table = ablauf(dir.path(), &["list", "--format", "table"]);
    let text = String::from_utf8(table.stdout).unwrap();
    let lines: Vec<_> = text.lines().collect();
    assert!(lines[0].starts_with("id") && lines[0].ends_with("title"), "{text}");
    assert!(lines[1].contains(&id) && lines[1].contains("Anwohnerparkausweis ausstellen"), "{text}");

    let audit = stdout_json(&ablauf(dir.path(), &["audit"]));
    assert_eq!(audit.as_array().unwrap().len(), 3);
}

#[test]
fn validate_exit_codes_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let ok = ablauf(dir.path(), &["validate", "--file", "tests/fixtures/anwohnerparkausweis.json"]);
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(stdout_json(&ok)["valid"], true);

    let mut broken = common::fixture_json();
    broken["steps"][3]["next"][0]["to"] = "s9".into();
    let path = dir.path().join("broken.json");
    std::fs::write(&path, broken.to_string()).unwrap();
    let out = ablauf(dir.path(), &["validate", "--file", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let findings = stdout_json(&out);
    assert_eq!(findings["errors"][0]["path"], "steps[3].next[0].to");

    // From stdin.
    let mut child = Command::new(BIN)
        .args(["validate", "--file", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(broken.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));

    // Adding the broken process fails and stores nothing.
    let out = ablauf(dir.path(), &["add", "--file", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown step \\\"s9\\\""));
    assert_eq!(stdout_json(&ablauf(dir.path(), &["list"])).as_array().unwrap().len(), 0);
}

#[test]
fn bad_arguments_and_unreadable_input_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let missing = ablauf(dir.path(), &["add", "--file", "/nonexistent/p.json"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read /nonexistent/p.json"));

    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"title\": 5}").unwrap();
    let out = ablauf(dir.path(), &["add", "--file", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at title"), "{}", String::from_utf8_lossy(&out.stderr));

    assert_eq!(ablauf(dir.path(), &["list", "--format", "xml"]).status.code(), Some(2));
    assert_eq!(ablauf(dir.path(), &["set-status", "p-1", "weg"]).status.code(), Some(2));
    assert_eq!(ablauf(dir.path(), &["frobnicate"]).status.code(), Some(2));
    let help = ablauf(dir.path(), &["--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Validate a process JSON file and store it"));
}

#[test]
fn schema_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let schema = stdout_json(&ablauf(dir.path(), &["schema"]));
    assert_eq!(schema, ablauf::process::schema());
}
