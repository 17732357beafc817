//! Load: 64 clients at once, each putting, getting, listing and removing its own files (and
//! racing on one shared name) for `NF_LOAD_SECS` seconds (default 8). Most speak the raw
//! protocol (cheap, and they pipeline); every eighth runs the real `nf` binary. Every
//! acknowledged put must read back with its BLAKE3, every listing must match what the client
//! knows it stored, few operations may fail (each failure is printed), the server's memory
//! stays bounded, and at the end every stored file reads back intact.
//!
//! A longer soak: `NF_LOAD_SECS=300 cargo test --release --test load -- --nocapture`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

const CLIENTS: usize = 64;

/// The bound on the server's peak resident memory. Each connection holds at most a 256 KiB
/// read buffer, a 64 KiB write buffer, a 256 KiB buffer for large download bodies and, for
/// upload bodies of 1 MiB and more, four 256 KiB hashing buffers (four 1 MiB blocks for the at
/// most two uploads written with O_DIRECT): about 1.6 MiB, so 64 clients stay under 128 MiB
/// whatever they send (seen: about 40 MiB).
const MEMORY_BOUND_KIB: u64 = 128 * 1024;

/// At most this fraction of operations may fail (with a clear error) under load.
const MAX_FAILURE_RATE: f64 = 0.01;

/// The versions of the shared file the clients race to store.
fn shared_versions() -> Vec<Vec<u8>> {
    (0..4)
        .map(|i| random_bytes(20_000 + i * 1000, 1000 + i as u64))
        .collect()
}

/// A failed operation: what the server said, or how the connection broke.
#[derive(Debug)]
enum Failure {
    Refused(String, String),
    Io(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Refused(code, message) => write!(f, "{code}: {message}"),
            Failure::Io(e) => write!(f, "connection: {e}"),
        }
    }
}

fn io(e: impl std::fmt::Display) -> Failure {
    Failure::Io(e.to_string())
}

/// A raw protocol client.
struct Client {
    reader: BufReader<TcpStream>,
    writer: BufWriter<TcpStream>,
}

impl Client {
    fn connect(addr: &str) -> Result<Client, Failure> {
        let stream = TcpStream::connect(addr).map_err(io)?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        stream
            .set_write_timeout(Some(Duration::from_secs(30)))
            .map_err(io)?;
        let mut c = Client {
            reader: BufReader::new(stream.try_clone().map_err(io)?),
            writer: BufWriter::new(stream),
        };
        c.writer
            .write_all(b"NF/1\n{\"op\":\"hello\",\"client\":\"load\"}\n")
            .map_err(io)?;
        c.writer.flush().map_err(io)?;
        c.reply()?;
        Ok(c)
    }

    fn send(&mut self, msg: Value) -> Result<(), Failure> {
        self.writer.write_all(format!("{msg}\n").as_bytes()).map_err(io)
    }

    /// One reply line; an error reply is a `Failure::Refused`.
    fn reply(&mut self) -> Result<Value, Failure> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).map_err(io)? == 0 {
            return Err(Failure::Io("the server closed the connection".into()));
        }
        let v: Value = serde_json::from_str(&line).map_err(|e| io(format!("reply {line:?}: {e}")))?;
        if v["ok"] == false {
            return Err(Failure::Refused(
                v["code"].as_str().unwrap_or("?").into(),
                v["message"].as_str().unwrap_or("?").into(),
            ));
        }
        Ok(v)
    }

    /// Puts several files pipelined (force), then reads each reply.
    fn put_many(&mut self, files: &[(String, Vec<u8>)]) -> Result<Vec<Result<Value, Failure>>, Failure> {
        for (name, data) in files {
            self.send(json!({"op": "put", "name": name, "size": data.len(), "force": true}))?;
            self.writer.write_all(data).map_err(io)?;
            self.send(json!({"blake3": blake3_hex(data)}))?;
        }
        self.writer.flush().map_err(io)?;
        let mut replies = Vec::new();
        for _ in files {
            match self.reply() {
                Err(Failure::Io(e)) => return Err(Failure::Io(e)),
                r => replies.push(r),
            }
        }
        Ok(replies)
    }

    /// The reply header and the body.
    fn get(&mut self, name: &str) -> Result<(Value, Vec<u8>), Failure> {
        self.send(json!({"op": "get", "name": name}))?;
        self.writer.flush().map_err(io)?;
        let head = self.reply()?;
        let size = head["size"]
            .as_u64()
            .ok_or_else(|| io(format!("bad get reply {head}")))?;
        let mut body = vec![0u8; size as usize];
        self.reader.read_exact(&mut body).map_err(io)?;
        Ok((head, body))
    }

    /// Name → BLAKE3 of the listed files.
    fn list(&mut self, pattern: &str) -> Result<BTreeMap<String, String>, Failure> {
        self.send(json!({"op": "list", "pattern": pattern}))?;
        self.writer.flush().map_err(io)?;
        // The entries stream one line each, then the end (`ok` with the count).
        let mut out = BTreeMap::new();
        loop {
            let e = self.reply()?;
            if e.get("ok").is_some() {
                if e["count"].as_u64() != Some(out.len() as u64) {
                    return Err(io(format!("list end {e} after {} entries", out.len())));
                }
                return Ok(out);
            }
            out.insert(
                e["name"].as_str().unwrap_or("").to_string(),
                e["blake3"].as_str().unwrap_or("").to_string(),
            );
        }
    }

    fn rm(&mut self, name: &str) -> Result<(), Failure> {
        self.send(json!({"op": "rm", "name": name}))?;
        self.writer.flush().map_err(io)?;
        self.reply().map(drop)
    }
}

