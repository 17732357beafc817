//! GET and HEAD of a folder: an HTML page ([`super::page`]), with `?json` (or an `Accept` that
//! asks for JSON rather than HTML) exactly the JSON `nf ls --json` prints, or with `?tar` the
//! folder and everything below it as one tar archive, streamed file by file. A page is
//! rendered from [`Entry`]s, the http module's own view of one level of a listing.

use super::head::{Head, Method};
use super::response::{write_head, Framing, Out};
use super::target::Target;
use super::{page, tar, Done, Session};
use crate::error::{Error, ErrorKind};
use crate::name::FileName;
use crate::protocol::ListingJson;
use crate::service::{Principal, Right};
use crate::store;

/// What a folder page shows of one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The last component: links are relative to the folder's page.
    pub name: String,
    pub kind: Kind,
    pub size: u64,
    /// RFC 3339, UTC.
    pub modified: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Folder,
    File,
}

impl From<&store::Entry> for Entry {
    fn from(e: &store::Entry) -> Entry {
        Entry {
            name: e.name.leaf().to_string(),
            kind: if e.is_dir() { Kind::Folder } else { Kind::File },
            size: e.size,
            modified: crate::human::rfc3339_exact(e.modified),
        }
    }
}

/// Entries as a page lists them: folders first, then by name.
pub fn entries(listed: &[store::Entry]) -> Vec<Entry> {
    let mut entries: Vec<Entry> = listed.iter().map(Entry::from).collect();
    sort(&mut entries);
    entries
}

/// Folders first, then by name.
fn sort(entries: &mut [Entry]) {
    entries.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
}

