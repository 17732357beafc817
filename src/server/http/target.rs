//! The one place a URL becomes a name: the request target's path is split at `/`, each
//! segment percent-decoded on its own and checked as UTF-8 (a decoded `/`, from `%2F`, is
//! refused: it would be a separator no one typed), and the segments, as the name a native
//! client would send, validated by [`Service::file_name`], so `..`, `.` and every other name
//! rule hold here as on the wire. A path ending in `/` (or just `/`) is a folder. The query
//! (`?json`, `?tar`, `?recursive`) is read as a set of keys, some with values (`?sort=size`,
//! `?tar&name=a&name=b`).
//!
//! [`href`] is the way back: a name as a URL path segment, for links; [`href_path`] a whole
//! name as a URL path, for `Location`.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Error, ErrorKind};
use crate::name::{quote, FileName};
use crate::service::Service;

/// What a request target names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// A folder (`None`: the top).
    Folder(Option<FileName>),
    /// A stored file.
    File(FileName),
}

/// A request target, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub path: Path,
    /// The query's keys (and values, decoded), in order.
    pub query: Vec<(String, String)>,
}

impl Target {
    /// True when the query holds `key` (`?json`, `?tar=1`).
    pub fn has(&self, key: &str) -> bool {
        self.query.iter().any(|(k, _)| k == key)
    }

    /// The first value of `key` (`?sort=size`).
    pub fn value(&self, key: &str) -> Option<&str> {
        self.values(key).first().copied()
    }

    /// Every value of `key`, in order (`?tar&name=a&name=b`).
    pub fn values(&self, key: &str) -> Vec<&str> {
        self.query
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Parses a request target (origin-form `/a/b?q`, or absolute-form `http://host/a/b?q`).
pub fn parse(svc: &Service, raw: &str) -> Result<Target, Error> {
    let raw = match raw.split_once("://") {
        // Absolute-form: what follows the authority is the path.
        Some((scheme, rest)) if !scheme.contains('/') => match rest.find('/') {
            Some(at) => &rest[at..],
            None => "/",
        },
        _ => raw,
    };
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let Some(path) = path.strip_prefix('/') else {
        return Err(Error::new(
            ErrorKind::Protocol,
            format!("the request target {} is not a path", quote(raw)),
        ));
    };
    let is_folder = path.is_empty() || path.ends_with('/');
    let mut segments = Vec::new();
    for raw_segment in path.split('/').filter(|s| !s.is_empty()) {
        let bytes: Vec<u8> = percent_decode_str(raw_segment).collect();
        if bytes.contains(&b'/') {
            return Err(Error::new(
                ErrorKind::BadName,
                format!("the path segment {} holds an encoded `/`", quote(raw_segment)),
            ));
        }
        let segment = String::from_utf8(bytes).map_err(|_| {
            Error::new(
                ErrorKind::BadName,
                format!("the path segment {} is not UTF-8", quote(raw_segment)),
            )
        })?;
        segments.push(segment);
    }
    let name = match segments.is_empty() {
        true => None,
        false => Some(svc.file_name(segments.join("/").as_bytes())?),
    };
    let path = match name {
        Some(name) if !is_folder => Path::File(name),
        name => Path::Folder(name),
    };
    Ok(Target {
        path,
        query: parse_query(query),
    })
}

fn parse_query(query: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let spaced = s.replace('+', " ");
        percent_decode_str(&spaced).decode_utf8_lossy().into_owned()
    };
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Every byte but the unreserved characters of RFC 3986 (`A-Z a-z 0-9 - . _ ~`) is escaped.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A name as one URL path segment.
pub fn href(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

/// A whole name as an absolute URL path: `/` and each component as a segment.
pub fn href_path(name: &FileName) -> String {
    name.components().map(|c| format!("/{}", href(c))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn svc() -> (Service, tempfile::TempDir) {
        crate::service::for_tests(Config::defaults())
    }

    #[test]
    fn paths_become_names_only_through_the_name_rules() {
        let (svc, _dir) = svc();
        let file = |raw: &str| match parse(&svc, raw).map(|t| t.path) {
            Ok(Path::File(name)) => Ok(name.as_str().to_string()),
            Ok(other) => panic!("{raw}: {other:?}"),
            Err(e) => Err(e.kind),
        };
        assert_eq!(file("/a.txt"), Ok("a.txt".into()));
        assert_eq!(file("/a%20b%C3%A9.txt?x=1"), Ok("a bé.txt".into()));
        assert_eq!(file("http://host:8889/r%25.txt"), Ok("r%.txt".into()));
        assert_eq!(file("/a+b"), Ok("a+b".into()));
        assert_eq!(file("/..%2Fetc%2Fpasswd"), Err(ErrorKind::BadName));
        assert_eq!(file("/%2e%2e"), Err(ErrorKind::BadName));
        assert_eq!(file("/.nf"), Err(ErrorKind::BadName));
        assert_eq!(file("/a%00b"), Err(ErrorKind::BadName));
        assert_eq!(file("/%ff"), Err(ErrorKind::BadName));
        assert_eq!(file("/../etc/passwd"), Err(ErrorKind::BadName));
        assert_eq!(file("/sub/a.txt"), Ok("sub/a.txt".into()));
        assert_eq!(file("/sub//a.txt"), Ok("sub/a.txt".into()));
        assert_eq!(file("/sub%2Fa.txt"), Err(ErrorKind::BadName));
        assert_eq!(file("/sub/../a.txt"), Err(ErrorKind::BadName));
        assert_eq!(file("/sub/.nf/a.txt"), Err(ErrorKind::BadName));
        assert_eq!(file("a.txt"), Err(ErrorKind::Protocol));
        let root = parse(&svc, "/?json&tar=1").unwrap();
        assert_eq!(root.path, Path::Folder(None));
        assert!(root.has("json") && root.has("tar") && !root.has("recursive"));
        assert_eq!(parse(&svc, "http://host").unwrap().path, Path::Folder(None));
        let sub = FileName::parse("sub/deeper").unwrap();
        assert_eq!(
            parse(&svc, "/sub/deeper/").unwrap().path,
            Path::Folder(Some(sub.clone()))
        );
        assert_eq!(
            parse(&svc, &format!("{}/", href_path(&sub))).unwrap().path,
            Path::Folder(Some(sub))
        );
        assert_eq!(parse(&svc, "/../").unwrap_err().kind, ErrorKind::BadName);
    }

    #[test]
    fn hrefs_decode_back_to_the_name() {
        let (svc, _dir) = svc();
        for name in [
            "a b.txt",
            "100%.txt",
            "a?b#c&d",
            "café",
            "x+y",
            "[1].pdf",
            "dir/a b/c%.txt",
        ] {
            let target = href_path(&FileName::parse(name).unwrap());
            assert_eq!(
                parse(&svc, &target).unwrap().path,
                Path::File(FileName::parse(name).unwrap()),
                "{target}"
            );
        }
    }
}
