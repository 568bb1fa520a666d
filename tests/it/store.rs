//! The SQLite store on a real database file: versions, audit, conflicts, append-only
//! history, migration from an older schema and concurrent writers.

use ablauf::process::{self, Process};
use ablauf::store::{Change, ListFilter, Status, Store, StoreError};

fn fixture() -> Process {
    process::parse(include_str!("../fixtures/anwohnerparkausweis.json")).unwrap()
}

fn by(author: &str) -> Change<'_> {
    Change { author, reason: "test", own_drafts_only: false }
}

fn all() -> ListFilter {
    ListFilter { limit: 100, ..ListFilter::default() }
}

#[test]
fn every_save_is_a_new_version_with_history_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();
    let mut p = fixture();
    let saved = store.create(&p, &Change { author: "anna", reason: "erfasst", own_drafts_only: false }).unwrap();
    assert_eq!((saved.version, saved.status), (1, Status::Draft));

    p.summary = "Neu formuliert".into();
    let second = store
        .update(&saved.id, 1, &p, &Change { author: "ben", reason: "präzisiert", own_drafts_only: false })
        .unwrap();
    assert_eq!(second.version, 2);

    let current = store.get(&saved.id, None).unwrap();
    assert_eq!((current.version, current.current_version), (2, 2));
    assert_eq!(current.process.summary, "Neu formuliert");
    assert_eq!(current.author, "ben");
    let old = store.get(&saved.id, Some(1)).unwrap();
    assert_eq!(old.process, fixture(), "version 1 is kept unchanged");
    assert_eq!((old.version, old.current_version), (1, 2));

    let history = store.versions(&saved.id).unwrap();
    let summary: Vec<_> = history.iter().map(|v| (v.version, v.author.as_str(), v.reason.as_str())).collect();
    assert_eq!(summary, vec![(1, "anna", "erfasst"), (2, "ben", "präzisiert")]);

    store.set_status(&saved.id, Status::Published, &by("chef")).unwrap();
    let audit = store.audit_log(10, None).unwrap();
    let actions: Vec<_> =
        audit.iter().map(|e| (e.action.as_str(), e.actor.as_str(), e.from_version, e.to_version)).collect();
    assert_eq!(
        actions,
        vec![
            ("status", "chef", Some(2), Some(2)),
            ("update", "ben", Some(1), Some(2)),
            ("create", "anna", None, Some(1))
        ]
    );
    assert_eq!(audit[0].detail, "draft -> published");
    assert_eq!(store.get(&saved.id, None).unwrap().status, Status::Published);
}

#[test]
fn stale_update_is_a_conflict_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();
    let saved = store.create(&fixture(), &by("a")).unwrap();
    store.update(&saved.id, 1, &fixture(), &by("a")).unwrap();
    let err = store.update(&saved.id, 1, &fixture(), &by("b")).unwrap_err();
    assert!(matches!(err, StoreError::VersionConflict { expected: 1, actual: 2, .. }), "{err}");
    assert_eq!(store.versions(&saved.id).unwrap().len(), 2);
    assert!(matches!(store.update("p-missing", 1, &fixture(), &by("b")), Err(StoreError::NotFound(_))));
    assert!(matches!(store.get(&saved.id, Some(9)), Err(StoreError::VersionNotFound { version: 9, .. })));
}

#[test]
fn invalid_processes_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();
    let mut p = fixture();
    p.steps[1].next[0].to = "nirgends".into();
    match store.create(&p, &by("a")) {
        Err(StoreError::Invalid(v)) => assert_eq!(v.errors[0].path, "steps[1].next[0].to"),
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(store.list(&all()).unwrap().total, 0);
    assert!(store.audit_log(10, None).unwrap().is_empty(), "a refused write leaves no audit entry");
}

#[test]
fn history_and_audit_are_append_only_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ablauf.db");
    let store = Store::open(&path).unwrap();
    store.create(&fixture(), &by("a")).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE process_versions SET body = '{}'",
        "DELETE FROM process_versions",
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
    ] {
        let err = conn.execute(sql, []).unwrap_err().to_string();
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
}

