//! GET and HEAD of a folder: an HTML page ([`super::page`]), with `?json` (or an `Accept` that
//! asks for JSON rather than HTML) exactly the JSON `nf ls --json` prints, or with `?tar` the
//! folder as one tar archive, streamed file by file. A page is rendered from [`Entry`]s, the
//! http module's own view of a listing, so that folders in the listing are one more kind.

use super::head::{Head, Method};
use super::response::{write_head, Framing, Out};
use super::target::Target;
use super::{page, tar, Done, Session};
use crate::error::{Error, ErrorKind};
use crate::human;
use crate::name::FileName;
use crate::protocol::{listing_json, FileInfo};

/// What a folder page shows of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    /// RFC 3339, UTC.
    pub modified: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Listed once the store has folders (issue 15); pages already show them.
    #[cfg_attr(not(test), allow(dead_code))]
    Folder,
    File,
}

impl From<&FileInfo> for Entry {
    fn from(f: &FileInfo) -> Entry {
        Entry {
            name: f.name.clone(),
            kind: Kind::File,
            size: f.size,
            modified: f.modified.clone(),
        }
    }
}

/// Entries as a page lists them: folders first, then by name.
pub fn entries(files: &[FileInfo]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = files.iter().map(Entry::from).collect();
    sort(&mut entries);
    entries
}

/// Folders first, then by name.
fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
}

impl Session<'_> {
    pub(super) fn folder(&mut self, head: &Head, target: &Target) -> Done {
        let shown = Some("/".to_string());
        let files = match self.svc.store.list(None) {
            Ok(files) => files,
            Err(err) => return self.fail(head, shown, err),
        };
        if target.has("tar") {
            return self.tar(head, &files);
        }
        let (media, text) = if target.has("json") || wants_json(head) {
            ("application/json", listing_json(&files))
        } else {
            let writable = !self.svc.settings.read_only;
            (
                "text/html; charset=utf-8",
                page::render(&[], &entries(&files), writable),
            )
        };
        let mut fields = vec![
            ("Content-Type", media.to_string()),
            ("Cache-Control", "no-cache".to_string()),
            ("Vary", "Accept".to_string()),
            ("X-Content-Type-Options", "nosniff".to_string()),
        ];
        if media.starts_with("text/html") {
            fields.push(("Content-Security-Policy", page::policy()));
            fields.push(("Referrer-Policy", "no-referrer".to_string()));
        }
        let keep = self.keep(head);
        let sent = write_head(
            &mut self.stream,
            head.minor,
            200,
            &fields,
            Framing::Length(text.len() as u64),
            keep,
        )
        .and_then(|()| {
            if head.method == Method::Head {
                Ok(())
            } else {
                std::io::Write::write_all(&mut self.stream, text.as_bytes())
            }
        });
        self.done(Some(200), shown, 0, sent, keep)
    }

    /// The folder as one tar archive: each file opened, its header written from the version
    /// opened, its content sent as downloads are. A file removed since the listing is left
    /// out; any other failure cuts the archive short (the client sees an unfinished body).
    fn tar(&mut self, head: &Head, files: &[FileInfo]) -> Done {
        let shown = Some("/".to_string());
        let chunked = head.minor >= 1;
        let keep = chunked && self.keep(head);
        let fields = [
            ("Content-Type", "application/x-tar".to_string()),
            (
                "Content-Disposition",
                "attachment; filename=\"files.tar\"".to_string(),
            ),
        ];
        let framing = if chunked { Framing::Chunked } else { Framing::Close };
        if let Err(e) = write_head(&mut self.stream, head.minor, 200, &fields, framing, keep) {
            return self.done(Some(200), shown, 0, Err(e), false);
        }
        if head.method == Method::Head {
            return self.done(Some(200), shown, 0, Ok(()), keep);
        }
        let svc = self.svc;
        let mut out = Out::new(&mut self.stream, chunked);
        let zeros = [0u8; 512];
        let mut streamed = || -> Result<(), Error> {
            let io = |e: std::io::Error| crate::server::body::peer_error("the archive was cut", &e);
            for f in files {
                let Ok(name) = FileName::parse(&f.name) else {
                    continue;
                };
                let (content, info) = match svc.store.read(&name, 0) {
                    Ok(x) => x,
                    Err(e) if e.kind == ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                let mtime = human::parse_rfc3339(&info.modified).unwrap_or(0);
                out.write(&tar::file_header(&info.name, info.size, mtime))
                    .map_err(io)?;
                out.send(content, info.size)?;
                out.write(&zeros[..tar::padding(info.size)]).map_err(io)?;
            }
            out.write(&tar::END).map_err(io)
        };
        let result = streamed();
        let sent_before_end = out.sent;
        match result.and_then(|()| {
            out.finish()
                .map_err(|e| crate::server::body::peer_error("the archive was cut", &e))
        }) {
            Ok(sent) => self.done(Some(200), shown, sent, Ok(()), keep),
            Err(err) => Done {
                status: Some(200),
                name: shown,
                bytes: sent_before_end,
                result: Err(err),
                keep: false,
            },
        }
    }
}

/// True when the client asks for JSON rather than HTML (`Accept: application/json`).
fn wants_json(head: &Head) -> bool {
    let accepts = |t: &str| {
        head.elements("accept").any(|e| {
            e.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(t))
        })
    };
    accepts("application/json") && !accepts("text/html")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_come_first_then_names_in_order() {
        let info = |name: &str| FileInfo {
            name: name.into(),
            size: 1,
            modified: "2026-01-01T00:00:00Z".into(),
            blake3: "0".repeat(64),
        };
        let mut listed = entries(&[info("b"), info("a")]);
        listed.push(Entry {
            name: "z".into(),
            kind: Kind::Folder,
            size: 0,
            modified: String::new(),
        });
        sort(&mut listed);
        let names: Vec<&str> = listed.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["z", "a", "b"]);
    }
}
