//! A relay in front of the object store that reads each HTTP request and either passes it on
//! or plays a fault: the store cut away (connections reset, new ones refused), a request
//! answered with an error of the test's choosing (`503 SlowDown`, `500 InternalError`,
//! `409 ConditionalRequestConflict`), or a reply lost after the store did the work (the request
//! is passed on, the store's answer dropped, and the client told `500`). Loopback only; one
//! thread per connection, each loop bounded by the connection's life.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// What the relay does to a request a rule matches.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Answer `status` with the S3 error `code`, without passing the request on.
    Answer(u16, &'static str),
    /// Pass the request on, drop the store's answer, and answer `500 InternalError`.
    LoseReply,
    /// Pass the request on and answer with the store's reply, its ETag changed: a store that
    /// ignored `If-Match` and served another version.
    OtherVersion,
    /// Hold the request this many milliseconds, then pass it on (a slow store).
    Stall(u64),
}

/// Which requests a rule applies to: the method (empty: any) and a piece of the request target
/// (path and query; empty: any), e.g. `("POST", "uploadId=")` for a multipart completion.
struct Rule {
    method: &'static str,
    target: &'static str,
    /// Only requests that carry `If-None-Match`.
    conditional: bool,
    fault: Fault,
    left: u32,
    hits: Arc<AtomicU32>,
}

pub struct Relay {
    /// `http://127.0.0.1:PORT`, the endpoint to give nf.
    pub addr: String,
    up: Arc<AtomicBool>,
    open: Arc<Open>,
    rules: Arc<Mutex<Vec<Rule>>>,
    /// Requests seen (passed on or answered).
    pub requests: Arc<AtomicU32>,
}

/// The connections open through the relay, by a number of their own.
type Open = Mutex<Vec<(u64, TcpStream)>>;

/// A connection in [`Open`] while it lives.
struct Tracked<'a> {
    open: &'a Open,
    id: u64,
}

fn track<'a>(open: &'a Open, stream: &TcpStream) -> std::io::Result<Tracked<'a>> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let id = NEXT.fetch_add(1, Ordering::Relaxed);
    open.lock().unwrap().push((id, stream.try_clone()?));
    Ok(Tracked { open, id })
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        self.open.lock().unwrap().retain(|(id, _)| *id != self.id);
    }
}

/// One request or response head, as read.
struct Head {
    raw: Vec<u8>,
    first: String,
    length: Option<u64>,
    chunked: bool,
    if_none_match: bool,
}

/// Reads a head (up to the empty line); None at the end of the stream.
fn read_head(from: &mut impl BufRead) -> Option<Head> {
    let mut raw = Vec::new();
    loop {
        let before = raw.len();
        let n = from.read_until(b'\n', &mut raw).ok()?;
        if n == 0 || raw.len() > 64 * 1024 {
            return None;
        }
        if raw[before..] == *b"\r\n" && before > 0 {
            break;
        }
    }
    let text = String::from_utf8_lossy(&raw).to_string();
    let lower = text.to_ascii_lowercase();
    let header = |name: &str| {
        lower
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    Some(Head {
        first: text.lines().next().unwrap_or_default().to_string(),
        length: header("content-length:").and_then(|v| v.parse().ok()),
        chunked: header("transfer-encoding:").is_some_and(|v| v.contains("chunked")),
        if_none_match: header("if-none-match:").is_some(),
        raw,
    })
}

/// Copies a message body that `head` announces from `from` to `to`, exactly.
fn copy_body(head: &Head, from: &mut impl BufRead, to: &mut impl Write) -> std::io::Result<()> {
    if head.chunked {
        loop {
            let mut line = Vec::new();
            from.read_until(b'\n', &mut line)?;
            to.write_all(&line)?;
            let text = String::from_utf8_lossy(&line);
            let size = u64::from_str_radix(text.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|_| std::io::Error::other("bad chunk size"))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    let mut trailer = Vec::new();
                    if from.read_until(b'\n', &mut trailer)? == 0 {
                        return Ok(());
                    }
                    to.write_all(&trailer)?;
                    if trailer == b"\r\n" {
                        return Ok(());
                    }
                }
            }
            std::io::copy(&mut from.take(size + 2), to)?;
        }
    }
    let n = head.length.unwrap_or(0);
    let copied = std::io::copy(&mut from.take(n), to)?;
    if copied < n {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    Ok(())
}

/// True when a response to `request` with this status carries no body whatever it announces.
fn bodiless(request: &Head, response: &Head) -> bool {
    let status: u16 = response
        .first
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    request.first.starts_with("HEAD ") || status == 204 || status == 304 || (100..200).contains(&status)
}

/// Writes an S3 error answer.
fn answer(to: &mut impl Write, status: u16, code: &str) -> std::io::Result<()> {
    let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the test relay</Message></Error>");
    write!(
        to,
        "HTTP/1.1 {status} {code}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\r\n{xml}",
        xml.len()
    )?;
    to.flush()
}

