//! Wiki pages for a process: Markdown and standalone HTML, with the diagram as inline SVG
//! drawn by ablauf itself, so the page needs no JavaScript and no image files.

use std::fmt::Write;

use crate::bpmn::svg::{self, escape};
use crate::process::{Process, Step, StepType};
use crate::store::StoredProcess;

/// Where a stored process stands; shown in the page's metadata. A process read from a
/// file has none.
#[derive(Debug, Clone)]
pub struct Revision {
    pub id: String,
    pub version: u32,
    pub status: String,
    pub updated_at: String,
    pub author: String,
}

impl From<&StoredProcess> for Revision {
    fn from(s: &StoredProcess) -> Self {
        Revision {
            id: s.id.clone(),
            version: s.version,
            status: s.status.as_str().to_owned(),
            updated_at: s.updated_at.clone(),
            author: s.author.clone(),
        }
    }
}

/// One block of the page, rendered to Markdown or HTML.
enum Block {
    Heading(String),
    Paragraph(String),
    /// Term and value pairs.
    Facts(Vec<(String, String)>),
    List(Vec<String>),
    Steps(Vec<StepEntry>),
    Diagram(String),
}

struct StepEntry {
    title: String,
    details: Vec<String>,
}

pub fn markdown(p: &Process, revision: Option<&Revision>) -> String {
    let mut out = format!("# {}\n\n", md(&p.title));
    for block in blocks(p, revision) {
        match block {
            Block::Heading(h) => {
                let _ = write!(out, "## {}\n\n", md(&h));
            }
            Block::Paragraph(t) => {
                let _ = write!(out, "{}\n\n", md(&t));
            }
            Block::Facts(facts) => {
                for (k, v) in facts {
                    let _ = writeln!(out, "- **{}:** {}", md(&k), md(&v));
                }
                out.push('\n');
            }
            Block::List(items) => {
                for item in items {
                    let _ = writeln!(out, "- {}", md(&item));
                }
                out.push('\n');
            }
            Block::Steps(steps) => {
                for (i, s) in steps.iter().enumerate() {
                    let _ = writeln!(out, "{}. **{}**", i + 1, md(&s.title));
                    for d in &s.details {
                        let _ = writeln!(out, "    - {}", md(d));
                    }
                }
                out.push('\n');
            }
            // An HTML block: wikis that render Markdown with HTML show it as is.
            Block::Diagram(svg) => {
                let _ = write!(out, "<div class=\"ablauf-diagram\">{svg}</div>\n\n");
            }
        }
    }
    out
}

pub fn html(p: &Process, revision: Option<&Revision>) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        concat!(
            "<!DOCTYPE html>\n<html lang=\"de\">\n<head>\n<meta charset=\"utf-8\">\n",
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n",
            "<style>body{{font-family:Arial,Helvetica,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;",
            "color:#22242a;line-height:1.45}}h1{{font-size:1.7rem}}h2{{font-size:1.25rem;margin-top:2rem;",
            "border-bottom:1px solid #ccc}}dl{{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}}",
            "dt{{font-weight:bold}}dd{{margin:0}}.diagram{{overflow-x:auto;border:1px solid #ddd;padding:.5rem}}",
            "ol li{{margin-bottom:.6rem}}ol ul{{margin:.2rem 0;color:#444}}</style>\n</head>\n<body>\n<h1>{title}</h1>\n"
        ),
        title = escape(&p.title)
    );
    for block in blocks(p, revision) {
        match block {
            Block::Heading(h) => {
                let _ = writeln!(out, "<h2>{}</h2>", escape(&h));
            }
            Block::Paragraph(t) => {
                let _ = writeln!(out, "<p>{}</p>", escape(&t).replace('\n', "<br>"));
            }
            Block::Facts(facts) => {
                out.push_str("<dl>\n");
                for (k, v) in facts {
                    let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(&k), escape(&v));
                }
                out.push_str("</dl>\n");
            }
            Block::List(items) => {
                out.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(out, "<li>{}</li>", escape(&item));
                }
                out.push_str("</ul>\n");
            }
            Block::Steps(steps) => {
                out.push_str("<ol>\n");
                for s in steps {
                    let _ = write!(out, "<li><strong>{}</strong>", escape(&s.title));
                    if !s.details.is_empty() {
                        out.push_str("<ul>");
                        for d in &s.details {
                            let _ = write!(out, "<li>{}</li>", escape(d));
                        }
                        out.push_str("</ul>");
                    }
                    out.push_str("</li>\n");
                }
                out.push_str("</ol>\n");
            }
            Block::Diagram(svg) => {
                let _ = writeln!(out, "<figure class=\"diagram\">{svg}</figure>");
            }
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn blocks(p: &Process, revision: Option<&Revision>) -> Vec<Block> {
    let mut out = Vec::new();
    if !p.summary.trim().is_empty() {
        out.push(Block::Paragraph(p.summary.clone()));
    }
    let mut facts = Vec::new();
    if !p.trigger.trim().is_empty() {
        facts.push(("Auslöser".to_owned(), p.trigger.clone()));
    }
    if !p.outcome.trim().is_empty() {
        facts.push(("Ergebnis".to_owned(), p.outcome.clone()));
    }
    if !facts.is_empty() {
        out.push(Block::Facts(facts));
    }
    out.push(Block::Heading("Ablaufdiagramm".into()));
    out.push(Block::Diagram(svg::render(p)));
    if !p.roles.is_empty() {
        out.push(Block::Heading("Beteiligte".into()));
        let roles = p
            .roles
            .iter()
            .map(|r| match &r.unit {
                Some(unit) => format!("{} ({unit})", r.name),
                None => r.name.clone(),
            })
            .collect();
        out.push(Block::List(roles));
    }
    out.push(Block::Heading("Ablauf".into()));
    out.push(Block::Steps(p.steps.iter().map(|s| step_entry(p, s)).collect()));
    for (heading, items) in
        [("Dokumente", &p.documents), ("IT-Systeme", &p.systems), ("Rechtsgrundlagen", &p.legal_basis)]
    {
        if !items.is_empty() {
            out.push(Block::Heading(heading.into()));
            out.push(Block::List(items.clone()));
        }
    }
    out.push(Block::Heading("Metadaten".into()));
    out.push(Block::Facts(metadata(p, revision)));
    out
}

