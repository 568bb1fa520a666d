//! The vector index on its own: exact vs HNSW, persistence and reconciliation, parameters.

use ablauf::index::synthetic::clustered_vectors;
use ablauf::index::{IndexError, IndexParams, Truth, VectorIndex};

const DIM: usize = 64;

fn params(exact_below: usize) -> IndexParams {
    IndexParams { exact_below, ..IndexParams::default() }
}

fn keyed(vectors: &[Vec<f32>]) -> Vec<(String, String, Vec<f32>)> {
    vectors.iter().enumerate().map(|(i, v)| (format!("p{i:05}"), format!("h{i}"), v.clone())).collect()
}

fn build(entries: &[(String, String, Vec<f32>)], p: IndexParams) -> VectorIndex {
    VectorIndex::from_entries(DIM, p, entries.iter().map(|(k, s, v)| (k.as_str(), s.as_str(), v.as_slice()))).unwrap()
}

fn truth(entries: &[(String, String, Vec<f32>)]) -> Truth<'_> {
    entries.iter().map(|(k, s, v)| (k.as_str(), (s.as_str(), v.as_slice()))).collect()
}

fn recall_at_10(index: &VectorIndex, queries: &[Vec<f32>]) -> f32 {
    let all = |_: &str| true;
    let mut found = 0;
    for q in queries {
        let exact: Vec<String> = index.search_exact(q, 10, &all).into_iter().map(|h| h.key).collect();
        found += index.search(q, 10, &all).iter().filter(|h| exact.contains(&h.key)).count();
    }
    found as f32 / (10 * queries.len()) as f32
}

#[test]
fn hnsw_recalls_what_exact_search_finds_on_thousands_of_clustered_vectors() {
    let entries = keyed(&clustered_vectors(2000, DIM, 40, 7));
    let index = build(&entries, params(300));
    assert!(index.uses_graph());
    assert_eq!(index.len(), 2000);
    let queries = clustered_vectors(100, DIM, 50, 99);
    let recall = recall_at_10(&index, &queries);
    assert!(recall >= 0.95, "recall@10 {recall}");
}

#[test]
fn small_collections_are_searched_exactly_and_filters_hold() {
    let entries = keyed(&clustered_vectors(200, DIM, 5, 3));
    let mut index = build(&entries, IndexParams::default());
    assert!(!index.uses_graph());
    let q = &entries[0].2;
    assert_eq!(index.search(q, 1, &|_| true)[0].key, "p00000");
    let hits = index.search(q, 10, &|k| k != "p00000" && k != "p00005");
    assert_eq!(hits.len(), 10);
    assert!(hits.iter().all(|h| h.key != "p00000" && h.key != "p00005"));
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    assert!(index.remove("p00000"));
    assert!(index.search(q, 200, &|_| true).iter().all(|h| h.key != "p00000"));
}

#[test]
fn archived_entries_never_come_back_from_the_graph_either() {
    let entries = keyed(&clustered_vectors(1500, DIM, 30, 11));
    let index = build(&entries, params(300));
    let hidden: std::collections::HashSet<String> = (0..1500).step_by(2).map(|i| format!("p{i:05}")).collect();
    for (key, _, vector) in entries.iter().take(50) {
        let hits = index.search(vector, 10, &|k| !hidden.contains(k));
        assert_eq!(hits.len(), 10, "query {key}");
        assert!(hits.iter().all(|h| !hidden.contains(&h.key)));
    }
}

