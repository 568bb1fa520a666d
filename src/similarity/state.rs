//! What the similarity service derives from the store and keeps in memory: the vector index,
//! each process's document, and the lexical index over them (rebuilt when they change).

use std::collections::HashMap;

use super::lexical::{Bm25, Terms, bag};
use super::score::Doc;
use super::text::Vocabulary;
use crate::index::VectorIndex;
use crate::store::Status;

/// The derived state behind the service's lock.
pub(super) struct State {
    pub(super) index: VectorIndex,
    pub(super) docs: HashMap<String, Doc>,
    /// The store's change and embedding markers when `docs` and `lexical` were last synced.
    pub(super) marker: String,
    /// Index changes not yet saved next to the database.
    pub(super) unsaved: usize,
    pub(super) lexical: Lexical,
}

/// The lexical side, derived from the docs and rebuilt when they change.
#[derive(Default)]
pub(super) struct Lexical {
    pub(super) vocab: Vocabulary,
    pub(super) bm25: Bm25,
    /// Per process: its terms with weights, and its title's terms.
    pub(super) bags: HashMap<String, HashMap<String, f32>>,
    pub(super) titles: HashMap<String, HashMap<String, f32>>,
}

impl Lexical {
    pub(super) fn build(docs: &HashMap<String, Doc>) -> Lexical {
        let mut vocab = Vocabulary::new();
        for d in docs.values() {
            for (text, _) in &d.fields {
                vocab.add(text);
            }
        }
        let mut bags = HashMap::new();
        let mut titles = HashMap::new();
        let mut indexed = Vec::new();
        for d in docs.values().filter(|d| d.status != Status::Archived) {
            let terms = doc_terms(d, &vocab);
            bags.insert(d.id.clone(), bag(&terms));
            titles.insert(d.id.clone(), bag(&vocab.terms(&d.title).into_iter().map(|t| (t, 1.0)).collect()));
            indexed.push((d.id.clone(), terms));
        }
        Lexical { vocab, bm25: Bm25::build(indexed), bags, titles }
    }
}

/// The processes that take part (embedded, not archived), in the order of their ids: where
/// two name one LeiKa key, the same one claims it on every run.
pub(super) fn live(state: &State) -> Vec<&Doc> {
    let mut live: Vec<&Doc> =
        state.docs.values().filter(|d| d.status != Status::Archived && state.index.vector(&d.id).is_some()).collect();
    live.sort_by(|a, b| a.id.cmp(&b.id));
    live
}

/// The weighted terms of a process for the lexical index.
pub(super) fn doc_terms(d: &Doc, vocab: &Vocabulary) -> Terms {
    d.fields.iter().flat_map(|(text, w)| vocab.terms(text).into_iter().map(move |t| (t, *w))).collect()
}