fn metadata(p: &Process, revision: Option<&Revision>) -> Vec<(String, String)> {
    let m = &p.meta;
    let mut facts = Vec::new();
    let mut fact = |k: &str, v: String| facts.push((k.to_owned(), v));
    fact("LeiKa-Schlüssel", m.leika_key.clone().unwrap_or_else(|| "nicht zugeordnet".into()));
    if let Some(owner) = &m.owner_unit {
        fact("Federführung", owner.clone());
    }
    fact("Kritikalität", m.criticality.map_or("nicht bewertet", crate::bpmn::criticality_name).to_owned());
    let need = m.protection_need.map_or_else(
        || "nicht bewertet".to_owned(),
        |n| {
            let l = crate::bpmn::level_name;
            format!(
                "Vertraulichkeit {}, Integrität {}, Verfügbarkeit {}",
                l(n.confidentiality),
                l(n.integrity),
                l(n.availability)
            )
        },
    );
    fact("Schutzbedarf", need);
    if !m.tags.is_empty() {
        fact("Schlagworte", m.tags.join(", "));
    }
    if let Some(r) = revision {
        fact("Kennung", r.id.clone());
        fact("Version", r.version.to_string());
        fact("Status", r.status.clone());
        fact("Letzte Änderung", format!("{} ({})", r.updated_at, r.author));
    }
    facts
}

fn kind_name(kind: StepType) -> &'static str {
    match kind {
        StepType::Start => "Start",
        StepType::Task => "Aufgabe",
        StepType::Decision => "Entscheidung",
        StepType::Parallel => "Parallelverzweigung",
        StepType::End => "Ende",
    }
}

fn step_entry(p: &Process, s: &Step) -> StepEntry {
    let name = if s.name.trim().is_empty() { kind_name(s.kind).to_owned() } else { s.name.clone() };
    let role = s.role.as_deref().and_then(|r| p.role(r)).map(|r| format!(", {}", r.name)).unwrap_or_default();
    let title = format!("{name} ({}{role})", kind_name(s.kind));
    let mut details = Vec::new();
    if let Some(d) = s.description.as_deref().filter(|d| !d.trim().is_empty()) {
        details.push(d.to_owned());
    }
    for (label, items) in [("Eingaben", &s.inputs), ("Ergebnisse", &s.outputs), ("IT-Systeme", &s.systems)] {
        if !items.is_empty() {
            details.push(format!("{label}: {}", items.join(", ")));
        }
    }
    if let Some(d) = &s.duration {
        details.push(format!("Dauer: {d}"));
    }
    let target = |to: &str| match p.steps.iter().position(|t| t.id == to) {
        Some(i) => {
            let t = &p.steps[i];
            let name = if t.name.trim().is_empty() { kind_name(t.kind) } else { t.name.as_str() };
            format!("Schritt {} ({name})", i + 1)
        }
        None => format!("unbekannter Schritt {to:?}"),
    };
    match (s.kind, s.next.as_slice()) {
        (StepType::End, _) | (_, []) => details.push("Hier endet der Ablauf.".into()),
        (StepType::Parallel, next) if next.len() > 1 => {
            let all: Vec<String> = next.iter().map(|f| target(&f.to)).collect();
            details.push(format!("Gleichzeitig weiter mit {}", all.join(" und ")));
        }
        (_, next) => {
            for f in next {
                match f.condition.as_deref().filter(|c| !c.trim().is_empty()) {
                    Some(c) => details.push(format!("Wenn „{c}“: weiter mit {}", target(&f.to))),
                    None if next.len() > 1 && s.kind == StepType::Decision => {
                        details.push(format!("Andernfalls: weiter mit {}", target(&f.to)))
                    }
                    None => details.push(format!("Weiter mit {}", target(&f.to))),
                }
            }
        }
    }
    StepEntry { title, details }
}

/// Escapes text for Markdown: punctuation that could start markup gets a backslash, and
/// line breaks inside an item become spaces.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '&' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
