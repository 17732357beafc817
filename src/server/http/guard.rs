//! Whom an HTTP request is meant for, against DNS rebinding (a web page whose own name is
//! made to point at 127.0.0.1 is same-origin with this server, and could read, replace and
//! delete every file): its `Host` must be a name this server answers to (an IP address,
//! `localhost` or a name under it, this machine's own names, or one in `allowed_hosts`), else
//! 421; and a request that changes anything (every method but GET, HEAD and OPTIONS) that
//! carries an `Origin` must come from this server's own origin, else 403. A request without
//! `Origin` (curl, scripts) is not a browser's cross-site request and passes. Over TLS the same
//! rules hold, with `https` as the scheme. Pure, but for the machine's name, read once.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use super::head::{Head, Method};
use crate::config::Config;
use crate::error::{Error, ErrorKind};
use crate::name::quote;

/// Why a request is refused, and the status that says so.
pub struct Refused {
    pub status: u16,
    pub error: Error,
}

/// Checks `head`'s Host and, for a request that changes state, its Origin; `tls`: the request
/// came over TLS (its own origin is `https://`).
pub fn check(settings: &Config, head: &Head, tls: bool) -> Result<(), Refused> {
    // Absolute-form targets name the host themselves, and it wins over `Host` (RFC 9112 3.2.2).
    let authority = absolute_authority(&head.target).or_else(|| head.field("host"));
    let host = match authority {
        Some(text) => match Authority::parse(text) {
            Some(a) if answers_to(settings, &a.host) => Some(a),
            _ => return Err(misdirected(text)),
        },
        // HTTP/1.0 without Host: no name to check (a browser always sends one).
        None => None,
    };
    if changes_state(&head.method) {
        if let Some(origin) = head
            .field("origin")
            .or_else(|| head.all("origin").next().map(|_| "?"))
        {
            if !host.as_ref().is_some_and(|h| h.is_origin(origin, tls)) {
                return Err(cross_origin(origin, host.as_ref(), tls));
            }
        }
    }
    Ok(())
}

/// True for a method that may change what is stored: all but the ones known to be safe, so a
/// method added later (WebDAV's) is checked until it is listed here.
pub fn changes_state(method: &Method) -> bool {
    !matches!(method, Method::Get | Method::Head | Method::Options)
}

/// A `host[:port]` as a request names it, the host in lower case without a trailing dot and
/// an IPv6 address in brackets.
#[derive(Debug, PartialEq, Eq)]
struct Authority {
    host: String,
    port: Option<u16>,
}

impl Authority {
    fn parse(text: &str) -> Option<Authority> {
        let text = text.trim();
        let text = text.rsplit_once('@').map_or(text, |(_, rest)| rest);
        if let Some(rest) = text.strip_prefix('[') {
            let (v6, after) = rest.split_once(']')?;
            let ip: Ipv6Addr = v6.parse().ok()?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?.parse().ok()?),
            };
            return Some(Authority {
                host: format!("[{ip}]"),
                port,
            });
        }
        let (host, port) = match text.rsplit_once(':') {
            Some((h, p)) => (h, Some(p.parse().ok()?)),
            None => (text, None),
        };
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        let fine = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_';
        if host.is_empty() || !host.bytes().all(fine) {
            return None;
        }
        Some(Authority { host, port })
    }

    /// True when `origin` is `scheme://` this authority, with the scheme of the connection and
    /// the same port (the scheme's default when not written).
    fn is_origin(&self, origin: &str, tls: bool) -> bool {
        let (scheme, default) = if tls { ("https://", 443) } else { ("http://", 80) };
        let origin = origin.trim().to_ascii_lowercase();
        let Some(rest) = origin.strip_prefix(scheme) else {
            return false;
        };
        match Authority::parse(rest) {
            Some(o) if !rest.contains(['/', '@']) => {
                o.host == self.host && o.port.unwrap_or(default) == self.port.unwrap_or(default)
            }
            _ => false,
        }
    }
}

/// The authority of an absolute-form target (`http://host:port/path`), if it is one.
fn absolute_authority(target: &str) -> Option<&str> {
    let (scheme, rest) = target.split_once("://")?;
    if scheme.contains('/') {
        return None;
    }
    Some(rest.split(['/', '?']).next().unwrap_or(rest))
}

/// True when this server answers to `host` (lower case, no trailing dot, IPv6 in brackets).
fn answers_to(settings: &Config, host: &str) -> bool {
    if host.parse::<Ipv4Addr>().is_ok() || host.starts_with('[') {
        return true;
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    if machine_names().iter().any(|n| n == host) || listen_name(settings).as_deref() == Some(host) {
        return true;
    }
    settings
        .allowed_hosts
        .iter()
        .any(|allowed| match allowed.strip_prefix("*") {
            Some("") => true,
            Some(under) => under.starts_with('.') && host.ends_with(under),
            None => allowed == host,
        })
}

/// This machine's names: its host name as set, its first label (`box` of `box.lan`), and that
/// label under `.local` (the name mDNS gives it on the local network).
fn machine_names() -> &'static [String] {
    static NAMES: OnceLock<Vec<String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let Some(full) = crate::sys::hostname() else {
            return Vec::new();
        };
        let full = full.trim_end_matches('.').to_ascii_lowercase();
        let short = full.split('.').next().unwrap_or_default().to_string();
        let mut names = vec![full, format!("{short}.local"), short];
        names.retain(|n| !n.is_empty() && !n.starts_with('.'));
        names.dedup();
        names
    })
}

/// The name in `listen`, when the server was told to listen on a name rather than an address.
fn listen_name(settings: &Config) -> Option<String> {
    Authority::parse(&settings.listen).map(|a| a.host)
}

