//! A TCP relay that keeps every byte it passes, each way, per connection: what a network
//! observer (or a man in the middle) sees between a client and a server. Its target can be
//! changed between connections, as an attacker who takes over an address would. Loopback (or a
//! test's own network namespace) only; one thread per direction, each ending with its
//! connection.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bytes of one relayed connection.
#[derive(Default, Clone, Debug)]
pub struct Capture {
    /// From the client to the server.
    pub up: Vec<u8>,
    /// From the server to the client.
    pub down: Vec<u8>,
}

pub struct Tap {
    /// `HOST:PORT`, the address to give the client.
    pub addr: String,
    target: Arc<Mutex<String>>,
    conns: Arc<Mutex<Vec<Arc<Mutex<Capture>>>>>,
    /// Directions still being copied (two per open connection).
    active: Arc<AtomicUsize>,
}

impl Tap {
    /// A tap on 127.0.0.1 in front of `target`.
    pub fn start(target: &str) -> Tap {
        Tap::start_on("127.0.0.1", target)
    }

    /// A tap listening on `host` (an address of this machine) in front of `target`.
    pub fn start_on(host: &str, target: &str) -> Tap {
        let listener = TcpListener::bind((host, 0)).expect("bind the tap");
        let tap = Tap {
            addr: listener.local_addr().unwrap().to_string(),
            target: Arc::new(Mutex::new(target.to_string())),
            conns: Arc::default(),
            active: Arc::default(),
        };
        let (target, conns, active) = (
            Arc::clone(&tap.target),
            Arc::clone(&tap.conns),
            Arc::clone(&tap.active),
        );
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let capture = Arc::new(Mutex::new(Capture::default()));
                conns.lock().unwrap().push(Arc::clone(&capture));
                let to = target.lock().unwrap().clone();
                let Ok(server) = TcpStream::connect(&to) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                for (from, to, up) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap(), true),
                    (server, client, false),
                ] {
                    active.fetch_add(1, Ordering::SeqCst);
                    let (capture, active) = (Arc::clone(&capture), Arc::clone(&active));
                    std::thread::spawn(move || {
                        pass(from, to, &capture, up);
                        active.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            }
        });
        tap
    }

    /// Relays new connections to `target` from now on.
    pub fn retarget(&self, target: &str) {
        *self.target.lock().unwrap() = target.to_string();
    }

    /// Every connection accepted so far, in order, once all of them have ended (bounded wait).
    pub fn captures(&self) -> Vec<Capture> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.active.load(Ordering::SeqCst) > 0 {
            assert!(Instant::now() < deadline, "relayed connections did not end");
            std::thread::sleep(Duration::from_millis(5));
        }
        self.conns
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.lock().unwrap().clone())
            .collect()
    }

    /// Forgets what was captured so far (after waiting for open connections to end).
    pub fn clear(&self) {
        self.captures();
        self.conns.lock().unwrap().clear();
    }
}

/// Copies one direction, keeping what passes; at its end, half-closes the other side.
fn pass(mut from: TcpStream, mut to: TcpStream, capture: &Mutex<Capture>, up: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        {
            let mut c = capture.lock().unwrap();
            if up {
                c.up.extend_from_slice(&buf[..n]);
            } else {
                c.down.extend_from_slice(&buf[..n]);
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

/// True when `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The TLS records in `bytes` as (content type, length of the fragment); `None` when the bytes
/// are not a whole sequence of TLS records.
pub fn tls_records(mut bytes: &[u8]) -> Option<Vec<(u8, usize)>> {
    let mut records = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 5 || bytes[1] != 3 {
            return None;
        }
        let len = u16::from_be_bytes([bytes[3], bytes[4]]) as usize;
        if bytes.len() < 5 + len {
            return None;
        }
        records.push((bytes[0], len));
        bytes = &bytes[5 + len..];
    }
    Some(records)
}
