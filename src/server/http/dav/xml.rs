//! The XML of WebDAV bodies, both ways. Requests are parsed defensively into a small tree: a
//! body is at most [`MAX_BODY`] bytes (read before parsing), at most [`MAX_DEPTH`] elements
//! deep, names are resolved by namespace URI (never by prefix), and a DTD is refused, so no
//! entity is ever expanded (only the five predefined ones and character references are read).
//! Responses are written as text with [`escape`]d values.

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::error::{Error, ErrorKind};

/// The WebDAV namespace.
pub const DAV: &str = "DAV:";

/// The longest request body read for PROPFIND, PROPPATCH and LOCK.
pub const MAX_BODY: u64 = 256 * 1024;

/// The deepest nesting of elements accepted.
const MAX_DEPTH: usize = 32;

/// One element: its namespace URI (empty: none), local name and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elem {
    pub ns: String,
    pub name: String,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Elem(Elem),
    Text(String),
}

impl Elem {
    /// True when this is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The child elements.
    pub fn elems(&self) -> impl Iterator<Item = &Elem> {
        self.children.iter().filter_map(|n| match n {
            Node::Elem(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `{DAV:}name`.
    pub fn dav_child(&self, name: &str) -> Option<&Elem> {
        self.elems().find(|e| e.is(DAV, name))
    }

    /// The text inside, all of it, trimmed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out.trim().to_string()
    }

    fn collect_text(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(t),
                Node::Elem(e) => e.collect_text(out),
            }
        }
    }

    /// The element as XML that stands on its own (each element declares its namespace).
    pub fn write(&self, out: &mut String) {
        out.push('<');
        out.push_str(&self.name);
        out.push_str(" xmlns=\"");
        out.push_str(&escape(&self.ns));
        out.push('"');
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        self.write_content(out);
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }

    /// The element's content as XML.
    pub fn write_content(&self, out: &mut String) {
        for node in &self.children {
            match node {
                Node::Text(t) => out.push_str(&escape(t)),
                Node::Elem(e) => e.write(out),
            }
        }
    }
}

/// Text with `& < > "` escaped, for element content and attribute values.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.contains(['&', '<', '>', '"']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn bad(why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Protocol,
        format!("the request's XML body is not well-formed: {why}"),
    )
}

/// Parses a whole document into its root element.
pub fn parse(body: &[u8]) -> Result<Elem, Error> {
    let mut reader = NsReader::from_reader(body);
    let mut buf = Vec::new();
    let mut open: Vec<Elem> = Vec::new();
    let mut root = None;
    loop {
        let (ns, event) = reader.read_resolved_event_into(&mut buf).map_err(bad)?;
        let ns = match ns {
            ResolveResult::Bound(ns) => String::from_utf8(ns.as_ref().to_vec()).map_err(bad)?,
            ResolveResult::Unbound => String::new(),
            ResolveResult::Unknown(p) => {
                return Err(bad(format!(
                    "the prefix {:?} is not declared",
                    String::from_utf8_lossy(&p)
                )))
            }
        };
        match event {
            Event::Start(e) | Event::Empty(e) if root.is_some() => {
                let _ = e;
                return Err(bad("more than one root element"));
            }
            Event::Start(e) => {
                no_empty_prefix(&e)?;
                if open.len() >= MAX_DEPTH {
                    return Err(bad(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).map_err(bad)?;
                open.push(Elem {
                    ns,
                    name,
                    children: Vec::new(),
                });
            }
            Event::Empty(e) => {
                no_empty_prefix(&e)?;
                let name = String::from_utf8(e.local_name().as_ref().to_vec()).map_err(bad)?;
                let elem = Elem {
                    ns,
                    name,
                    children: Vec::new(),
                };
                match open.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(elem)),
                    None => root = Some(elem),
                }
            }
            Event::End(_) => {
                let elem = open.pop().ok_or_else(|| bad("an end tag without a start"))?;
                match open.last_mut() {
                    Some(parent) => parent.children.push(Node::Elem(elem)),
                    None => root = Some(elem),
                }
            }
            Event::Text(t) => push_text(&mut open, &t.decode().map_err(bad)?)?,
            Event::CData(t) => push_text(&mut open, &t.decode().map_err(bad)?)?,
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().map_err(bad)? {
                    Some(c) => c.to_string(),
                    None => match &r[..] {
                        b"amp" => "&".into(),
                        b"lt" => "<".into(),
                        b"gt" => ">".into(),
                        b"quot" => "\"".into(),
                        b"apos" => "'".into(),
                        other => return Err(bad(format!("the entity &{};", String::from_utf8_lossy(other)))),
                    },
                };
                push_text(&mut open, &text)?;
            }
            Event::DocType(_) => return Err(bad("a DTD is not accepted")),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    match (root, open.is_empty()) {
        (Some(root), true) => Ok(root),
        _ => Err(bad("the document ends before its root element does")),
    }
}

/// Refuses `xmlns:p=""`, which XML 1.0's namespaces do not allow.
fn no_empty_prefix(e: &quick_xml::events::BytesStart<'_>) -> Result<(), Error> {
    for attr in e.attributes() {
        let attr = attr.map_err(bad)?;
        if attr.key.as_ref().starts_with(b"xmlns:") && attr.value.is_empty() {
            return Err(bad("a namespace prefix bound to the empty name"));
        }
    }
    Ok(())
}

/// Adds text to the element being read (whitespace outside the root is allowed).
fn push_text(open: &mut [Elem], text: &str) -> Result<(), Error> {
    match open.last_mut() {
        Some(elem) => {
            match elem.children.last_mut() {
                Some(Node::Text(t)) => t.push_str(text),
                _ => elem.children.push(Node::Text(text.to_string())),
            }
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(bad("text outside the root element")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_by_uri_and_entities_are_not_expanded() {
        let doc = br#"<?xml version="1.0"?>
            <x:propfind xmlns:x="DAV:"><x:prop><y:a xmlns:y="urn:z">1 &amp; &#x32;</y:a><b/></x:prop></x:propfind>"#;
        let root = parse(doc).unwrap();
        assert!(root.is(DAV, "propfind"));
        let prop = root.dav_child("prop").unwrap();
        let names: Vec<_> = prop.elems().map(|e| (e.ns.as_str(), e.name.as_str())).collect();
        assert_eq!(names, [("urn:z", "a"), ("", "b")]);
        assert_eq!(prop.elems().next().unwrap().text(), "1 & 2");
        let mut out = String::new();
        prop.write_content(&mut out);
        assert_eq!(out, "<a xmlns=\"urn:z\">1 &amp; 2</a><b xmlns=\"\"/>");
        let bomb = br#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
        assert!(parse(bomb).is_err());
        assert!(parse(b"<x><y></x>").is_err());
        assert!(parse(b"<p:x/>").is_err());
        assert!(parse(b"").is_err());
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert!(parse(deep.as_bytes()).is_err());
    }
}
