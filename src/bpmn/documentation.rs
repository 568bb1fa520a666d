//! How process fields that BPMN has no attribute for travel in `documentation` elements.
//!
//! Each field is one `documentation` element of its own, written as "Prefix: value"; free
//! text (summary, description) has no prefix. The exporter writes these, the importer reads
//! them back, so a process survives export and import unchanged, and a modeling tool shows
//! readable German paragraphs.

use crate::process::{Criticality, Meta, ProtectionLevel, ProtectionNeed};

const TRIGGER: &str = "Auslöser: ";
const OUTCOME: &str = "Ergebnis: ";
const LEGAL_BASIS: &str = "Rechtsgrundlage: ";
const SYSTEM: &str = "IT-System: ";
const LEIKA: &str = "LeiKa-Schlüssel: ";
const OWNER: &str = "Federführung: ";
const CRITICALITY: &str = "Kritikalität: ";
const PROTECTION: &str = "Schutzbedarf: ";
const TAG: &str = "Schlagwort: ";
const DURATION: &str = "Dauer: ";
const UNIT: &str = "Organisationseinheit: ";

/// Process-level fields kept in the process's documentation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ProcessNotes {
    pub summary: String,
    pub trigger: String,
    pub outcome: String,
    pub legal_basis: Vec<String>,
    pub systems: Vec<String>,
    pub meta: Meta,
}

/// Step-level fields kept in a flow node's documentation.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepNotes {
    pub description: Option<String>,
    pub duration: Option<String>,
    pub systems: Vec<String>,
}

pub fn process_paragraphs(n: &ProcessNotes) -> Vec<String> {
    let mut out = Vec::new();
    push_free(&mut out, &n.summary);
    push_field(&mut out, TRIGGER, &n.trigger);
    push_field(&mut out, OUTCOME, &n.outcome);
    push_each(&mut out, LEGAL_BASIS, &n.legal_basis);
    push_each(&mut out, SYSTEM, &n.systems);
    let m = &n.meta;
    if let Some(key) = &m.leika_key {
        out.push(format!("{LEIKA}{key}"));
    }
    if let Some(owner) = &m.owner_unit {
        out.push(format!("{OWNER}{owner}"));
    }
    if let Some(c) = m.criticality {
        out.push(format!("{CRITICALITY}{}", criticality_name(c)));
    }
    if let Some(p) = m.protection_need {
        out.push(format!(
            "{PROTECTION}Vertraulichkeit {}, Integrität {}, Verfügbarkeit {}",
            level_name(p.confidentiality),
            level_name(p.integrity),
            level_name(p.availability)
        ));
    }
    push_each(&mut out, TAG, &m.tags);
    out
}

pub fn parse_process(paragraphs: &[String]) -> ProcessNotes {
    let mut n = ProcessNotes::default();
    let mut free = Vec::new();
    for p in paragraphs {
        if let Some(v) = p.strip_prefix(TRIGGER) {
            n.trigger = v.to_owned();
        } else if let Some(v) = p.strip_prefix(OUTCOME) {
            n.outcome = v.to_owned();
        } else if let Some(v) = p.strip_prefix(LEGAL_BASIS) {
            n.legal_basis.push(v.to_owned());
        } else if let Some(v) = p.strip_prefix(SYSTEM) {
            n.systems.push(v.to_owned());
        } else if let Some(v) = p.strip_prefix(LEIKA) {
            n.meta.leika_key = Some(v.to_owned());
        } else if let Some(v) = p.strip_prefix(OWNER) {
            n.meta.owner_unit = Some(v.to_owned());
        } else if let Some(c) = p.strip_prefix(CRITICALITY).and_then(parse_criticality) {
            n.meta.criticality = Some(c);
        } else if let Some(need) = p.strip_prefix(PROTECTION).and_then(parse_protection) {
            n.meta.protection_need = Some(need);
        } else if let Some(v) = p.strip_prefix(TAG) {
            n.meta.tags.push(v.to_owned());
        } else {
            free.push(p.as_str());
        }
    }
    n.summary = free.join("\n\n");
    n
}

