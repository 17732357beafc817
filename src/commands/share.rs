//! `nf share`: make a share link and print its URL (`--qr`: also as a QR code), `nf share ls`
//! and `nf share rm`; and the link URLs `nf get URL` and `nf put FILE URL` take: a connection
//! that acts as the link (its ID in the hello), to the server the URL names. An `https://` link
//! is reached over TLS and its server trusted as any other (`--fingerprint`, or known_servers
//! and trust on first use), not by anything in the URL.

use std::time::Duration;

use crate::cli::{ClientArgs, ShareAction, ShareArgs};
use crate::client::{Client, Target};
use crate::commands::Context;
use crate::config::TlsMode;
use crate::error::{Error, ErrorKind, Result};
use crate::name::FileName;
use crate::output;
use crate::protocol::ShareInfo;

pub fn run(ctx: &Context, args: ShareArgs) -> Result<()> {
    match &args.action {
        Some(ShareAction::Ls(ls)) => list(ctx, ls.json),
        Some(ShareAction::Rm(rm)) => remove(ctx, &rm.links),
        None => make(ctx, &args),
    }
}

/// The client flags of whichever form of `nf share` was given.
pub fn client_args(args: &ShareArgs) -> &ClientArgs {
    match &args.action {
        Some(ShareAction::Ls(ls)) => &ls.client,
        Some(ShareAction::Rm(rm)) => &rm.client,
        None => &args.client,
    }
}

fn make(ctx: &Context, args: &ShareArgs) -> Result<()> {
    let path = match args.path.as_deref() {
        Some(raw) => FileName::from_user_dir(raw)?,
        None => None,
    };
    let expires = args.expires.as_deref().map(parse_span).transpose()?;
    let mut client = ctx.connect()?;
    let reply = client.share(
        path.as_ref(),
        args.upload,
        (expires.map(|d| d.as_secs()), args.max_uses),
    )?;
    let url = url_of(&client, reply.public_url.as_deref(), &reply.share.id);
    if args.json {
        let mut shown = serde_json::to_value(&reply.share).expect("a share serializes");
        shown["url"] = url.clone().into();
        return output::print(&format!("{shown}\n"));
    }
    output::print(&format!("{url}\n"))?;
    if args.qr {
        output::print(&crate::qr::terminal(&url, colour_on_stdout())?)?;
    }
    Ok(())
}

fn list(ctx: &Context, json: bool) -> Result<()> {
    let mut client = ctx.connect()?;
    let reply = client.shares()?;
    let url = |s: &ShareInfo| url_of(&client, reply.public_url.as_deref(), &s.id);
    if json {
        let all: Vec<serde_json::Value> = reply
            .shares
            .iter()
            .map(|s| {
                let mut v = serde_json::to_value(s).expect("a share serializes");
                v["url"] = url(s).into();
                v
            })
            .collect();
        return output::print(&format!("{}\n", serde_json::Value::Array(all)));
    }
    let mut text = String::from("ID\tURL\tPATH\tKIND\tEXPIRES\tUSES\tSTATE\n");
    for s in &reply.shares {
        let uses = s
            .max_uses
            .map_or(s.uses.to_string(), |max| format!("{}/{max}", s.uses));
        let path = format!(
            "/{}{}",
            s.path,
            if s.folder && !s.path.is_empty() { "/" } else { "" }
        );
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{uses}\t{}\n",
            s.id,
            url(s),
            crate::name::shown(&path),
            s.kind,
            s.expires.as_deref().unwrap_or("never"),
            s.state
        ));
    }
    output::print(&text)
}

fn remove(ctx: &Context, links: &[String]) -> Result<()> {
    let mut client = ctx.connect()?;
    let mut first_failure = None;
    for given in links {
        let id = id_of(given);
        match client.unshare(id) {
            Ok(reply) if !ctx.quiet => output::print(&format!("removed {}\n", reply.share.id))?,
            Ok(_) => {}
            Err(e) => {
                eprintln!("nf: error: {e}");
                first_failure.get_or_insert(e.kind);
            }
        }
    }
    match first_failure {
        Some(kind) => Err(Error::reported(kind)),
        None => Ok(()),
    }
}

/// True when the QR code may be drawn in colour: stdout is a terminal and `NO_COLOR` unset.
fn colour_on_stdout() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

/// The ID in a link's URL (`…/s/ID[/…]`), or the argument as it is.
fn id_of(given: &str) -> &str {
    match given.split_once("/s/") {
        Some((_, rest)) => rest.split(['/', '?', '#']).next().unwrap_or(rest),
        None => given,
    }
}

/// The URL of link `id`: the server's `public_url`, else the address this client connected
/// to, over the scheme it used.
fn url_of(client: &Client, public_url: Option<&str>, id: &str) -> String {
    match public_url {
        Some(base) => format!("{base}/s/{id}"),
        None => {
            let scheme = if client.is_tls() { "https" } else { "http" };
            format!("{scheme}://{}/s/{id}", client.addr())
        }
    }
}