fn misdirected(host: &str) -> Refused {
    let shown = quote(host);
    Refused {
        status: 421,
        error: Error::new(
            ErrorKind::Denied,
            format!(
                "this server does not answer to the name {shown} (the request's Host): a web page \
                 may be reaching it through a name of its own (DNS rebinding). If {shown} is this \
                 server's name, add it to allowed_hosts in the server's config (allowed_hosts = \
                 [\"NAME\"], or [\"*\"] for any name)"
            ),
        ),
    }
}

fn cross_origin(origin: &str, host: Option<&Authority>, tls: bool) -> Refused {
    let own = match host {
        Some(a) => {
            let scheme = if tls { "https" } else { "http" };
            let port = a.port.map(|p| format!(":{p}")).unwrap_or_default();
            format!("{scheme}://{}{port}", a.host)
        }
        None => "this server's own (and the request has no Host to compare it with)".into(),
    };
    Refused {
        status: 403,
        error: Error::new(
            ErrorKind::Denied,
            format!(
                "a page from {} may not change anything here: PUT, DELETE and the like are taken \
                 from this server's own pages (Origin {own}) or from clients that send no Origin \
                 (curl, scripts)",
                quote(origin)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A head with `fields`: HTTP/1.1, or 1.0 when they hold no Host (which 1.1 requires).
    fn head(method: &str, fields: &str) -> Head {
        let minor = if fields.contains("Host:") { 1 } else { 0 };
        let text = format!("{method} /a.txt HTTP/1.{minor}\r\n{fields}\r\n");
        super::super::head::parse(text.as_bytes(), 16).unwrap()
    }

    fn status(settings: &Config, method: &str, fields: &str, tls: bool) -> u16 {
        match check(settings, &head(method, fields), tls) {
            Ok(()) => 200,
            Err(refused) => refused.status,
        }
    }

    #[test]
    fn hosts_are_addresses_localhost_this_machine_or_allowed_names() {
        let mut s = Config::defaults();
        for fine in [
            "127.0.0.1:8889",
            "127.0.0.1",
            "10.1.2.3:80",
            "[::1]:8889",
            "[::1]",
            "localhost:8889",
            "LOCALHOST.",
            "app.localhost:3000",
        ] {
            assert_eq!(
                status(&s, "GET", &format!("Host: {fine}\r\n"), false),
                200,
                "{fine}"
            );
        }
        if let Some(name) = machine_names().first() {
            assert_eq!(status(&s, "GET", &format!("Host: {name}:1\r\n"), false), 200);
        }
        for bad in [
            "evil.example.com",
            "evil.example.com:8889",
            "127.0.0.1.evil.com",
            "[::1",
            "a b",
            "localhost.evil.com",
        ] {
            assert_eq!(
                status(&s, "GET", &format!("Host: {bad}\r\n"), false),
                421,
                "{bad}"
            );
            assert_eq!(status(&s, "PUT", &format!("Host: {bad}\r\n"), true), 421, "{bad}");
        }
        assert_eq!(status(&s, "GET", "", false), 200, "no Host: HTTP/1.0 style");
        let absolute = super::super::head::parse(
            b"GET http://evil.example.com/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
            8,
        )
        .unwrap();
        assert_eq!(check(&s, &absolute, false).err().map(|r| r.status), Some(421));
        s.allowed_hosts = vec!["files.example.org".into(), "*.lan".into()];
        assert_eq!(status(&s, "GET", "Host: Files.Example.org:8889\r\n", false), 200);
        assert_eq!(status(&s, "GET", "Host: box.lan\r\n", false), 200);
        assert_eq!(status(&s, "GET", "Host: lan\r\n", false), 421);
        assert_eq!(status(&s, "GET", "Host: evil.example.org\r\n", false), 421);
        s.allowed_hosts = vec!["*".into()];
        assert_eq!(status(&s, "GET", "Host: evil.example.com\r\n", false), 200);
    }

    #[test]
    fn a_change_with_a_foreign_origin_is_refused() {
        let s = Config::defaults();
        let h = "Host: 127.0.0.1:8889\r\n";
        for method in ["PUT", "DELETE", "POST", "PROPPATCH", "MOVE"] {
            assert_eq!(status(&s, method, h, false), 200, "no Origin: {method}");
            let own = format!("{h}Origin: http://127.0.0.1:8889\r\n");
            assert_eq!(status(&s, method, &own, false), 200, "own origin: {method}");
            for foreign in [
                "http://evil.example.com",
                "http://127.0.0.1:8890",
                "https://127.0.0.1:8889",
                "http://localhost:8889",
                "null",
                "http://127.0.0.1:8889@evil.example.com",
            ] {
                let fields = format!("{h}Origin: {foreign}\r\n");
                assert_eq!(status(&s, method, &fields, false), 403, "{method} from {foreign}");
            }
        }
        let fields = format!("{h}Origin: http://evil.example.com\r\n");
        for safe in ["GET", "HEAD", "OPTIONS"] {
            assert_eq!(status(&s, safe, &fields, false), 200, "{safe}");
        }
        let tls = "Host: localhost:8889\r\nOrigin: https://LOCALHOST:8889\r\n";
        assert_eq!(status(&s, "PUT", tls, true), 200);
        assert_eq!(
            status(&s, "PUT", tls, false),
            403,
            "https origin on a plain connection"
        );
        let default_port = "Host: 127.0.0.1\r\nOrigin: http://127.0.0.1:80\r\n";
        assert_eq!(status(&s, "DELETE", default_port, false), 200);
        assert_eq!(
            status(&s, "PUT", "Origin: http://127.0.0.1\r\n", false),
            403,
            "no Host"
        );
    }
}