/// What one client knows it stored: name → BLAKE3. Names whose last put or rm ended with a
/// broken connection may or may not be stored.
#[derive(Default)]
struct Model {
    files: BTreeMap<String, String>,
    unsure: BTreeSet<String>,
}

impl Model {
    fn stored(&mut self, name: &str, hash: String) {
        self.unsure.remove(name);
        self.files.insert(name.to_string(), hash);
    }

    fn removed(&mut self, name: &str) {
        self.unsure.remove(name);
        self.files.remove(name);
    }

    fn unknown(&mut self, name: &str) {
        self.files.remove(name);
        self.unsure.insert(name.to_string());
    }

    /// Differences between a listing and the model, ignoring unsure names.
    fn differences(&self, listed: &BTreeMap<String, String>) -> Vec<String> {
        let mut out = Vec::new();
        for (name, hash) in &self.files {
            match listed.get(name) {
                None => out.push(format!("{name}: acknowledged but not listed")),
                Some(h) if h != hash => out.push(format!("{name}: listed with BLAKE3 {h}, stored {hash}")),
                _ => {}
            }
        }
        for name in listed.keys() {
            if !self.files.contains_key(name) && !self.unsure.contains(name) {
                out.push(format!("{name}: listed but removed (or never stored)"));
            }
        }
        out
    }
}

/// What all clients saw.
#[derive(Default)]
struct Tally {
    ops: u64,
    failures: Vec<String>,
    /// Integrity violations: any one fails the test.
    violations: Vec<String>,
}

struct Worker<'a> {
    id: usize,
    s: &'a Server,
    deadline: Instant,
    model: Model,
    ops: u64,
    failures: Vec<String>,
    violations: Vec<String>,
}

