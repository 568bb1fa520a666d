//! Reads untrusted XML into a small element tree, with limits.
//!
//! Defences: the input size is capped before parsing; DTDs are refused outright (so no
//! entity can be declared, let alone expanded: billion laughs has nothing to work with);
//! only the five predefined entities and character references are resolved; nesting depth
//! and element count are capped; elements outside the BPMN namespace are counted but not
//! kept. Memory is therefore bounded by a small multiple of the input size.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::{BPMN_NS, ImportError};

/// Largest document accepted (the biggest MIWG reference file has 240 KB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Deepest element nesting accepted (real BPMN stays below 20 levels).
pub const MAX_DEPTH: usize = 100;
/// Most elements accepted in one document.
pub const MAX_ELEMENTS: usize = 500_000;

/// An element of the BPMN namespace; elements of other namespaces are not kept.
#[derive(Debug, Clone)]
pub struct Element {
    pub name: String,
    /// Attributes without a namespace prefix, by local name.
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Element>,
    /// Character data directly inside the element.
    pub text: String,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn is(&self, name: &str) -> bool {
        self.name == name
    }

    /// Children with the given local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(name))
    }
}

pub struct Document {
    pub root: Element,
    /// Elements in namespaces other than BPMN and its diagram interchange (vendor extensions).
    pub foreign_elements: usize,
}

const DIAGRAM_NAMESPACES: [&str; 3] = [super::BPMNDI_NS, super::DC_NS, super::DI_NS];

pub fn parse(bytes: &[u8]) -> Result<Document, ImportError> {
    if bytes.len() > MAX_BYTES {
        return Err(ImportError::TooLarge { size: bytes.len(), limit: MAX_BYTES });
    }
    let text = decode(bytes)?;
    let mut reader = NsReader::from_str(&text);
    reader.config_mut().expand_empty_elements = true;
    let malformed = |reader: &NsReader<&[u8]>, message: String| {
        let at = reader.buffer_position() as usize;
        let (line, column) = line_column(&text, at);
        ImportError::Malformed { line, column, message }
    };
    let mut stack: Vec<Element> = Vec::new();
    // Depth of the foreign subtree we are skipping inside, if any.
    let mut skipping = 0usize;
    let mut elements = 0usize;
    let mut foreign = 0usize;
    let mut root = None;
    loop {
        let read = reader.read_resolved_event().map(|(ns, event)| (namespace_of(ns), event));
        let (namespace, event) = match read {
            Ok(ok) => ok,
            Err(e) => {
                let message = e.to_string();
                return Err(malformed(&reader, message));
            }
        };
        match event {
            Event::Start(start) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(ImportError::TooManyElements { limit: MAX_ELEMENTS });
                }
                if stack.len() + skipping >= MAX_DEPTH {
                    return Err(ImportError::TooDeep { limit: MAX_DEPTH });
                }
                let namespace = namespace
                    .map_err(|prefix| malformed(&reader, format!("undeclared namespace prefix {prefix:?}")))?;
                let local = start.local_name().as_ref().to_owned();
                if stack.is_empty() && skipping == 0 {
                    if root.is_some() {
                        return Err(malformed(&reader, "more than one root element".into()));
                    }
                    if namespace != BPMN_NS || local != "definitions" {
                        return Err(ImportError::NotBpmn { namespace, element: local });
                    }
                }
                if skipping > 0 || namespace != BPMN_NS {
                    if !DIAGRAM_NAMESPACES.contains(&namespace.as_str()) {
                        foreign += 1;
                    }
                    skipping += 1;
                    continue;
                }
                let attrs = attributes(&reader, &start).map_err(|m| malformed(&reader, m))?;
                stack.push(Element { name: local, attrs, children: Vec::new(), text: String::new() });
            }
            Event::End(_) => {
                if skipping > 0 {
                    skipping -= 1;
                    continue;
                }
                let Some(done) = stack.pop() else { continue };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => {
                if skipping == 0
                    && let Some(top) = stack.last_mut()
                {
                    top.text.push_str(&t.xml10_content());
                }
            }
            Event::CData(c) => {
                if skipping == 0
                    && let Some(top) = stack.last_mut()
                {
                    top.text.push_str(&c.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.as_ref().to_owned();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(v) => v.to_owned(),
                            None => return Err(ImportError::UndefinedEntity(name)),
                        }
                    }
                    Err(e) => return Err(malformed(&reader, e.to_string())),
                };
                if skipping == 0
                    && let Some(top) = stack.last_mut()
                {
                    top.text.push_str(&resolved);
                }
            }
            Event::DocType(_) => return Err(ImportError::Dtd),
            Event::Eof => break,
            Event::Empty(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(ImportError::Truncated { open: open.name.clone() });
    }
    if skipping > 0 {
        return Err(ImportError::Truncated { open: "an extension element".into() });
    }
    let root = root.ok_or(ImportError::Empty)?;
    Ok(Document { root, foreign_elements: foreign })
}

/// The namespace of an element, or the undeclared prefix it uses.
fn namespace_of(ns: ResolveResult) -> Result<String, String> {
    match ns {
        ResolveResult::Bound(n) => Ok(n.as_ref().to_owned()),
        ResolveResult::Unbound => Ok(String::new()),
        ResolveResult::Unknown(prefix) => Err(prefix),
    }
}

fn attributes(reader: &NsReader<&[u8]>, start: &BytesStart) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| e.to_string())?;
        let (ns, local) = reader.resolver().resolve_attribute(attr.key);
        if !matches!(ns, ResolveResult::Unbound) || attr.key.as_namespace_binding().is_some() {
            continue;
        }
        let value = attr.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| e.to_string())?;
        out.push((local.as_ref().to_owned(), value.into_owned()));
    }
    Ok(out)
}

/// UTF-8 (with or without byte order mark), or ISO-8859-1 when the declaration says so.
fn decode(bytes: &[u8]) -> Result<String, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.to_owned()),
        Err(e) => {
            let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
            let declared = head.split("?>").next().unwrap_or("");
            if ["iso-8859-1", "latin1", "latin-1", "windows-1252"].iter().any(|enc| declared.contains(enc)) {
                Ok(bytes.iter().map(|&b| b as char).collect())
            } else {
                Err(ImportError::Encoding { at: e.valid_up_to() })
            }
        }
    }
}

fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..at.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let column = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, column)
}
