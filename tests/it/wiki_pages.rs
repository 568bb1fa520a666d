//! Wiki pages (Markdown and HTML with the diagram as inline SVG) from the library, the CLI
//! (file and stored process) and the HTTP API.

use crate::common;

use std::process::Command;

use ablauf::page::{self, Revision};
use ablauf::process::Process;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

fn fixture() -> Process {
    serde_json::from_value(common::fixture_json()).unwrap()
}

/// The inline SVG of a page, checked to be well-formed XML; returns its text content.
fn svg_text(page: &str) -> String {
    let start = page.find("<svg").expect("the page embeds an SVG");
    let end = page.find("</svg>").expect("the SVG is closed") + "</svg>".len();
    let mut reader = Reader::from_str(&page[start..end]);
    let mut text = String::new();
    loop {
        match reader.read_event().expect("the SVG is well-formed") {
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                text.push_str(quick_xml::escape::resolve_predefined_entity(&name).unwrap_or("?"))
            }
            Event::Eof => break,
            _ => {}
        }
    }
    text
}

#[test]
fn markdown_page_holds_every_section_and_spells_out_the_branches() {
    let p = fixture();
    let md = page::markdown(&p, None);
    assert!(md.starts_with("# Anwohnerparkausweis ausstellen\n"));
    for expected in [
        "Bewohnerinnen und Bewohner einer Parkzone",
        "- **Auslöser:** Antrag über das Online-Formular oder im Bürgerbüro",
        "- **Ergebnis:** Parkausweis ausgestellt",
        "## Beteiligte",
        "- Sachbearbeitung Straßenverkehr (32.3 Straßenverkehrsbehörde)",
        "3. **Wohnsitz in der Parkzone? (Entscheidung, Sachbearbeitung Straßenverkehr)**",
        "    - Wenn „ja“: weiter mit Schritt 4 (Gebührenbescheid erstellen)",
        "    - Wenn „nein“: weiter mit Schritt 7 (Ablehnungsbescheid versenden)",
        "    - IT-Systeme: OK.EWO",
        "    - Dauer: 1 Tag",
        "6. **Parkausweis drucken \\& versenden (Aufgabe, Sachbearbeitung Straßenverkehr)**",
        "## Dokumente",
        "## IT-Systeme",
        "## Rechtsgrundlagen",
        "- § 45 Abs. 1b Nr. 2a StVO",
        "- **LeiKa-Schlüssel:** 99058014261000",
        "- **Kritikalität:** mittel",
        "- **Schutzbedarf:** Vertraulichkeit hoch, Integrität normal, Verfügbarkeit normal",
    ] {
        assert!(md.contains(expected), "missing {expected:?} in\n{md}");
    }
    assert!(!md.contains("**Version:**"), "a process from a file has no version");
    let svg = svg_text(&md);
    for step in &p.steps {
        for word in step.name.split_whitespace() {
            assert!(svg.contains(word), "the diagram does not show {word:?}");
        }
    }
}

#[test]
fn html_page_is_standalone_escaped_and_shows_the_revision() {
    let mut p = fixture();
    p.title = "Parken <script>alert(1)</script> & Co".into();
    let revision = Revision {
        id: "abc".into(),
        version: 3,
        status: "published".into(),
        updated_at: "2025-01-02T03:04:05Z".into(),
        author: "Frau Müller".into(),
    };
    let html = page::html(&p, Some(&revision));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script"), "no script, not even an injected one");
    assert!(html.contains("<h1>Parken &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co</h1>"));
    assert!(html.contains("<dt>Version</dt><dd>3</dd>"));
    assert!(html.contains("<dt>Letzte Änderung</dt><dd>2025-01-02T03:04:05Z (Frau Müller)</dd>"));
    assert!(
        html.contains("<li><strong>Wohnsitz in der Parkzone? (Entscheidung, Sachbearbeitung Straßenverkehr)</strong>")
    );
    assert!(svg_text(&html).contains("Zahlungseingang"));
}

#[test]
fn cli_writes_pages_for_files_and_stored_processes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(&file, common::fixture_json().to_string()).unwrap();
    let run = |args: &[&str]| Command::new(common::BIN).arg("--data-dir").arg(dir.path()).args(args).output().unwrap();
    let out = run(&["export", "--file", file.to_str().unwrap(), "--format", "md"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("## Ablauf"));

    let out = run(&["add", "--file", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["id"].as_str().unwrap().to_owned();
    let page = dir.path().join("page.html");
    let out = run(&["export", "--id", &id, "--format", "html", "--out", page.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<dt>Version</dt><dd>1</dd>"));
    assert!(html.contains("<dt>Status</dt><dd>draft</dd>"));

    let out = run(&["export", "--id", &id, "--format", "bpmn"]);
    assert!(out.status.success());
    assert!(String::from_utf8(out.stdout).unwrap().contains("<bpmn:definitions"));

    let out = run(&["export", "--file", "/does/not/exist.json"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["export", "--id", "nope"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn http_serves_bpmn_and_pages_of_stored_versions() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(dir.path());
    let (status, created) = common::post(&server.url("/api/processes"), &common::fixture_json());
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let mut changed = common::fixture_json();
    changed["title"] = "Anwohnerparkausweis verlängern".into();
    let body = serde_json::json!({ "expected_version": 1, "process": changed, "reason": "Titel" });
    assert_eq!(common::put(&server.url(&format!("/api/processes/{id}")), &body).0, 200);

    let agent = common::agent();
    let get = |path: &str| {
        let mut resp = agent.get(&server.url(path)).header("authorization", common::ADMIN).call().unwrap();
        let status = resp.status().as_u16();
        let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        (status, ct, resp.body_mut().read_to_string().unwrap())
    };
    let (status, ct, xml) = get(&format!("/api/processes/{id}/bpmn"));
    assert_eq!((status, ct.as_str()), (200, "application/xml; charset=utf-8"));
    assert!(xml.contains("name=\"Anwohnerparkausweis verlängern\""));
    let (_, _, old) = get(&format!("/api/processes/{id}/bpmn?version=1"));
    assert!(old.contains("name=\"Anwohnerparkausweis ausstellen\""));

    let (status, ct, html) = get(&format!("/api/processes/{id}/page?format=html"));
    assert_eq!((status, ct.as_str()), (200, "text/html; charset=utf-8"));
    assert!(html.contains("<dt>Version</dt><dd>2</dd>"));
    let (status, ct, md) = get(&format!("/api/processes/{id}/page?format=md&version=1"));
    assert_eq!((status, ct.as_str()), (200, "text/markdown; charset=utf-8"));
    assert!(md.contains("- **Version:** 1"));

    let (status, _, body) = get(&format!("/api/processes/{id}/page?format=pdf"));
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = get("/api/processes/unknown/bpmn");
    assert_eq!(status, 404, "{body}");
}