impl Worker<'_> {
    fn name(&self, i: u64) -> String {
        format!("w{:02}-{}", self.id, i % 6)
    }

    /// Content for iteration `i`: mostly small, every 16th over 1 MiB (the hashing pipeline).
    fn content(&self, i: u64) -> Vec<u8> {
        let seed = (self.id as u64) << 32 | i;
        let len = if i % 16 == 15 {
            1_100_000 + (i as usize % 7) * 1000
        } else {
            (seed.wrapping_mul(2_654_435_761) % 40_000) as usize
        };
        random_bytes(len, seed)
    }

    fn fail(&mut self, what: String) {
        eprintln!("load: {what}");
        self.failures.push(what);
    }

    fn violate(&mut self, what: String) {
        eprintln!("load: INTEGRITY: {what}");
        self.violations.push(what);
    }

    fn run_raw(&mut self) {
        let versions = shared_versions();
        let hashes: Vec<String> = versions.iter().map(|v| blake3_hex(v)).collect();
        let mut client: Option<Client> = None;
        let pattern = format!("w{:02}-*", self.id);
        for i in 0..100_000u64 {
            if Instant::now() >= self.deadline {
                break;
            }
            let c = match client.as_mut() {
                Some(c) => c,
                None => match Client::connect(&self.s.addr) {
                    Ok(c) => client.insert(c),
                    Err(e) => {
                        self.ops += 1;
                        self.fail(format!("client {} connect: {e}", self.id));
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                },
            };
            // Two puts, pipelined.
            let files = vec![
                (self.name(2 * i), self.content(2 * i)),
                (self.name(2 * i + 1), self.content(2 * i + 1)),
            ];
            self.ops += 2;
            match c.put_many(&files) {
                Ok(replies) => {
                    for ((name, data), reply) in files.iter().zip(replies) {
                        match reply {
                            Ok(v) if v["blake3"] == blake3_hex(data).as_str() => {
                                self.model.stored(name, blake3_hex(data))
                            }
                            Ok(v) => self.violate(format!("put {name}: acknowledged with {v}")),
                            Err(e) => {
                                self.model.unknown(name);
                                self.fail(format!("put {name}: {e}"));
                            }
                        }
                    }
                }
                Err(e) => {
                    for (name, _) in &files {
                        self.model.unknown(name);
                    }
                    client = None;
                    self.fail(format!("put {} and {}: {e}", files[0].0, files[1].0));
                    continue;
                }
            }
            let c = client.as_mut().unwrap();
            // Read one back.
            let (name, data) = &files[(i % 2) as usize];
            self.ops += 1;
            match c.get(name) {
                Ok((head, body)) => {
                    if body != *data || head["blake3"] != blake3_hex(data).as_str() {
                        self.violate(format!(
                            "get {name}: {} bytes (put {}), BLAKE3 {} (put {})",
                            body.len(),
                            data.len(),
                            head["blake3"],
                            blake3_hex(data)
                        ));
                    }
                }
                Err(e) => {
                    let broken = matches!(e, Failure::Io(_));
                    self.fail(format!("get {name}: {e}"));
                    if broken {
                        client = None;
                        continue;
                    }
                }
            }
            let c = client.as_mut().unwrap();
            // Remove one now and then; a removed name must be gone.
            if i % 3 == 2 {
                let name = self.name(i * 7);
                self.ops += 1;
                let result = c.rm(&name);
                match result {
                    Ok(()) => self.model.removed(&name),
                    Err(Failure::Refused(code, _))
                        if code == "not_found" && !self.model.files.contains_key(&name) =>
                    {
                        self.model.removed(&name)
                    }
                    Err(e) => {
                        let broken = matches!(e, Failure::Io(_));
                        self.model.unknown(&name);
                        self.fail(format!("rm {name}: {e}"));
                        if broken {
                            client = None;
                            continue;
                        }
                    }
                }
            }
            let c = client.as_mut().unwrap();
            // The shared name: race a forced put of one known version, or read it.
            if i % 5 == 0 {
                let v = (self.id + i as usize) % versions.len();
                self.ops += 1;
                match c.put_many(&[("shared.bin".into(), versions[v].clone())]) {
                    Ok(mut r) => {
                        if let Err(e) = r.remove(0) {
                            self.fail(format!("put shared.bin: {e}"));
                        }
                    }
                    Err(e) => {
                        self.fail(format!("put shared.bin: {e}"));
                        client = None;
                        continue;
                    }
                }
            } else if i % 5 == 2 {
                self.ops += 1;
                match c.get("shared.bin") {
                    Ok((head, body)) => {
                        let h = blake3_hex(&body);
                        if head["blake3"] != h.as_str() || !hashes.contains(&h) {
                            self.violate(format!(
                                "get shared.bin: a mix of versions ({} bytes, BLAKE3 {h}, announced {})",
                                body.len(),
                                head["blake3"]
                            ));
                        }
                    }
                    Err(Failure::Refused(code, _)) if code == "not_found" => {}
                    Err(e) => {
                        self.fail(format!("get shared.bin: {e}"));
                        client = None;
                        continue;
                    }
                }
            }
            // The listing of its own names matches what this client knows it stored.
            if i % 4 == 3 {
                let c = client.as_mut().unwrap();
                self.ops += 1;
                match c.list(&pattern) {
                    Ok(listed) => {
                        for d in self.model.differences(&listed) {
                            self.violate(format!("client {} ls: {d}", self.id));
                        }
                    }
                    Err(e) => {
                        self.fail(format!("list {pattern}: {e}"));
                        client = None;
                    }
                }
            }
        }
    }

    /// The same cycle through the real client binary, one process per operation.
    fn run_binary(&mut self) {
        let dir = self.s.dir.path().join(format!("work-{:02}", self.id));
        std::fs::create_dir_all(&dir).unwrap();
        let pattern = format!("w{:02}-*", self.id);
        for i in 0..100_000u64 {
            if Instant::now() >= self.deadline {
                break;
            }
            let name = self.name(i);
            let data = self.content(i);
            std::fs::write(dir.join("upload"), &data).unwrap();
            self.ops += 1;
            let out = self.s.nf_in(&dir, &["put", "-f", "-q", "upload", "--as", &name]);
            if !out.status.success() {
                self.model.unknown(&name);
                self.fail(format!("nf put {name}: {}", stderr(&out).trim()));
                continue;
            }
            self.model.stored(&name, blake3_hex(&data));
            self.ops += 1;
            let out = self.s.nf_in(&dir, &["get", "-q", &name, "-o", "-"]);
            if !out.status.success() {
                self.fail(format!("nf get {name}: {}", stderr(&out).trim()));
            } else if out.stdout != data {
                self.violate(format!(
                    "nf get {name}: {} bytes differ from the {} put",
                    out.stdout.len(),
                    data.len()
                ));
            }
            if i % 3 == 2 {
                let victim = self.name(i + 3);
                self.ops += 1;
                let out = self.s.nf_in(&dir, &["rm", &victim]);
                match out.status.code() {
                    Some(0) => self.model.removed(&victim),
                    Some(3) if !self.model.files.contains_key(&victim) => self.model.removed(&victim),
                    _ => {
                        self.model.unknown(&victim);
                        self.fail(format!("nf rm {victim}: {}", stderr(&out).trim()));
                    }
                }
            }
            self.ops += 1;
            let out = self.s.nf_in(&dir, &["ls", "--json", &pattern]);
            if !out.status.success() {
                self.fail(format!("nf ls: {}", stderr(&out).trim()));
                continue;
            }
            let listed: Vec<Value> = serde_json::from_slice(&out.stdout).expect("ls --json is JSON");
            let listed: BTreeMap<String, String> = listed
                .iter()
                .map(|f| {
                    (
                        f["name"].as_str().unwrap().into(),
                        f["blake3"].as_str().unwrap().into(),
                    )
                })
                .collect();
            for d in self.model.differences(&listed) {
                self.violate(format!("client {} nf ls: {d}", self.id));
            }
        }
    }
}

