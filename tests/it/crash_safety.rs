//! SIGKILL in the middle of concurrent writes, repeatedly: after each restart the database
//! is sound, every acknowledged write is there and no version is half-written.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Server, fixture_json, get, post, put};
use serde_json::json;

const CYCLES: usize = 5;
const WRITERS: usize = 4;
/// Processes each writer creates per cycle at most: more than it gets to before the kill, and a
/// bound on what the restarted server must embed before its index answers.
const WRITES_PER_CYCLE: usize = 40;

#[test]
fn kill_9_during_bulk_writes_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    // id -> highest acknowledged version
    let acknowledged: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();

    for cycle in 0..CYCLES {
        let server = Server::start(dir.path());
        verify(&server, &acknowledged.lock().unwrap());

        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (base, stop, acknowledged) = (server.base.clone(), stop.clone(), acknowledged.clone());
                std::thread::spawn(move || {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) && n < WRITES_PER_CYCLE {
                        n += 1;
                        let mut process = fixture_json();
                        process["title"] = json!(format!("Zyklus {cycle} Schreiber {w} Nr. {n}"));
                        let Ok((201, created)) = try_request(|| post(&format!("{base}/api/processes"), &process))
                        else {
                            break;
                        };
                        let id = created["id"].as_str().unwrap().to_owned();
                        acknowledged.lock().unwrap().insert(id.clone(), 1);
                        process["summary"] = json!("zweite Fassung");
                        let body = json!({"expected_version": 1, "process": process});
                        let Ok((200, _)) = try_request(|| put(&format!("{base}/api/processes/{id}"), &body)) else {
                            break;
                        };
                        acknowledged.lock().unwrap().insert(id, 2);
                    }
                })
            })
            .collect();

        // Let the writers get going, then pull the plug without warning.
        std::thread::sleep(Duration::from_millis(400 + 150 * cycle as u64));
        let mut server = server;
        server.child.kill().unwrap(); // SIGKILL
        server.child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            w.join().unwrap();
        }
        assert_database_sound(&dir.path().join("ablauf.db"));
    }
    let server = Server::start(dir.path());
    let acknowledged = acknowledged.lock().unwrap();
    assert!(acknowledged.len() >= CYCLES * WRITERS, "writers made progress: {}", acknowledged.len());
    verify(&server, &acknowledged);
    verify_index(&server, &stored_ids(&dir.path().join("ablauf.db")));
}

/// The ids of the processes in the database: the acknowledged ones and those whose commit the
/// kill cut off from their answer.
fn stored_ids(path: &std::path::Path) -> BTreeSet<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn.prepare("SELECT id FROM processes").unwrap();
    stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
}

/// The vector index saved before a kill may be stale or torn; after the restart it must have been
/// reconciled with SQLite: the neighbours of a process are stored processes, as many as asked.
fn verify_index(server: &Server, stored: &BTreeSet<String>) {
    let id = stored.iter().next().unwrap();
    let k = stored.len().min(50);
    let (status, report) = common::get_when_ready(&server.url(&format!("/api/processes/{id}/similar?k={k}")));
    assert_eq!(status, 200, "{report}");
    let found = report["similar"].as_array().unwrap();
    assert_eq!(found.len(), k.min(stored.len() - 1), "{report}");
    for neighbour in found {
        let other = neighbour["id"].as_str().unwrap();
        assert!(stored.contains(other), "{other} is not in the database");
    }
}

/// A request that may fail because the server was killed under it.
fn try_request(
    f: impl FnOnce() -> (u16, serde_json::Value) + std::panic::UnwindSafe,
) -> Result<(u16, serde_json::Value), ()> {
    std::panic::catch_unwind(f).map_err(|_| ())
}

fn verify(server: &Server, acknowledged: &BTreeMap<String, u64>) {
    for (id, version) in acknowledged {
        let (status, stored) = get(&server.url(&format!("/api/processes/{id}")));
        assert_eq!(status, 200, "acknowledged process {id} is missing");
        assert!(stored["version"].as_u64().unwrap() >= *version, "{id}: acknowledged version {version} lost");
    }
}

fn assert_database_sound(path: &std::path::Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(check, "ok");
    // Every process has exactly the versions 1..=current_version, each with an audit entry.
    let broken: i64 = conn
        .query_row(
            "SELECT count(*) FROM processes p WHERE
               (SELECT count(*) FROM process_versions v WHERE v.process_id = p.id) != p.current_version
               OR (SELECT max(version) FROM process_versions v WHERE v.process_id = p.id) != p.current_version
               OR (SELECT count(*) FROM audit_log a WHERE a.process_id = p.id) != p.current_version",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(broken, 0, "half-written processes found");
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM process_versions v LEFT JOIN processes p ON p.id = v.process_id WHERE p.id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
}
