//! `/s/ID…`: what a share link serves. The link is the credential: the request acts as
//! [`Principal::Link`] (whatever credentials it carries), whose rights the policy decides
//! (its creator's rights now, limited to the link's path and kind). A read link serves its
//! file (as GET does, with ranges and ETag) or its folder (the page, `?json`, `?tar`, and the
//! files below it: `/s/ID/sub/name`); an upload link serves an upload-only page and takes PUTs
//! of new files into its folder (`PUT /s/ID/NAME`, receipts as PUT gives them). The rest of
//! the URL becomes a name below the link's path only through [`target::parse`], so `..` and
//! encoded slashes are refused (404, as anything outside the link). A removed, expired or
//! used-up link answers 410 with a small page saying which and since when; an unknown one
//! 404. Uses: each file sent (counted as it starts to go), archive sent, upload committed.

use super::head::{Head, Method};
use super::response::error_text;
use super::target::{self, href, Path, Target};
use super::{folder, page, Done, Session};
use crate::error::{Error, ErrorKind};
use crate::name::FileName;
use crate::protocol::ShareInfo;
use crate::service::Principal;

/// The prefix of share links' URLs.
pub const PREFIX: &str = "/s/";

impl Session<'_> {
    /// Serves a request for `/s/` + `rest`.
    pub(super) fn share(&mut self, head: &Head, rest: &str) -> Done {
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (id, after) = rest.split_at(split);
        // Until the link is open the request is nobody's, and a refusal never asks to log in.
        self.who = Principal::Anonymous;
        self.presented = true;
        let (info, who) = match self.svc.open_share(id) {
            Ok(found) => found,
            Err(err) if err.kind == ErrorKind::Gone => return self.gone(head, err),
            Err(err) => return self.fail(head, None, err),
        };
        self.who = who;
        self.presented = true;
        let Some(target) = below_link(self, &info, after) else {
            return self.fail(head, None, nothing_here());
        };
        if let Err(err) = self.not_a_file(&target.path) {
            return self.fail(head, None, err);
        }
        let top = target.path == Path::Folder(info_root(&info)) && info.folder;
        if top && !after.starts_with('/') && !target.has("json") && !target.has("tar") {
            // The page's links and its uploads are relative to the folder: `/s/ID/`.
            let query = after.strip_prefix('?').map_or(String::new(), |q| format!("?{q}"));
            return self.redirect(head, format!("{PREFIX}{id}/{query}"), None);
        }
        let upload = info.kind == "upload";
        let (done, counts) = match (&head.method, &target.path) {
            (Method::Get | Method::Head, Path::File(name)) => {
                if info.folder && self.svc.is_folder(&self.who, name) {
                    let query = after
                        .split_once('?')
                        .map_or(String::new(), |(_, q)| format!("?{q}"));
                    return self.redirect(head, format!("{}/{query}", href(name.leaf())), None);
                }
                (self.get(head, name), false)
            }
            (Method::Get | Method::Head, Path::Folder(_)) if upload && top && target.query.is_empty() => {
                (self.upload_page(head), false)
            }
            (Method::Get | Method::Head, Path::Folder(dir)) => {
                (self.folder(head, &target, dir.as_ref()), target.has("tar"))
            }
            (Method::Put, Path::File(name)) => (self.put(head, name), false),
            (Method::Options, _) => (self.options(head), false),
            _ => {
                let why = "a share link takes GET and HEAD (and PUT of a file, for an upload link)";
                return self.not_allowed(head, "GET, HEAD, PUT, OPTIONS", why);
            }
        };
        // Files sent and uploads committed count where they happen (get, put); an archive here.
        if counts && head.method != Method::Head && done.status == Some(200) {
            self.svc.share_used(&self.who);
        }
        done
    }

    /// The page of an upload link: the upload control and nothing of what the folder holds.
    fn upload_page(&mut self, head: &Head) -> Done {
        let controls = page::Controls {
            upload: true,
            delete: false,
            mkdir: false,
            rename: false,
            who: None,
        };
        let html = page::render(&[], &[], &controls, page::Sort::default());
        self.send_page(head, 200, "text/html; charset=utf-8", html.as_bytes(), None)
    }

    /// 410 for a link that was removed, expired or used up: a small page for a browser,
    /// JSON for `?json` or `Accept: application/json`, else the error line.
    fn gone(&mut self, head: &Head, err: Error) -> Done {
        let json = head.target.contains("?json") || folder::wants_json(head);
        let browser = head.elements("accept").any(|e| e.contains("text/html"));
        let (media, text) = if json {
            (
                "application/json",
                serde_json::to_string(&crate::protocol::ErrorReply::of(&err)).expect("serializes") + "\n",
            )
        } else if browser {
            ("text/html; charset=utf-8", gone_page(&err.message))
        } else {
            ("text/plain; charset=utf-8", error_text(&err))
        };
        let mut done = self.send_page(head, 410, media, text.as_bytes(), None);
        done.result = done.result.and(Err(err));
        done
    }
}

/// The target after `/s/ID` as a name below the link's path: `None` when it is no name, or
/// names something a link to a file does not reach.
fn below_link(session: &Session<'_>, info: &ShareInfo, after: &str) -> Option<Target> {
    let rel = match after.starts_with('/') {
        true => after.to_string(),
        false => format!("/{after}"),
    };
    let mut target = target::parse(session.svc, &rel).ok()?;
    let root = info_root(info);
    target.path = match (target.path, info.folder) {
        (Path::Folder(None), false) => Path::File(root?),
        (_, false) => return None,
        (Path::File(name), true) => Path::File(FileName::join(root.as_ref(), &name).ok()?),
        (Path::Folder(None), true) => Path::Folder(root),
        (Path::Folder(Some(dir)), true) => Path::Folder(Some(FileName::join(root.as_ref(), &dir).ok()?)),
    };
    Some(target)
}

fn info_root(info: &ShareInfo) -> Option<FileName> {
    FileName::parse(&info.path).ok()
}

fn nothing_here() -> Error {
    Error::new(ErrorKind::NotFound, "no such file or folder in this share link")
}

/// The page a browser gets for a link that no longer works.
fn gone_page(why: &str) -> String {
    let why = page::escape(why);
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Link no longer available</title></head>\n<body>\n\
         <h1>This link no longer works</h1>\n<p>{why}.</p>\n\
         <p>Ask whoever sent it for a new one.</p>\n</body></html>\n"
    )
}

/// For a request target under [`PREFIX`] whose next segment has the shape of a link's ID (26
/// characters of `a-z2-7`), what follows the prefix. Anything else under `/s/` is an ordinary
/// name (a top-level folder `s` stays reachable, but for names of exactly an ID's shape).
pub fn rest(target: &str) -> Option<&str> {
    let rest = target.strip_prefix(PREFIX)?;
    let id = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    let shaped = id.len() == 26 && id.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'));
    shaped.then_some(rest)
}
