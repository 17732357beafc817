//! The hostile side of tests/front_door.rs: thousands of loopback connections spread over
//! 1,000 source addresses, each a small task on one tokio worker thread that behaves as its
//! class says and records when the server closed it. Only 127.0.0.0/8; every wait is bounded.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{sleep_until, timeout_at};

/// Source addresses: 127.0.1.1 … 127.0.1.250, 127.0.2.1 … 127.0.4.250.
pub const SOURCES: usize = 1000;

/// Connections being set up at once (the listen backlog takes the rest of a burst).
const CONNECTING: usize = 128;

/// The longest a connect may take (a full accept queue costs a SYN retry of 1 s or more).
const CONNECT_LIMIT: Duration = Duration::from_secs(10);

/// How long an abandoned download waits for the first bytes of its reply.
const FIRST_BYTES_LIMIT: Duration = Duration::from_secs(10);

/// The `i`-th source address (cycling through all [`SOURCES`]).
pub fn source(i: usize) -> Ipv4Addr {
    let i = i % SOURCES;
    Ipv4Addr::new(127, 0, 1 + (i / 250) as u8, 1 + (i % 250) as u8)
}

/// The kinds of hostile connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Connects and sends nothing.
    Silent,
    /// Sends the native greeting and stalls.
    Greeting,
    /// Drips a valid native session one byte a second.
    Drip,
    /// Starts a seed-dialect upload and drips its base64 one character a second.
    SeedUpload,
    /// Asks for a large file in the seed dialect, reads nothing, and resets after a second.
    SeedDownload,
}

impl Class {
    pub const ALL: [Class; 5] = [
        Class::Silent,
        Class::Greeting,
        Class::Drip,
        Class::SeedUpload,
        Class::SeedDownload,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Class::Silent => "silent",
            Class::Greeting => "greeting_stalled",
            Class::Drip => "native_drip",
            Class::SeedUpload => "seed_upload_drip",
            Class::SeedDownload => "seed_download_abandoned",
        }
    }
}

/// What every connection of one class does.
#[derive(Clone, Debug)]
pub struct Plan {
    pub class: Class,
    pub count: usize,
    /// Sent at once after connecting.
    pub head: Vec<u8>,
    /// Then byte `k` is sent `k` seconds after connecting (byte 0 with the head).
    pub drip: Vec<u8>,
    /// For [`Class::SeedDownload`]: the first bytes of a served reply (anything else is a
    /// refusal or an error).
    pub expect: Vec<u8>,
    /// By when the server must have closed it, counted from the connect (for downloads: must
    /// have let go of it, counted from the client's reset).
    pub bound: Duration,
    /// How long the connection is watched for the server's close (after that the attacker
    /// resets it itself).
    pub watch: Duration,
}

/// How the server ended a connection, as the attacker saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// End of stream (FIN).
    Eof,
    /// A reset, or a write that failed because the server was gone.
    Reset,
}

/// What happened to one hostile connection.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub class: Class,
    /// The attacker's address, as the server sees (and logs) its peer.
    pub local: Option<SocketAddr>,
    /// The connection could not be made: the harness's failure, not the server's.
    pub error: Option<String>,
    /// From the connect's completion to the server's close (`None`: still open when watching
    /// stopped).
    pub closed_after: Option<Duration>,
    pub close: Option<Close>,
    /// Bytes the server sent (drained while waiting for the close), and the first of them.
    pub received: u64,
    pub reply: Vec<u8>,
    /// Downloads: the first bytes of the reply (peeked, not read).
    pub first_bytes: Vec<u8>,
    /// Downloads: when the client reset the connection, and the reply bytes it left unread.
    pub abandoned: Option<Instant>,
    pub unread_at_abandon: u64,
}

impl Outcome {
    fn new(class: Class) -> Outcome {
        Outcome {
            class,
            local: None,
            error: None,
            closed_after: None,
            close: None,
            received: 0,
            reply: Vec::new(),
            first_bytes: Vec::new(),
            abandoned: None,
            unread_at_abandon: 0,
        }
    }

    /// For downloads: the reply began like the file's base64 (the server was streaming it).
    pub fn served(&self, expect: &[u8]) -> bool {
        !self.first_bytes.is_empty()
            && expect.starts_with(&self.first_bytes[..self.first_bytes.len().min(expect.len())])
    }
}

/// Counters the test thread reads while the attack runs.
#[derive(Default)]
pub struct Progress {
    /// Connections made (or failed to be made).
    pub settled: AtomicUsize,
    pub failed: AtomicUsize,
    /// Per class (index of [`Class::ALL`]): connections the server has closed.
    pub closed: [AtomicUsize; 5],
    /// Per class: connections made.
    pub opened: [AtomicUsize; 5],
    /// Downloads the client has abandoned.
    pub abandoned: AtomicUsize,
}

