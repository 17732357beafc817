//! PROPFIND and PROPPATCH. PROPFIND answers `Depth: 0` (the resource) and `1` (and what is in
//! a folder, as `Service::list` shows it to the principal, hidden names left out); `infinity`
//! (also meant by no `Depth`) is refused with 403 and `<D:propfind-finite-depth/>`, as RFC
//! 4918 §9.1 allows. Live properties come from the store's entry; dead ones from
//! [`DavState`](crate::service::davstate::DavState). PROPPATCH sets and removes dead
//! properties all or nothing; the live ones are protected (403, the others 424), but a new
//! modification time (`DAV:getlastmodified`, or Windows' `Win32LastModifiedTime`) is applied
//! to a file: it is uploaded again with that time through the verified atomic path.

use std::fmt::Write as _;
use std::time::SystemTime;

use super::xml::{self, escape, Elem, DAV};
use super::{named, refused, shown, Refused};
use crate::error::ErrorKind;
use crate::human;
use crate::name::FileName;
use crate::server::http::conditional::etag;
use crate::server::http::head::Head;
use crate::server::http::target::{self, Path};
use crate::server::http::{date, mime, Done, Session};
use crate::service::davstate::{Lock, PropName};
use crate::service::Right;
use crate::store::Entry;

/// The live properties, in the order `allprop` lists them.
const LIVE: &[&str] = &[
    "resourcetype",
    "displayname",
    "getcontentlength",
    "getcontenttype",
    "getetag",
    "getlastmodified",
    "creationdate",
    "supportedlock",
    "lockdiscovery",
];

/// Windows' namespace for its file times.
const MS: &str = "urn:schemas-microsoft-com:";

/// What a PROPFIND asks for.
enum Wanted {
    All,
    Names,
    Some(Vec<PropName>),
}

/// A resource as PROPFIND describes it: the top folder (no entry) or a stored entry.
struct Res {
    href: String,
    key: String,
    entry: Option<Entry>,
}

impl Res {
    fn is_dir(&self) -> bool {
        self.entry.as_ref().is_none_or(Entry::is_dir)
    }

    fn of(entry: Entry) -> Res {
        let mut href = target::href_path(&entry.name);
        if entry.is_dir() {
            href.push('/');
        }
        Res {
            href,
            key: entry.name.as_str().to_string(),
            entry: Some(entry),
        }
    }
}