#[test]
fn listing_filters_by_status_and_text_and_pages() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();
    let mut ids = Vec::new();
    for title in ["Hundesteuer anmelden", "Gewerbe anmelden", "Parkausweis für Anwohner", "Straßenfest genehmigen"] {
        let p = Process { title: title.into(), ..fixture() };
        ids.push(store.create(&p, &by("a")).unwrap().id);
    }
    store.set_status(&ids[1], Status::Published, &by("a")).unwrap();

    let text = |t: &str| store.list(&ListFilter { text: Some(t.into()), ..all() }).unwrap();
    assert_eq!(text("ANMELDEN").total, 2);
    assert_eq!(text("straßenfest").items[0].id, ids[3]);
    assert_eq!(text("100%").total, 0, "LIKE wildcards in the query are literal");
    // Step names are searchable too.
    assert_eq!(text("melderegister").total, 4);

    let published = store.list(&ListFilter { status: Some(Status::Published), ..all() }).unwrap();
    assert_eq!(published.items.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), vec![ids[1].as_str()]);

    let page = store.list(&ListFilter { limit: 3, offset: 3, ..all() }).unwrap();
    assert_eq!((page.total, page.items.len()), (4, 1));
}

#[test]
fn older_schema_is_migrated_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ablauf.db");
    {
        // A database as version 1 of the schema wrote it.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(ablauf::store::MIGRATIONS[0]).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        let body = serde_json::to_string(&fixture()).unwrap();
        conn.execute(
            "INSERT INTO processes VALUES ('p-old', 'published', 1, 'Alt', 'alt', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO process_versions VALUES ('p-old', 1, ?1, 'import', '', '2024-01-01T00:00:00Z')",
            [body],
        )
        .unwrap();
        // Version 1 did not yet protect history.
        conn.execute("UPDATE process_versions SET reason = 'altbestand'", []).unwrap();
    }
    let store = Store::open(&path).unwrap();
    let old = store.get("p-old", None).unwrap();
    assert_eq!((old.status, old.reason.as_str()), (Status::Published, "altbestand"));
    assert_eq!(old.process, fixture());
    drop(store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version as usize, ablauf::store::MIGRATIONS.len());
    assert!(conn.execute("DELETE FROM process_versions", []).is_err(), "migration 2 made history append-only");
}

#[test]
fn a_database_from_a_newer_ablauf_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ablauf.db");
    rusqlite::Connection::open(&path).unwrap().pragma_update(None, "user_version", 999).unwrap();
    let err = Store::open(&path).err().expect("newer schema refused");
    assert!(matches!(err, StoreError::SchemaTooNew { found: 999, .. }), "{err}");
}

#[test]
fn concurrent_writers_on_one_file_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ablauf.db");
    let shared = Store::open(&path).unwrap();
    let id = shared.create(&fixture(), &by("setup")).unwrap().id;
    std::thread::scope(|s| {
        for writer in 0..4 {
            let path = &path;
            let id = &id;
            s.spawn(move || {
                // Each writer has its own connection, like separate processes would.
                let store = Store::open(path).unwrap();
                let author = format!("w{writer}");
                for _ in 0..15 {
                    store.create(&fixture(), &by(&author)).unwrap();
                    // Optimistic concurrency: retry on conflict with the fresh version.
                    loop {
                        let current = store.get(id, None).unwrap().version;
                        match store.update(id, current, &fixture(), &by(&author)) {
                            Ok(_) => break,
                            Err(StoreError::VersionConflict { .. }) => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    assert_eq!(shared.list(&all()).unwrap().total, 61);
    let versions = shared.versions(&id).unwrap();
    assert_eq!(versions.len(), 61);
    assert!(versions.iter().enumerate().all(|(i, v)| v.version == i as u32 + 1), "no gaps, no duplicates");
    assert_eq!(shared.audit_log(1000, None).unwrap().len(), 1 + 60 + 60);
    assert_eq!(shared.integrity_check().unwrap(), vec!["ok".to_string()]);
}