pub fn step_paragraphs(n: &StepNotes) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = &n.description {
        push_free(&mut out, d);
    }
    if let Some(d) = &n.duration {
        out.push(format!("{DURATION}{d}"));
    }
    push_each(&mut out, SYSTEM, &n.systems);
    out
}

pub fn parse_step(paragraphs: &[String]) -> StepNotes {
    let mut n = StepNotes::default();
    let mut free = Vec::new();
    for p in paragraphs {
        if let Some(v) = p.strip_prefix(DURATION) {
            n.duration = Some(v.to_owned());
        } else if let Some(v) = p.strip_prefix(SYSTEM) {
            n.systems.push(v.to_owned());
        } else {
            free.push(p.as_str());
        }
    }
    n.description = (!free.is_empty()).then(|| free.join("\n\n"));
    n
}

pub fn unit_paragraph(unit: &str) -> String {
    format!("{UNIT}{unit}")
}

pub fn parse_unit(paragraphs: &[String]) -> Option<String> {
    paragraphs.iter().find_map(|p| p.strip_prefix(UNIT)).map(str::to_owned)
}

pub fn criticality_name(c: Criticality) -> &'static str {
    match c {
        Criticality::Niedrig => "niedrig",
        Criticality::Mittel => "mittel",
        Criticality::Hoch => "hoch",
    }
}

pub fn level_name(l: ProtectionLevel) -> &'static str {
    match l {
        ProtectionLevel::Normal => "normal",
        ProtectionLevel::Hoch => "hoch",
        ProtectionLevel::SehrHoch => "sehr hoch",
    }
}

fn parse_criticality(s: &str) -> Option<Criticality> {
    [Criticality::Niedrig, Criticality::Mittel, Criticality::Hoch].into_iter().find(|c| criticality_name(*c) == s)
}

fn parse_level(s: &str) -> Option<ProtectionLevel> {
    [ProtectionLevel::Normal, ProtectionLevel::Hoch, ProtectionLevel::SehrHoch]
        .into_iter()
        .find(|l| level_name(*l) == s)
}

fn parse_protection(s: &str) -> Option<ProtectionNeed> {
    let mut parts = s.split(", ");
    let mut level = |name: &str| parts.next()?.strip_prefix(name).and_then(parse_level);
    let need = ProtectionNeed {
        confidentiality: level("Vertraulichkeit ")?,
        integrity: level("Integrität ")?,
        availability: level("Verfügbarkeit ")?,
    };
    parts.next().is_none().then_some(need)
}

fn push_free(out: &mut Vec<String>, text: &str) {
    if !text.is_empty() {
        out.push(text.to_owned());
    }
}

fn push_field(out: &mut Vec<String>, prefix: &str, value: &str) {
    if !value.is_empty() {
        out.push(format!("{prefix}{value}"));
    }
}

fn push_each(out: &mut Vec<String>, prefix: &str, values: &[String]) {
    for v in values {
        out.push(format!("{prefix}{v}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_notes_survive_writing_and_reading() {
        let notes = ProcessNotes {
            summary: "Zeile 1\nZeile 2".into(),
            trigger: "Antrag".into(),
            outcome: "Bescheid".into(),
            legal_basis: vec!["§ 45 StVO".into(), "GebOSt".into()],
            systems: vec!["SAP".into()],
            meta: Meta {
                leika_key: Some("99058014261000".into()),
                owner_unit: Some("32 Ordnungsamt".into()),
                criticality: Some(Criticality::Hoch),
                protection_need: Some(ProtectionNeed {
                    confidentiality: ProtectionLevel::SehrHoch,
                    integrity: ProtectionLevel::Normal,
                    availability: ProtectionLevel::Hoch,
                }),
                tags: vec!["Parken".into()],
            },
        };
        assert_eq!(parse_process(&process_paragraphs(&notes)), notes);
    }

    #[test]
    fn step_notes_survive_writing_and_reading() {
        let notes = StepNotes {
            description: Some("prüfen".into()),
            duration: Some("P14D".into()),
            systems: vec!["OK.EWO".into()],
        };
        assert_eq!(parse_step(&step_paragraphs(&notes)), notes);
        assert_eq!(parse_step(&[]), StepNotes::default());
    }
}