impl Session<'_> {
    /// PROPFIND: 207 with one response per resource.
    pub(super) fn propfind(&mut self, head: &Head, path: &Path) -> Done {
        match self.describe(head, path) {
            Ok(xml) => self.send_xml(head, 207, &[], &xml, shown(path)),
            Err(Refused {
                status: Some(403),
                err,
            }) if err.kind == ErrorKind::Usage => {
                let xml = "<D:error xmlns:D=\"DAV:\"><D:propfind-finite-depth/></D:error>";
                let mut done = self.send_xml(head, 403, &[], xml, shown(path));
                done.result = done.result.and(Err(err));
                done
            }
            Err(refusal) => self.answer(head, shown(path), Err(refusal)),
        }
    }

    /// The multistatus document a PROPFIND answers with.
    fn describe(&mut self, head: &Head, path: &Path) -> Result<String, Refused> {
        let deep = match head.field("depth").map(str::trim) {
            Some("0") => false,
            Some("1") => true,
            _ => {
                return Err(refused(
                    403,
                    ErrorKind::Usage,
                    "PROPFIND answers Depth 0 or 1 here, not infinity (ask again with Depth: 1)",
                ))
            }
        };
        let body = self.small_body()?;
        let wanted = wanted(&body)?;
        let this = self.resource(path)?;
        let mut all = Vec::new();
        if deep && this.is_dir() {
            let dir = this.entry.as_ref().map(|e| e.name.clone());
            all = self.svc.list(&self.who, dir.as_ref(), None)?;
        }
        let mut xml = String::from("<D:multistatus xmlns:D=\"DAV:\">");
        self.respond(&mut xml, &this, &wanted);
        for entry in all {
            self.respond(&mut xml, &Res::of(entry), &wanted);
        }
        xml.push_str("</D:multistatus>");
        Ok(xml)
    }

    /// The resource `path` names, if `who` may see it: a file needs `read`; a folder `read`
    /// or `list` (the top: `list`).
    fn resource(&self, path: &Path) -> Result<Res, Refused> {
        let (Path::File(name) | Path::Folder(Some(name))) = path else {
            self.svc.allowed(&self.who, Right::List, None)?;
            return Ok(Res {
                href: "/".into(),
                key: String::new(),
                entry: None,
            });
        };
        match self.svc.stat(&self.who, name) {
            Ok((Some(entry), _)) => Ok(Res::of(entry)),
            Ok((None, _)) => Err(not_found(name)),
            Err(err) if self.svc.is_folder(&self.who, name) => {
                let _ = err;
                Ok(Res::of(Entry::dir(name.clone(), SystemTime::now(), 0o755)))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Writes one `response` element.
    fn respond(&self, xml: &mut String, res: &Res, wanted: &Wanted) {
        let locks = self.svc.dav.covering(&res.key);
        let dead = self.svc.dav.props(&res.key);
        let _ = write!(xml, "<D:response><D:href>{}</D:href>", escape(&res.href));
        let mut found = String::new();
        let mut missing = String::new();
        match wanted {
            Wanted::All | Wanted::Names => {
                let names_only = matches!(wanted, Wanted::Names);
                for name in LIVE {
                    if let Some(value) = live(name, res, &locks) {
                        match names_only {
                            true => {
                                let _ = write!(found, "<D:{name}/>");
                            }
                            false => found.push_str(&value),
                        }
                    }
                }
                for ((ns, name), value) in &dead {
                    match names_only {
                        true => empty(&mut found, ns, name),
                        false => dead_prop(&mut found, ns, name, value),
                    }
                }
            }
            Wanted::Some(props) => {
                for (ns, name) in props {
                    let value = match ns.as_str() {
                        DAV => live(name, res, &locks),
                        _ => None,
                    };
                    match (value, dead.get(&(ns.clone(), name.clone()))) {
                        (Some(v), _) => found.push_str(&v),
                        (None, Some(v)) => dead_prop(&mut found, ns, name, v),
                        (None, None) => empty(&mut missing, ns, name),
                    }
                }
            }
        }
        propstat(xml, &found, 200);
        propstat(xml, &missing, 404);
        xml.push_str("</D:response>");
    }

    /// PROPPATCH: 207 with each property's status.
    pub(super) fn proppatch(&mut self, head: &Head, path: &Path) -> Done {
        match self.patch(path) {
            Ok(xml) => self.send_xml(head, 207, &[], &xml, shown(path)),
            Err(refusal) => self.answer(head, shown(path), Err(refusal)),
        }
    }

    fn patch(&mut self, path: &Path) -> Result<String, Refused> {
        let name = named(path, "the top folder has no properties to change")?;
        self.svc.allowed(&self.who, Right::Write, Some(&name))?;
        let Some(kind) = self.svc.kind(&self.who, &name)? else {
            return Err(not_found(&name));
        };
        let body = self.small_body()?;
        let root = xml::parse(&body)?;
        if !root.is(DAV, "propertyupdate") {
            return Err(bad_body("propertyupdate"));
        }
        let mut changes: Vec<(PropName, Option<String>)> = Vec::new();
        let mut protected = Vec::new();
        let mut time = None;
        for action in root.elems() {
            let set = match (action.ns.as_str(), action.name.as_str()) {
                (DAV, "set") => true,
                (DAV, "remove") => false,
                _ => continue,
            };
            for prop in action.dav_child("prop").into_iter().flat_map(Elem::elems) {
                let pname = (prop.ns.clone(), prop.name.clone());
                let is_time = (prop.ns == DAV && prop.name == "getlastmodified")
                    || (prop.ns == MS && prop.name == "Win32LastModifiedTime");
                if is_time && set && kind == crate::store::Kind::File {
                    match date::parse(&prop.text()) {
                        Some(secs) => time = Some(secs),
                        None => protected.push(pname.clone()),
                    }
                } else if prop.ns == DAV && LIVE.contains(&prop.name.as_str()) {
                    protected.push(pname.clone());
                }
                let value = set.then(|| {
                    let mut v = String::new();
                    prop.write_content(&mut v);
                    v
                });
                changes.push((pname, value));
            }
        }
        let mut xml = format!(
            "<D:multistatus xmlns:D=\"DAV:\"><D:response><D:href>{}</D:href>",
            escape(&target::href_path(&name))
        );
        let mut ok = String::new();
        let mut failed = String::new();
        for (pname, _) in &changes {
            match protected.contains(pname) {
                true => empty(&mut failed, &pname.0, &pname.1),
                false => empty(&mut ok, &pname.0, &pname.1),
            }
        }
        if !protected.is_empty() {
            propstat(&mut xml, &failed, 403);
            propstat(&mut xml, &ok, 424);
        } else {
            if let Some(secs) = time {
                self.retime(&name, human::from_unix(secs, 0))?;
            }
            let dead = changes
                .into_iter()
                .filter(|((ns, n), _)| !(ns == DAV && n == "getlastmodified"))
                .collect();
            let status = if self.svc.dav.set_props(name.as_str(), dead) {
                200
            } else {
                507
            };
            propstat(&mut xml, &ok, status);
        }
        xml.push_str("</D:response></D:multistatus>");
        Ok(xml)
    }

    /// Gives the file `name` the modification time `time` (unless it has it already).
    fn retime(&mut self, name: &FileName, time: SystemTime) -> Result<(), Refused> {
        let (_, entry) = self.svc.read(&self.who, name, 0)?;
        if human::unix_nanos(entry.modified).0 == human::unix_nanos(time).0 {
            return Ok(());
        }
        self.copy_file(name, name, Some(time))
    }
}

/// A live property of `res` as an element, if it has it.
fn live(name: &str, res: &Res, locks: &[Lock]) -> Option<String> {
    let entry = res.entry.as_ref();
    let file = entry.filter(|e| !e.is_dir());
    let modified = entry.map_or_else(SystemTime::now, |e| e.modified);
    let value = match name {
        "resourcetype" => {
            return Some(match res.is_dir() {
                true => "<D:resourcetype><D:collection/></D:resourcetype>".into(),
                false => "<D:resourcetype/>".into(),
            })
        }
        "displayname" => escape(entry.map_or("", |e| e.name.leaf())).into_owned(),
        "getcontentlength" => file?.size.to_string(),
        "getcontenttype" => mime::of(file?.name.leaf()),
        "getetag" => escape(&etag(file?)).into_owned(),
        "getlastmodified" => date::format(human::unix_nanos(modified).0),
        "creationdate" => human::rfc3339(modified),
        "supportedlock" => {
            return Some(
                "<D:supportedlock><D:lockentry><D:lockscope><D:exclusive/></D:lockscope>\
                 <D:locktype><D:write/></D:locktype></D:lockentry><D:lockentry><D:lockscope>\
                 <D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>\
                 </D:supportedlock>"
                    .into(),
            )
        }
        "lockdiscovery" => locks.iter().map(active_lock).collect(),
        _ => return None,
    };
    Some(format!("<D:{name}>{value}</D:{name}>"))
}

/// One lock as an `activelock` element.
pub(super) fn active_lock(lock: &Lock) -> String {
    let root = match FileName::parse(&lock.root) {
        Ok(name) => target::href_path(&name),
        Err(_) => "/".into(),
    };
    format!(
        "<D:activelock><D:locktype><D:write/></D:locktype><D:lockscope><D:{}/></D:lockscope>\
         <D:depth>{}</D:depth>{}<D:timeout>Second-{}</D:timeout><D:locktoken><D:href>{}</D:href>\
         </D:locktoken><D:lockroot><D:href>{}</D:href></D:lockroot></D:activelock>",
        if lock.shared { "shared" } else { "exclusive" },
        if lock.deep { "infinity" } else { "0" },
        match lock.owner.is_empty() {
            true => String::new(),
            false => format!("<D:owner>{}</D:owner>", lock.owner),
        },
        lock.left(),
        escape(&lock.token),
        escape(&root)
    )
}

/// A dead property with its value.
fn dead_prop(out: &mut String, ns: &str, name: &str, value: &str) {
    let _ = write!(out, "<{name} xmlns=\"{}\">{value}</{name}>", escape(ns));
}

/// A property's name as an empty element.
fn empty(out: &mut String, ns: &str, name: &str) {
    match ns {
        DAV => {
            let _ = write!(out, "<D:{name}/>");
        }
        _ => {
            let _ = write!(out, "<{name} xmlns=\"{}\"/>", escape(ns));
        }
    }
}

/// A `propstat` of `props` with `status`, if there are any.
fn propstat(xml: &mut String, props: &str, status: u16) {
    if props.is_empty() {
        return;
    }
    let _ = write!(
        xml,
        "<D:propstat><D:prop>{props}</D:prop><D:status>HTTP/1.1 {status} {}</D:status></D:propstat>",
        crate::server::http::response::reason(status)
    );
}

/// What a PROPFIND body asks for (no body: everything).
fn wanted(body: &[u8]) -> Result<Wanted, Refused> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Wanted::All);
    }
    let root = xml::parse(body)?;
    if !root.is(DAV, "propfind") {
        return Err(bad_body("propfind"));
    }
    if root.dav_child("allprop").is_some() {
        return Ok(Wanted::All);
    }
    if root.dav_child("propname").is_some() {
        return Ok(Wanted::Names);
    }
    match root.dav_child("prop") {
        Some(prop) => Ok(Wanted::Some(
            prop.elems().map(|e| (e.ns.clone(), e.name.clone())).collect(),
        )),
        None => Err(bad_body("propfind")),
    }
}

fn bad_body(root: &str) -> Refused {
    refused(
        400,
        ErrorKind::Protocol,
        format!("the body is to be a DAV:{root} document (RFC 4918 §14)"),
    )
}

/// `not_found`, answered as HTTP answers it (404, or 401 where anonymous may not see it).
pub(super) fn not_found(name: &FileName) -> Refused {
    crate::error::Error::new(
        ErrorKind::NotFound,
        format!("no file or folder named {}", crate::name::quote(name.as_str())),
    )
    .into()
}
