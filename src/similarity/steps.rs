//! Missing steps: steps most of a process's nearest neighbours have and it lacks.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use super::lexical::Grams;
use super::score::{Doc, SAME_STEP};

/// A review suggestion: "3 of 4 similar processes also have: Gebührenbescheid erstellen".
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct MissingStep {
    /// The most common wording of the step among the neighbours.
    pub step: String,
    /// How many of the neighbours have it ...
    pub found_in: usize,
    /// ... out of how many neighbours were compared.
    pub of: usize,
    /// The neighbours that have it.
    pub processes: Vec<String>,
    /// Every wording seen.
    pub wordings: Vec<String>,
}

struct Group {
    grams: Grams,
    wordings: Vec<String>,
    processes: BTreeSet<String>,
}

/// Steps that a strict majority (and at least two) of `neighbours` share and `doc` lacks.
pub fn missing_steps(doc: &Doc, neighbours: &[&Doc]) -> Vec<MissingStep> {
    if neighbours.len() < 2 {
        return Vec::new();
    }
    let mut groups: Vec<Group> = Vec::new();
    for n in neighbours {
        for (name, grams) in n.steps.iter().filter(|(_, g)| !doc.has_step(g)) {
            match groups.iter_mut().find(|g| g.grams.cosine(grams) >= SAME_STEP) {
                Some(group) => {
                    group.wordings.push(name.clone());
                    group.processes.insert(n.id.clone());
                }
                None => groups.push(Group {
                    grams: grams.clone(),
                    wordings: vec![name.clone()],
                    processes: BTreeSet::from([n.id.clone()]),
                }),
            }
        }
    }
    let mut out: Vec<MissingStep> = groups
        .into_iter()
        .filter(|g| g.processes.len() >= 2 && g.processes.len() * 2 > neighbours.len())
        .map(|g| MissingStep {
            step: most_common(&g.wordings),
            found_in: g.processes.len(),
            of: neighbours.len(),
            processes: g.processes.into_iter().collect(),
            wordings: g.wordings.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect(),
        })
        .collect();
    out.sort_by(|a, b| b.found_in.cmp(&a.found_in).then_with(|| a.step.cmp(&b.step)));
    out
}

fn most_common(wordings: &[String]) -> String {
    let count = |w: &String| wordings.iter().filter(|x| *x == w).count();
    wordings.iter().max_by(|a, b| count(a).cmp(&count(b)).then_with(|| b.cmp(a))).cloned().unwrap_or_default()
}