impl Session<'_> {
    pub(super) fn folder(&mut self, head: &Head, target: &Target, dir: Option<&FileName>) -> Done {
        let shown = Some(dir.map_or("/".to_string(), |d| format!("{}/", d.as_str())));
        // Also what says the folder exists, before a 200 (of the archive, too) goes out.
        let listed = match self.svc.list(&self.who, dir, None) {
            Ok(listed) => listed,
            // A drop folder (`write` without `list`): its page takes uploads and shows nothing
            // of what it holds, as an upload link's does.
            Err(err)
                if err.kind == ErrorKind::Forbidden
                    && !target.has("json")
                    && !target.has("tar")
                    && !wants_json(head)
                    && self.svc.allowed(&self.who, Right::Write, dir).is_ok() =>
            {
                let mut controls = self.controls(dir);
                (controls.delete, controls.rename) = (false, false);
                let segments: Vec<String> = dir
                    .iter()
                    .flat_map(|d| d.components())
                    .map(str::to_string)
                    .collect();
                let html = page::render(&segments, &[], &controls, page::Sort::default());
                return self.send_page(head, 200, "text/html; charset=utf-8", html.as_bytes(), shown);
            }
            Err(err) => return self.fail(head, shown, err),
        };
        if target.has("tar") {
            return self.tar(head, dir, &target.values("name"));
        }
        let (media, text) = if target.has("json") || wants_json(head) {
            // Exactly `nf ls --json DIR`: the wire's entries in ListingJson's array.
            let mut json = ListingJson::default();
            let mut text = Vec::new();
            for e in &listed {
                text.extend_from_slice(json.separator());
                crate::service::write_json(&mut text, e);
            }
            text.extend_from_slice(json.end());
            ("application/json", text)
        } else {
            let controls = self.controls(dir);
            let segments: Vec<String> = dir
                .iter()
                .flat_map(|d| d.components())
                .map(str::to_string)
                .collect();
            let sort = page::Sort::parse(target.value("sort").unwrap_or(""));
            let mut entries = entries(&listed);
            sort.apply(&mut entries);
            (
                "text/html; charset=utf-8",
                page::render(&segments, &entries, &controls, sort).into_bytes(),
            )
        };
        self.send_page(head, 200, media, &text, shown)
    }

    /// Sends a whole page (`media`: HTML, with the page's security fields, or JSON) with
    /// `status`; the folder's listing and a share link's pages go out here.
    pub(super) fn send_page(
        &mut self,
        head: &Head,
        status: u16,
        media: &str,
        text: &[u8],
        shown: Option<String>,
    ) -> Done {
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
            status,
            &fields,
            Framing::Length(text.len() as u64),
            keep,
        )
        .and_then(|()| {
            if head.method == Method::Head {
                Ok(())
            } else {
                std::io::Write::write_all(&mut self.stream, text)
            }
        });
        self.done(Some(status), shown, 0, sent, keep)
    }

    /// What the page of `dir` offers this request's principal, and who it is.
    fn controls(&self, dir: Option<&FileName>) -> page::Controls {
        let may = |right| self.svc.allowed(&self.who, right, dir).is_ok();
        let who = self.svc.policy().access().and_then(|_| match &self.who {
            Principal::Anonymous => Some(page::Who::Anonymous),
            Principal::Token => Some(page::Who::Token),
            Principal::User(name) => Some(page::Who::User(name.to_string())),
            // A link's page says nothing of who made it.
            Principal::Link(_) => None,
        });
        let (write, delete) = (may(Right::Write), may(Right::Delete));
        // A share link's page only uploads (its `/s/ID` URLs take GET, HEAD and PUT).
        let link = matches!(self.who, Principal::Link(_));
        page::Controls {
            upload: write,
            delete: delete && !link,
            mkdir: write && !link,
            rename: write && delete && !link,
            who,
        }
    }

    /// The folder and everything below it that the principal may see as one tar archive (the
    /// folders it may list, the files it may also read: a file it may see but not read is
    /// left out, as one removed meanwhile), whose top level is the folder's
    /// name (`www/sub/index.md`, as `tar -c www` writes it; the top folder's is `files/`, the
    /// archive's name), so that unpacking it makes one folder and scatters nothing:
    /// each directory an entry (so empty ones arrive too), each file opened, its header written
    /// from the version opened, its content sent as downloads are. The store's walk hands over
    /// one entry at a time, so the archive never holds the listing. A file removed since it was
    /// listed is left out; any other failure cuts the archive short (the client sees an
    /// unfinished body). With `?tar&name=A&name=B` (the page's selection), only those entries
    /// of the folder (and everything below the folders among them) are in it.
    fn tar(&mut self, head: &Head, dir: Option<&FileName>, picked: &[&str]) -> Done {
        let shown = Some(dir.map_or("/".to_string(), |d| format!("{}/", d.as_str())));
        let chunked = head.minor >= 1;
        let keep = chunked && self.keep(head);
        let archive = dir.map_or(TOP_ARCHIVE, |d| d.leaf());
        let fields = [
            ("Content-Type", "application/x-tar".to_string()),
            (
                "Content-Disposition",
                format!(
                    "attachment; filename=\"{}.tar\"; filename*=UTF-8''{}.tar",
                    archive.replace(
                        |c: char| !c.is_ascii_alphanumeric() && c != '-' && c != '_' && c != '.',
                        "_"
                    ),
                    super::target::href(archive)
                ),
            ),
        ];
        let framing = if chunked { Framing::Chunked } else { Framing::Close };
        if let Err(e) = write_head(&mut self.stream, head.minor, 200, &fields, framing, keep) {
            return self.done(Some(200), shown, 0, Err(e), false);
        }
        if head.method == Method::Head {
            return self.done(Some(200), shown, 0, Ok(()), keep);
        }
        let (svc, who) = (self.svc, &self.who);
        let mut out = Out::new(&mut self.stream, chunked);
        let zeros = [0u8; 512];
        let io = |e: std::io::Error| crate::server::body::peer_error("the archive was cut", &e);
        // The folder itself first, with its own time and mode (the top folder has none: tar
        // makes `files/` as it unpacks the first entry below it).
        let started = match dir.map(|d| svc.stat(who, d)) {
            Some(Ok((Some(e), _))) => {
                let mtime = crate::human::unix_nanos(e.modified).0;
                out.write(&tar::dir_header(archive, mtime, e.mode)).map_err(io)
            }
            _ => Ok(()),
        };
        let mut visit = |e: store::Entry| -> Result<(), Error> {
            let Some(below) = e.name.below(dir) else {
                return Ok(());
            };
            if !tar::picked(picked, &below) {
                return Ok(());
            }
            let path = format!("{archive}/{below}");
            let mtime = crate::human::unix_nanos(e.modified).0;
            if e.is_dir() {
                return out.write(&tar::dir_header(&path, mtime, e.mode)).map_err(io);
            }
            let (content, info) = match svc.read(who, &e.name, 0) {
                Ok(x) => x,
                // Removed since it was listed, or a file `who` may see but not read: left out.
                Err(err) if matches!(err.kind, ErrorKind::NotFound | ErrorKind::Forbidden) => return Ok(()),
                Err(err) => return Err(err),
            };
            let mtime = crate::human::unix_nanos(info.modified).0;
            out.write(&tar::file_header(&path, info.size, mtime, info.mode))
                .map_err(io)?;
            out.send(content, info.size)?;
            out.write(&zeros[..tar::padding(info.size)]).map_err(io)
        };
        let result = started
            .and_then(|()| svc.walk(who, dir, true, &mut visit))
            .and_then(|_| out.write(&tar::END).map_err(io));
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

/// The name of the top folder's archive, and the folder its entries unpack into.
const TOP_ARCHIVE: &str = "files";

/// True when the client asks for JSON rather than HTML (`Accept: application/json`).
pub(super) fn wants_json(head: &Head) -> bool {
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
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_767_225_600);
        let file = |name: &str| store::Entry {
            name: FileName::parse(name).unwrap(),
            kind: store::Kind::File,
            size: 1,
            modified: at,
            mode: 0o644,
            blake3: Some(blake3::hash(b"x")),
        };
        let dir = |name: &str| store::Entry::dir(FileName::parse(name).unwrap(), at, 0o755);
        let listed = entries(&[file("d/b"), dir("d/z"), file("d/a")]);
        let names: Vec<(&str, Kind)> = listed.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(names, [("z", Kind::Folder), ("a", Kind::File), ("b", Kind::File)]);
    }
}