impl Relay {
    pub fn start(target: &str) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let relay = Relay {
            addr: format!("http://{}", listener.local_addr().unwrap()),
            up: Arc::new(AtomicBool::new(true)),
            open: Arc::new(Mutex::new(Vec::new())),
            rules: Arc::new(Mutex::new(Vec::new())),
            requests: Arc::new(AtomicU32::new(0)),
        };
        let (up, open, rules, requests) = (
            Arc::clone(&relay.up),
            Arc::clone(&relay.open),
            Arc::clone(&relay.rules),
            Arc::clone(&relay.requests),
        );
        let target = target.to_string();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let (up, open, rules, requests, target) = (
                    Arc::clone(&up),
                    Arc::clone(&open),
                    Arc::clone(&rules),
                    Arc::clone(&requests),
                    target.clone(),
                );
                std::thread::spawn(move || {
                    let _ = serve(client, &target, &up, &open, &rules, &requests);
                });
            }
        });
        relay
    }

    /// Plays `fault` on the next `times` requests with this method (empty: any) whose target
    /// contains `target` (empty: any); `conditional`: only those with `If-None-Match`. Returns
    /// the count of requests it was played on.
    pub fn inject(
        &self,
        method: &'static str,
        target: &'static str,
        conditional: bool,
        fault: Fault,
        times: u32,
    ) -> Arc<AtomicU32> {
        let hits = Arc::new(AtomicU32::new(0));
        self.rules.lock().unwrap().push(Rule {
            method,
            target,
            conditional,
            fault,
            left: times,
            hits: Arc::clone(&hits),
        });
        hits
    }

    /// Drops every rule.
    pub fn clear(&self) {
        self.rules.lock().unwrap().clear();
    }

    /// Answers the next `n` requests, whatever they are, `503 SlowDown`.
    pub fn throttle(&self, n: u32) -> Arc<AtomicU32> {
        self.clear();
        self.inject("", "", false, Fault::Answer(503, "SlowDown"), n)
    }

    /// The store is unreachable: open connections reset, new ones refused.
    pub fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for (_, s) in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    pub fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// One client connection: its requests one after another, each passed on or answered here.
fn serve(
    client: TcpStream,
    target: &str,
    up: &AtomicBool,
    open: &Open,
    rules: &Mutex<Vec<Rule>>,
    requests: &AtomicU32,
) -> std::io::Result<()> {
    let _tracked = track(open, &client)?;
    let mut to_client = client.try_clone()?;
    let mut from_client = BufReader::new(client);
    while let Some(head) = read_head(&mut from_client) {
        let mut body = Vec::new();
        copy_body(&head, &mut from_client, &mut body)?;
        requests.fetch_add(1, Ordering::SeqCst);
        let fault = {
            let mut rules = rules.lock().unwrap();
            rules
                .iter_mut()
                .find(|r| {
                    r.left > 0
                        && (r.method.is_empty() || head.first.starts_with(&format!("{} ", r.method)))
                        && head.first.contains(r.target)
                        && (!r.conditional || head.if_none_match)
                })
                .map(|r| {
                    r.left -= 1;
                    r.hits.fetch_add(1, Ordering::SeqCst);
                    r.fault
                })
        };
        if let Some(Fault::Answer(status, code)) = fault {
            answer(&mut to_client, status, code)?;
            continue;
        }
        if let Some(Fault::Stall(millis)) = fault {
            std::thread::sleep(std::time::Duration::from_millis(millis));
        }
        if !up.load(Ordering::SeqCst) {
            break;
        }
        // A connection to the store per request: s3s-fs answers a request that follows an
        // early refusal (412 before it read the body) on the same connection only after 60 s.
        let mut to_store = TcpStream::connect(target)?;
        let _store_tracked = track(open, &to_store)?;
        let from_store = &mut BufReader::new(to_store.try_clone()?);
        to_store.write_all(&head.raw)?;
        to_store.write_all(&body)?;
        to_store.flush()?;
        let Some(mut reply) = read_head(from_store) else {
            break;
        };
        if bodiless(&head, &reply) {
            reply.length = Some(0);
            reply.chunked = false;
        }
        if let Some(Fault::OtherVersion) = fault {
            let text = String::from_utf8_lossy(&reply.raw).to_string();
            reply.raw = text
                .split_inclusive("\r\n")
                .map(|l| match l.to_ascii_lowercase().starts_with("etag:") {
                    true => "ETag: \"0123456789abcdef0123456789abcdef\"\r\n".to_string(),
                    false => l.to_string(),
                })
                .collect::<String>()
                .into_bytes();
        }
        match fault {
            Some(Fault::LoseReply) => {
                copy_body(&reply, from_store, &mut std::io::sink())?;
                answer(&mut to_client, 500, "InternalError")?;
            }
            _ => {
                to_client.write_all(&reply.raw)?;
                copy_body(&reply, from_store, &mut to_client)?;
                to_client.flush()?;
            }
        }
    }
    let _ = to_client.shutdown(Shutdown::Both);
    Ok(())
}
