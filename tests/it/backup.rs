//! `ablauf backup`, `ablauf restore` and `ablauf export-all` on real database files.

use crate::common;

use std::process::Command;

use common::BIN;

fn ablauf(data_dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).arg("--data-dir").arg(data_dir).output().unwrap()
}

fn titles(data_dir: &std::path::Path) -> Vec<String> {
    let out = ablauf(data_dir, &["list"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut titles: Vec<String> =
        list.as_array().unwrap().iter().map(|p| p["title"].as_str().unwrap().to_owned()).collect();
    titles.sort();
    titles
}

fn add(data_dir: &std::path::Path, title: &str) {
    let mut process = common::fixture_json();
    process["title"] = title.into();
    let file = data_dir.join(format!("{title}.json"));
    std::fs::write(&file, process.to_string()).unwrap();
    assert!(ablauf(data_dir, &["add", "--file", file.to_str().unwrap()]).status.success());
}

#[test]
fn backup_then_restore_brings_back_exactly_the_backed_up_state() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    add(&data, "Hundesteuer");
    add(&data, "Gewerbeanmeldung");
    let backup = dir.path().join("backup.db");
    let out = ablauf(&data, &["backup", "--to", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    add(&data, "Sondernutzung");
    assert_eq!(titles(&data), vec!["Gewerbeanmeldung", "Hundesteuer", "Sondernutzung"]);

    let out = ablauf(&data, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(titles(&data), vec!["Gewerbeanmeldung", "Hundesteuer"]);

    // The state before the restore was kept, so nothing is lost.
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let previous = std::path::PathBuf::from(report["previous_saved_to"].as_str().unwrap());
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(&previous, other.join("ablauf.db")).unwrap();
    assert_eq!(titles(&other), vec!["Gewerbeanmeldung", "Hundesteuer", "Sondernutzung"]);
}

#[test]
fn backup_while_the_server_writes_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(dir.path());
    for i in 0..20 {
        let mut p = common::fixture_json();
        p["title"] = format!("Vorgang {i}").into();
        assert_eq!(common::post(&server.url("/api/processes"), &p).0, 201);
    }
    let backup = dir.path().join("online.db");
    let out = ablauf(dir.path(), &["backup", "--to", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let conn = rusqlite::Connection::open(&backup).unwrap();
    let n: i64 = conn.query_row("SELECT count(*) FROM processes", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 20);
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
}

#[test]
fn restoring_garbage_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "Bleibt");
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"this is not a database at all, not even close....").unwrap();
    let out = ablauf(dir.path(), &["restore", "--from", garbage.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not a database"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = ablauf(dir.path(), &["restore", "--from", "/nonexistent.db"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(titles(dir.path()), vec!["Bleibt"]);
}

#[test]
fn export_all_writes_every_process_in_open_formats() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "Anwohnerparkausweis");
    add(dir.path(), "Hundesteuer & Co <neu>");
    let list: serde_json::Value = serde_json::from_slice(&ablauf(dir.path(), &["list"]).stdout).unwrap();
    let archived = list[0]["id"].as_str().unwrap();
    assert!(ablauf(dir.path(), &["set-status", archived, "archived"]).status.success());

    let target = dir.path().join("export");
    let out = ablauf(dir.path(), &["export-all", "--to", target.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["processes"], 2);
    let index: serde_json::Value = serde_json::from_slice(&std::fs::read(target.join("index.json")).unwrap()).unwrap();
    assert_eq!(index.as_array().unwrap().len(), 2, "archived processes are exported too");
    for entry in index.as_array().unwrap() {
        let id = entry["id"].as_str().unwrap();
        let stored: serde_json::Value =
            serde_json::from_slice(&std::fs::read(target.join(format!("{id}.json"))).unwrap()).unwrap();
        assert_eq!((stored["id"].as_str(), &stored["process"]["title"]), (Some(id), &entry["title"]));
        let bpmn = std::fs::read_to_string(target.join(format!("{id}.bpmn"))).unwrap();
        let imported = ablauf::bpmn::import_bpmn(bpmn.as_bytes()).unwrap();
        assert_eq!(imported.process.title, entry["title"].as_str().unwrap(), "BPMN carries the escaped title");
        let page = std::fs::read_to_string(target.join(format!("{id}.md"))).unwrap();
        let first_word = entry["title"].as_str().unwrap().split(' ').next().unwrap();
        assert!(page.starts_with(&format!("# {first_word}")), "Markdown escapes the rest: {page}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().contains("partial"))
            .count(),
        0
    );

    let again = ablauf(dir.path(), &["export-all", "--to", target.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "an existing export is never overwritten");
    assert!(String::from_utf8_lossy(&again.stderr).contains("not an empty folder"));
}