#[test]
fn sixty_four_clients_putting_getting_listing_and_removing_at_once_lose_nothing() {
    let secs: u64 = std::env::var("NF_LOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let s = Server::start();
    let started = Instant::now();
    let deadline = started + Duration::from_secs(secs);
    let tally = Mutex::new(Tally::default());
    let models = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for id in 0..CLIENTS {
            let (s, tally, models) = (&s, &tally, &models);
            std::thread::Builder::new()
                .name(format!("load-{id}"))
                .spawn_scoped(scope, move || {
                    let mut w = Worker {
                        id,
                        s,
                        deadline,
                        model: Model::default(),
                        ops: 0,
                        failures: Vec::new(),
                        violations: Vec::new(),
                    };
                    if id % 8 == 0 {
                        w.run_binary();
                    } else {
                        w.run_raw();
                    }
                    let mut t = tally.lock().unwrap();
                    t.ops += w.ops;
                    t.failures.append(&mut w.failures);
                    t.violations.append(&mut w.violations);
                    models.lock().unwrap().insert(id, w.model);
                })
                .unwrap();
        }
    });
    let took = started.elapsed();
    let tally = tally.into_inner().unwrap();
    let models = models.into_inner().unwrap();
    let peak = s.peak_kib();
    eprintln!(
        "load: {CLIENTS} clients, {} operations in {took:?} ({:.0}/s), {} failed, {} integrity violations, server peak memory {peak} KiB",
        tally.ops,
        tally.ops as f64 / took.as_secs_f64(),
        tally.failures.len(),
        tally.violations.len()
    );
    assert!(
        tally.violations.is_empty(),
        "integrity violations:\n{}",
        tally.violations.join("\n")
    );
    assert!(
        tally.ops >= CLIENTS as u64 * 4,
        "too little work done: {}",
        tally.ops
    );
    let rate = tally.failures.len() as f64 / tally.ops as f64;
    assert!(
        rate <= MAX_FAILURE_RATE,
        "{} of {} operations failed:\n{}",
        tally.failures.len(),
        tally.ops,
        tally.failures.join("\n")
    );

    // Afterwards: the server answers, lists exactly what the clients know they stored, and
    // every stored file reads back with its BLAKE3.
    s.assert_serving();
    let mut c = Client::connect(&s.addr).expect("connect after the load");
    let listed = c.list("*").expect("list after the load");
    for (id, model) in &models {
        let own: BTreeMap<String, String> = listed
            .iter()
            .filter(|(n, _)| n.starts_with(&format!("w{id:02}-")))
            .map(|(n, h)| (n.clone(), h.clone()))
            .collect();
        let diff = model.differences(&own);
        assert!(diff.is_empty(), "client {id}: {diff:?}");
    }
    let versions: Vec<String> = shared_versions().iter().map(|v| blake3_hex(v)).collect();
    if let Some(h) = listed.get("shared.bin") {
        assert!(
            versions.contains(h),
            "shared.bin holds none of the versions put: {h}"
        );
    }
    for (name, hash) in &listed {
        let (head, body) = c
            .get(name)
            .unwrap_or_else(|e| panic!("get {name} after the load: {e}"));
        assert_eq!(head["blake3"], hash.as_str(), "{name}");
        assert_eq!(
            &blake3_hex(&body),
            hash,
            "{name}: the content does not match its BLAKE3"
        );
    }
    if tally.failures.is_empty() {
        // No upload was cut, so none left a partial behind.
        assert!(s.partials().is_empty(), "{:?}", s.partials());
    }
    eprintln!("load: {} files stored and intact at the end", listed.len());
    assert!(
        peak < MEMORY_BOUND_KIB,
        "the server's peak resident memory was {peak} KiB, over the bound of {MEMORY_BOUND_KIB} KiB"
    );
}