impl Progress {
    /// Connections of `class` made so far.
    pub fn opened_of(&self, class: Class) -> usize {
        self.opened[index(class)].load(Ordering::SeqCst)
    }

    /// Per class: connections made and not yet closed by the server.
    pub fn open(&self) -> BTreeMap<&'static str, usize> {
        Class::ALL
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let opened = self.opened[i].load(Ordering::SeqCst);
                (
                    c.key(),
                    opened.saturating_sub(self.closed[i].load(Ordering::SeqCst)),
                )
            })
            .collect()
    }
}

fn index(class: Class) -> usize {
    Class::ALL.iter().position(|c| *c == class).unwrap()
}

/// The attack: a runtime with one worker thread and a task per connection.
pub struct Siege {
    runtime: tokio::runtime::Runtime,
    tasks: Vec<tokio::task::JoinHandle<Outcome>>,
    pub progress: Arc<Progress>,
}

impl Siege {
    /// Starts every connection of `plans`, in order, against `server`; connection `g` (counted
    /// over all plans) comes from source address `g % SOURCES`.
    pub fn start(server: SocketAddr, plans: &[Plan]) -> Siege {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let progress = Arc::new(Progress::default());
        let gate = Arc::new(Semaphore::new(CONNECTING));
        let mut tasks = Vec::new();
        let mut g = 0;
        for plan in plans {
            let plan = Arc::new(plan.clone());
            for _ in 0..plan.count {
                let from = SocketAddr::V4(SocketAddrV4::new(source(g), 0));
                g += 1;
                let (plan, progress, gate) = (Arc::clone(&plan), Arc::clone(&progress), Arc::clone(&gate));
                tasks.push(runtime.spawn(async move { one(server, from, &plan, &progress, &gate).await }));
            }
        }
        Siege {
            runtime,
            tasks,
            progress,
        }
    }

    /// Waits (bounded) until every task has ended (each watches for a bounded time) and returns
    /// what each saw.
    pub fn finish(self, limit: Duration) -> Vec<Outcome> {
        let tasks = self.tasks;
        let outcomes = self.runtime.block_on(async move {
            let deadline = tokio::time::Instant::now() + limit;
            let mut outcomes = Vec::with_capacity(tasks.len());
            for task in tasks {
                match timeout_at(deadline, task).await {
                    Ok(Ok(outcome)) => outcomes.push(outcome),
                    Ok(Err(e)) => panic!("an attacking task failed: {e}"),
                    Err(_) => panic!("the attacking tasks did not end within {limit:?}"),
                }
            }
            outcomes
        });
        // Whatever is left (nothing, normally) is dropped without waiting.
        self.runtime.shutdown_background();
        outcomes
    }
}

/// One hostile connection from start to end.
async fn one(
    server: SocketAddr,
    from: SocketAddr,
    plan: &Plan,
    progress: &Progress,
    gate: &Semaphore,
) -> Outcome {
    let mut out = Outcome::new(plan.class);
    let made = {
        let _permit = gate.acquire().await.expect("semaphore");
        connect(server, from).await
    };
    progress.settled.fetch_add(1, Ordering::SeqCst);
    let stream = match made {
        Ok(s) => s,
        Err(e) => {
            progress.failed.fetch_add(1, Ordering::SeqCst);
            out.error = Some(format!("connect from {from}: {e}"));
            return out;
        }
    };
    let opened = Instant::now();
    out.local = stream.local_addr().ok();
    let i = index(plan.class);
    progress.opened[i].fetch_add(1, Ordering::SeqCst);
    if plan.class == Class::SeedDownload {
        abandon(&stream, plan, opened, &mut out).await;
        progress.abandoned.fetch_add(1, Ordering::SeqCst);
        drop(stream); // unread bytes and zero linger: the kernel sends a reset
        progress.closed[i].fetch_add(1, Ordering::SeqCst);
        return out;
    }
    hold(&stream, plan, opened, &mut out).await;
    if out.closed_after.is_some() {
        progress.closed[i].fetch_add(1, Ordering::SeqCst);
    } else {
        // Still open when watching stopped: reset it, so that a seed upload is not taken as
        // complete (its end of stream means "commit").
        let _ = stream.set_zero_linger();
    }
    out
}