/// A share link's URL, taken apart: the server's address, whether over TLS, the ID, and the
/// path below the link (`/s/ID/sub/name`).
#[derive(Debug, PartialEq, Eq)]
pub struct LinkUrl {
    pub addr: String,
    pub tls: bool,
    pub id: String,
    pub below: Option<FileName>,
}

/// `raw` as a share link's URL, if it is one (`http(s)://HOST[:PORT]/s/ID[/PATH]`).
pub fn link_url(raw: &str) -> Option<Result<LinkUrl>> {
    let (tls, rest) = match raw.split_once("://")? {
        ("https", rest) => (true, rest),
        ("http", rest) => (false, rest),
        _ => return None,
    };
    let (authority, path) = rest.split_once('/')?;
    let path = path.strip_prefix("s/")?;
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let (id, below) = path.split_once('/').unwrap_or((path, ""));
    let addr = match authority.rsplit_once(':') {
        Some((_, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !authority.ends_with(']') => {
            authority.to_string()
        }
        _ => format!("{authority}:{}", if tls { 443 } else { 80 }),
    };
    let below = match below.trim_end_matches('/') {
        "" => Ok(None),
        rel => {
            let decoded = percent_encoding::percent_decode_str(rel)
                .decode_utf8_lossy()
                .into_owned();
            FileName::parse(&decoded).map(Some)
        }
    };
    Some(below.map(|below| LinkUrl {
        addr,
        tls,
        id: id.to_string(),
        below,
    }))
}

/// Connects as the share link `url`: its server, its ID instead of a token or login. Returns
/// the client and the name the URL names on the server (the link's path, or below it), and
/// whether that is the link's folder.
pub fn connect_link(ctx: &Context, url: &LinkUrl) -> Result<(Client, Option<FileName>, bool)> {
    let mut target: Target = ctx.target_without_login();
    target.addr = url.addr.clone();
    target.tls = if url.tls { TlsMode::Always } else { TlsMode::Never };
    target.token = None;
    target.login = None;
    target.link = Some(url.id.clone());
    let mut client = ctx.connect_to(target)?;
    client.ensure_hello()?;
    let link = client
        .link
        .clone()
        .ok_or_else(|| Error::new(ErrorKind::Protocol, "the server did not take the share link"))?;
    let root = match link.path.as_str() {
        "" => None,
        path => Some(FileName::parse(path)?),
    };
    let name = match (&url.below, link.folder) {
        (None, _) => root,
        (Some(below), true) => Some(FileName::join(root.as_ref(), below)?),
        (Some(_), false) => return Err(Error::new(ErrorKind::NotFound, "this link shares one file")),
    };
    let top = url.below.is_none() && link.folder;
    Ok((client, name, top))
}

/// A span such as `30s`, `15m`, `2h`, `7d` or `1w`.
pub fn parse_span(text: &str) -> Result<Duration> {
    let bad = || {
        Error::new(
            ErrorKind::Usage,
            format!("--expires {text:?}: give a number and s, m, h, d or w (30m, 7d)"),
        )
    };
    let unit = text.chars().last().ok_or_else(bad)?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return Err(bad()),
    };
    let n: u64 = text[..text.len() - 1].parse().map_err(|_| bad())?;
    match n.checked_mul(secs) {
        Some(total) if total > 0 => Ok(Duration::from_secs(total)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_a_number_and_a_unit() {
        assert_eq!(parse_span("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_span("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse_span("1w").unwrap(), Duration::from_secs(604_800));
        for bad in ["", "d", "7", "7x", "-1d", "0s", "99999999999999999999w"] {
            assert_eq!(parse_span(bad).unwrap_err().kind, ErrorKind::Usage, "{bad}");
        }
    }

    #[test]
    fn link_urls_name_their_server_id_and_path() {
        let url = link_url("https://files.example.org/s/AbC_-1/sub/a%20b.txt?x#y")
            .unwrap()
            .unwrap();
        assert_eq!(url.addr, "files.example.org:443");
        assert!(url.tls);
        assert_eq!(url.id, "AbC_-1");
        assert_eq!(url.below.unwrap().as_str(), "sub/a b.txt");
        let url = link_url("http://127.0.0.1:8889/s/Xy").unwrap().unwrap();
        assert_eq!(
            (url.addr.as_str(), url.tls, url.below),
            ("127.0.0.1:8889", false, None)
        );
        assert!(link_url("report.pdf").is_none());
        assert!(link_url("http://host/files/x").is_none());
        assert!(link_url("http://host:1/s/Xy/../etc").unwrap().is_err());
        assert_eq!(id_of("http://h:1/s/Xy/z"), "Xy");
        assert_eq!(id_of("Xy"), "Xy");
    }
}