#[test]
fn a_saved_graph_is_restored_and_reconciled_with_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries = keyed(&clustered_vectors(800, DIM, 20, 5));
    let index = build(&entries, params(300));
    index.save(dir.path(), "model-a").unwrap();
    let queries = clustered_vectors(20, DIM, 20, 6);
    let before: Vec<_> = queries.iter().map(|q| index.search(q, 10, &|_| true)).collect();

    let (restored, report) = VectorIndex::restore(dir.path(), "model-a", DIM, params(300), &truth(&entries)).unwrap();
    assert!(report.loaded && report.reconciled == 0, "{report:?}");
    let after: Vec<_> = queries.iter().map(|q| restored.search(q, 10, &|_| true)).collect();
    assert_eq!(before, after);

    // One entry changed, one vanished, one new: the saved graph is used and corrected.
    let replacement = clustered_vectors(2, DIM, 2, 42);
    entries[3] = ("p00003".into(), "changed".into(), replacement[0].clone());
    entries.remove(10);
    entries.push(("new".into(), "h-new".into(), replacement[1].clone()));
    let (restored, report) = VectorIndex::restore(dir.path(), "model-a", DIM, params(300), &truth(&entries)).unwrap();
    assert!(report.loaded, "{report:?}");
    assert_eq!(report.reconciled, 3);
    assert_eq!(restored.len(), entries.len());
    assert_eq!(restored.stamp("p00003"), Some("changed"));
    assert_eq!(restored.stamp("p00010"), None);
    assert_eq!(restored.search(&replacement[0], 1, &|_| true)[0].key, "p00003");
    assert_eq!(restored.search(&replacement[1], 1, &|_| true)[0].key, "new");
}

#[test]
fn a_missing_corrupt_or_foreign_index_is_rebuilt_from_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let entries = keyed(&clustered_vectors(350, DIM, 10, 9));
    build(&entries, params(300)).save(dir.path(), "model-a").unwrap();
    let files = |suffix: &str| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect()
    };
    assert_eq!(files(".hnsw.graph").len(), 1);

    let (_, report) = VectorIndex::restore(dir.path(), "model-b", DIM, params(300), &truth(&entries)).unwrap();
    assert!(!report.loaded, "another model must not reuse the graph");

    std::fs::write(&files(".hnsw.data")[0], b"garbage").unwrap();
    let (index, report) = VectorIndex::restore(dir.path(), "model-a", DIM, params(300), &truth(&entries)).unwrap();
    assert!(!report.loaded && report.rebuilt_because.unwrap().contains("checksum"));
    assert_eq!(index.len(), 350);
    index.save(dir.path(), "model-a").unwrap();
    assert_eq!(files(".hnsw.graph").len(), 1, "old generations are cleaned up");

    std::fs::remove_file(&files(".hnsw.graph")[0]).unwrap();
    let (index, report) = VectorIndex::restore(dir.path(), "model-a", DIM, params(300), &truth(&entries)).unwrap();
    assert!(!report.loaded);
    assert_eq!(index.search(&entries[7].2, 1, &|_| true)[0].key, entries[7].0);

    std::fs::write(dir.path().join("manifest.json"), b"{not json").unwrap();
    let (_, report) = VectorIndex::restore(dir.path(), "model-a", DIM, params(300), &truth(&entries)).unwrap();
    assert!(!report.loaded);
}

#[test]
fn parameters_are_checked_before_they_reach_hnsw_rs() {
    let bad = [
        IndexParams { m: 1, ..IndexParams::default() },
        IndexParams { m: 300, ..IndexParams::default() },
        IndexParams { ef_construction: 8, ..IndexParams::default() },
        IndexParams { ef_search: 0, ..IndexParams::default() },
    ];
    for p in bad {
        assert!(matches!(VectorIndex::new(DIM, p), Err(IndexError::Params(_))), "{p:?}");
    }
    let mut index = VectorIndex::new(DIM, IndexParams::default()).unwrap();
    assert!(matches!(index.upsert("a", "s", &[1.0; 3]), Err(IndexError::Dimension { .. })));
    assert!(matches!(index.upsert("a", "s", &[0.0; DIM]), Err(IndexError::NotFinite(_))));
    assert!(matches!(index.upsert("a", "s", &[f32::NAN; DIM]), Err(IndexError::NotFinite(_))));
}