async fn connect(server: SocketAddr, from: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(from)?;
    match timeout_at(
        tokio::time::Instant::now() + CONNECT_LIMIT,
        socket.connect(server),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            ErrorKind::TimedOut,
            format!("no connection within {CONNECT_LIMIT:?}"),
        )),
    }
}

/// Sends the head, drips the rest, and waits for the server to close; stops watching after
/// `plan.watch`.
async fn hold(stream: &TcpStream, plan: &Plan, opened: Instant, out: &mut Outcome) {
    let end = tokio::time::Instant::from_std(opened + plan.watch);
    if !plan.head.is_empty() && send(stream, &plan.head, end).await.is_err() {
        out.closed_after = Some(opened.elapsed());
        out.close = Some(Close::Reset);
        return;
    }
    // One pass per dripped byte, then one for the wait after the last: bounded.
    for k in 0..=plan.drip.len() {
        let next = if k < plan.drip.len() {
            tokio::time::Instant::from_std(opened + Duration::from_secs(k as u64)).min(end)
        } else {
            end
        };
        if let Ok(close) = timeout_at(next, closed(stream, &mut out.received, &mut out.reply)).await {
            out.closed_after = Some(opened.elapsed());
            out.close = Some(close);
            return;
        }
        if k == plan.drip.len() || tokio::time::Instant::now() >= end {
            return; // watched long enough: still open
        }
        if send(stream, &plan.drip[k..k + 1], end).await.is_err() {
            out.closed_after = Some(opened.elapsed());
            out.close = Some(Close::Reset);
            return;
        }
    }
}

/// Asks for the download, waits (bounded) for its first bytes, peeks at them without reading,
/// and resets the connection a second after connecting (or as soon as the first bytes came, if
/// later), leaving the reply unread.
async fn abandon(stream: &TcpStream, plan: &Plan, opened: Instant, out: &mut Outcome) {
    let first_limit = tokio::time::Instant::from_std(opened + FIRST_BYTES_LIMIT);
    if send(stream, &plan.head, first_limit).await.is_ok() {
        let mut first = vec![0u8; plan.expect.len().max(1)];
        if let Ok(Ok(n)) = timeout_at(first_limit, stream.peek(&mut first)).await {
            first.truncate(n);
            out.first_bytes = first;
        }
    }
    sleep_until(tokio::time::Instant::from_std(opened + Duration::from_secs(1))).await;
    out.unread_at_abandon = unread(stream);
    let _ = stream.set_zero_linger();
    out.abandoned = Some(Instant::now());
}

/// Bytes waiting in the socket's receive queue (FIONREAD).
fn unread(stream: &TcpStream) -> u64 {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer we pass, on a socket we own.
    let r = unsafe { libc::ioctl(stream.as_raw_fd(), libc::FIONREAD, &mut n) };
    if r == 0 {
        n.max(0) as u64
    } else {
        0
    }
}

/// Writes all of `bytes` (a few bytes: one pass, normally), giving up at `end`.
async fn send(stream: &TcpStream, bytes: &[u8], end: tokio::time::Instant) -> std::io::Result<()> {
    let mut sent = 0;
    // Each pass writes at least one byte or waits for room: bounded by the length and `end`.
    for _ in 0..=bytes.len() {
        if sent == bytes.len() {
            return Ok(());
        }
        match timeout_at(end, stream.writable()).await {
            Ok(r) => r?,
            Err(_) => return Err(std::io::Error::new(ErrorKind::TimedOut, "no room to write")),
        }
        match stream.try_write(&bytes[sent..]) {
            Ok(n) => sent += n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => return Err(e),
        }
    }
    if sent == bytes.len() {
        Ok(())
    } else {
        Err(std::io::Error::new(
            ErrorKind::WouldBlock,
            "the socket took no bytes",
        ))
    }
}

/// How much of the server's reply is kept, to tell a refusal from a deadline's message.
pub const REPLY_KEPT: usize = 48;

/// Resolves when the server has closed the connection, draining (and counting) what it sends
/// meanwhile and keeping its first bytes in `reply`. Cancel-safe: the caller bounds it with a
/// timeout.
async fn closed(stream: &TcpStream, received: &mut u64, reply: &mut Vec<u8>) -> Close {
    let mut buf = [0u8; 4096];
    loop {
        if stream.readable().await.is_err() {
            return Close::Reset;
        }
        match stream.try_read(&mut buf) {
            Ok(0) => return Close::Eof,
            Ok(n) => {
                *received += n as u64;
                let keep = (REPLY_KEPT - reply.len().min(REPLY_KEPT)).min(n);
                reply.extend_from_slice(&buf[..keep]);
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(_) => return Close::Reset,
        }
    }
}
