//! Draws a layout as a standalone SVG, the way bpmn-js would draw the exported diagram,
//! so wiki pages show the process without JavaScript.

use std::fmt::Write;

use super::layout::{self, Layout, Point, Rect, Shape};
use super::{NO_ROLE_LANE, text};
use crate::process::{Process, StepType};

const STROKE: &str = "#22242a";
const FONT: &str = "Arial, Helvetica, sans-serif";

/// The process diagram as an SVG document.
pub fn render(process: &Process) -> String {
    draw(process, &layout::layout(process))
}

/// Draws an already computed layout of `process`.
pub fn draw(p: &Process, l: &Layout) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="{FONT}" role="img" aria-label="{title}">"#,
        w = l.width,
        h = l.height,
        title = escape(&p.title),
    );
    s.push_str(concat!(
        r##"<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">"##,
        r##"<path d="M0,0 L10,5 L0,10 z" fill="#22242a"/></marker>"##,
        r##"<marker id="open-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto">"##,
        r##"<path d="M0,0 L10,5 L0,10" fill="none" stroke="#22242a"/></marker></defs>"##,
    ));
    let _ = write!(s, r#"<rect width="{}" height="{}" fill="white"/>"#, l.width, l.height);

    pool(&mut s, &l.pool, &p.title);
    for lane in &l.lanes {
        let name = lane.role.map_or(NO_ROLE_LANE, |r| p.roles[r].name.as_str());
        pool(&mut s, &lane.bounds, name);
    }
    for edge in &l.edges {
        polyline(&mut s, &edge.points, "arrow", None);
        if let (Some(label), Some(cond)) = (&edge.label, p.steps[edge.from].next[edge.flow].condition.as_deref()) {
            external_label(&mut s, label, cond);
        }
    }
    for doc in &l.docs {
        polyline(&mut s, &doc.points, "open-arrow", Some("4 3"));
        document(&mut s, &doc.bounds);
        external_label(&mut s, &doc.label, &doc.document);
    }
    for (step, node) in p.steps.iter().zip(&l.nodes) {
        let b = &node.bounds;
        match Shape::of(step.kind) {
            Shape::Event => {
                let width = if step.kind == StepType::End { 4 } else { 2 };
                let _ = write!(
                    s,
                    r#"<circle cx="{}" cy="{}" r="{}" fill="white" stroke="{STROKE}" stroke-width="{width}"/>"#,
                    b.cx(),
                    b.cy(),
                    b.w / 2.0
                );
            }
            Shape::Gateway => {
                let _ = write!(
                    s,
                    r#"<path d="M{},{} L{},{} L{},{} L{},{} z" fill="white" stroke="{STROKE}" stroke-width="2"/>"#,
                    b.cx(),
                    b.y,
                    b.right(),
                    b.cy(),
                    b.cx(),
                    b.bottom(),
                    b.x,
                    b.cy()
                );
                let (cx, cy, r) = (b.cx(), b.cy(), b.w / 5.0);
                let mark = if step.kind == StepType::Decision {
                    format!(
                        "M{},{} L{},{} M{},{} L{},{}",
                        cx - r,
                        cy - r,
                        cx + r,
                        cy + r,
                        cx + r,
                        cy - r,
                        cx - r,
                        cy + r
                    )
                } else {
                    format!(
                        "M{},{} L{},{} M{},{} L{},{}",
                        cx,
                        cy - r * 1.3,
                        cx,
                        cy + r * 1.3,
                        cx - r * 1.3,
                        cy,
                        cx + r * 1.3,
                        cy
                    )
                };
                let _ = write!(s, r#"<path d="{mark}" stroke="{STROKE}" stroke-width="4"/>"#);
            }
            Shape::Task => {
                let _ = write!(
                    s,
                    r#"<rect x="{}" y="{}" width="{}" height="{}" rx="10" fill="white" stroke="{STROKE}" stroke-width="2"/>"#,
                    b.x, b.y, b.w, b.h
                );
                let lines = text::wrap(&step.name, text::INNER_FONT, b.w - 2.0 * layout::TASK_PADDING);
                centered_lines(&mut s, &lines, b.cx(), b.cy(), text::INNER_FONT);
            }
        }
        if let (Some(label), false) = (&node.label, step.name.trim().is_empty()) {
            external_label(&mut s, label, &step.name);
        }
    }
    s.push_str("</svg>");
    s
}

/// A pool or lane: its frame and its name written upwards in the header strip.
fn pool(s: &mut String, r: &Rect, name: &str) {
    let _ = write!(
        s,
        r#"<rect x="{}" y="{}" width="{}" height="{}" fill="none" stroke="{STROKE}" stroke-width="1.5"/>"#,
        r.x, r.y, r.w, r.h
    );
    let _ = write!(
        s,
        r#"<line x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="{STROKE}" stroke-width="1.5"/>"#,
        r.y,
        r.bottom(),
        x = r.x + 30.0
    );
    let lines = text::wrap(name, text::INNER_FONT, r.h - 10.0);
    let (cx, cy) = (r.x + 15.0, r.cy());
    let _ = write!(s, r#"<g transform="rotate(-90 {cx} {cy})">"#);
    centered_lines(s, &lines, cx, cy, text::INNER_FONT);
    s.push_str("</g>");
}

fn document(s: &mut String, b: &Rect) {
    let fold = 10.0;
    let _ = write!(
        s,
        r#"<path d="M{x},{y} L{xf},{y} L{r},{yf} L{r},{bt} L{x},{bt} z M{xf},{y} L{xf},{yf} L{r},{yf}" fill="white" stroke="{STROKE}" stroke-width="1.5"/>"#,
        x = b.x,
        y = b.y,
        xf = b.right() - fold,
        r = b.right(),
        yf = b.y + fold,
        bt = b.bottom()
    );
}

fn polyline(s: &mut String, points: &[Point], marker: &str, dash: Option<&str>) {
    let pts: Vec<String> = points.iter().map(|p| format!("{},{}", p.x, p.y)).collect();
    let dash = dash.map(|d| format!(r#" stroke-dasharray="{d}""#)).unwrap_or_default();
    let _ = write!(
        s,
        r#"<polyline points="{}" fill="none" stroke="{STROKE}" stroke-width="1.5"{dash} marker-end="url(#{marker})"/>"#,
        pts.join(" ")
    );
}

/// A label outside its shape, centred in its box and wrapped like bpmn-js does.
fn external_label(s: &mut String, r: &Rect, label: &str) {
    let lines = text::wrap(label, text::LABEL_FONT, r.w);
    centered_lines(s, &lines, r.cx(), r.cy(), text::LABEL_FONT);
}

fn centered_lines(s: &mut String, lines: &[String], cx: f64, cy: f64, font: f64) {
    let lh = text::line_height(font);
    let top = cy - lh * lines.len() as f64 / 2.0;
    let _ = write!(s, r#"<text font-size="{font}" text-anchor="middle" fill="{STROKE}">"#);
    for (i, line) in lines.iter().enumerate() {
        // Baseline sits about 0.8 em below the top of its line box.
        let y = top + lh * i as f64 + font * 0.95;
        let _ = write!(s, r#"<tspan x="{cx}" y="{y:.1}">{}</tspan>"#, escape(line));
    }
    s.push_str("</text>");
}

/// Escapes text for SVG/HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c < ' ' && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
