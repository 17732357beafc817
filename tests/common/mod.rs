//! Test fixture: starts a real `nf serve` on an ephemeral loopback port with a temporary
//! storage directory, drives it with the real `nf` binary, and kills it on drop. Also a raw
//! protocol connection for tests that must send what the real client never would.

#![allow(dead_code)]

pub mod bucket;
pub mod relay;
pub mod snapshot;
pub mod stand_in;
pub mod tap;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use bucket::{local_store_only, s3_available, s3_backend, s3_env, Bucket};
#[allow(unused_imports)]
pub use snapshot::{assert_unchanged, place, tree, Tree};

pub const NF: &str = env!("CARGO_BIN_EXE_nf");

/// A running `nf serve` and a scratch directory for the client.
pub struct Server {
    pub child: Option<Child>,
    pub addr: String,
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub work: PathBuf,
    pub config: PathBuf,
    pub log: Arc<Mutex<String>>,
    /// A file-size limit (`ulimit -f`, in KiB) for the server process.
    pub fsize_kib: Option<u64>,
    /// Extra arguments to `nf serve`.
    pub args: Vec<String>,
    /// The server's prefix in the bucket, when the suite runs against the object store.
    pub bucket: Option<Bucket>,
    /// The address it listens on (port 0 the first time): 127.0.0.1 unless the test says.
    pub host: String,
    /// The fingerprint of its TLS identity, from its start-up line.
    pub fingerprint: String,
}

impl Server {
    /// A server with the default settings.
    pub fn start() -> Server {
        Server::with_config("")
    }

    /// A server whose config file holds `extra` (TOML lines) besides `root` and `listen`.
    pub fn with_config(extra: &str) -> Server {
        let mut server = Server::unstarted(extra);
        server.spawn();
        server
    }

    /// A server started with `nf serve ARGS` (flags such as `--read-only`, `--no-compat`).
    pub fn with_args(extra: &str, args: &[&str]) -> Server {
        let mut server = Server::unstarted(extra);
        server.args = args.iter().map(|a| a.to_string()).collect();
        server.spawn();
        server
    }

    /// A server whose process may write files of at most `kib` KiB (`ulimit -f`).
    pub fn with_file_size_limit(extra: &str, kib: u64) -> Server {
        let mut server = Server::unstarted(extra);
        server.fsize_kib = Some(kib);
        server.spawn();
        server
    }

    /// A server storing into the bucket prefix `bucket` (which other servers may share),
    /// whatever `NF_TEST_STORE` says.
    pub fn on_bucket(bucket: &Bucket, extra: &str) -> Server {
        let extra = format!("{extra}\n{}", bucket.config());
        let mut server = Server::unstarted_on(&extra, Some(Bucket::at(&bucket.prefix)));
        server.spawn();
        server
    }

    /// The temporary directories and config file of a server not yet started.
    pub fn unstarted(extra: &str) -> Server {
        let bucket = s3_backend().then(Bucket::fresh);
        let extra = format!(
            "{extra}\n{}",
            bucket.as_ref().map(Bucket::config).unwrap_or_default()
        );
        Server::unstarted_on(&extra, bucket)
    }

    /// `extra` holds the store settings; `bucket` (if any) is where the test looks.
    fn unstarted_on(extra: &str, bucket: Option<Bucket>) -> Server {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("store");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let config = dir.path().join("server.toml");
        std::fs::write(
            &config,
            format!(
                "root = {:?}\nlisten = \"127.0.0.1:0\"\n{extra}\n",
                root.to_str().unwrap(),
            ),
        )
        .unwrap();
        // Owner-only, as a server's config with a token should be (nf warns otherwise).
        std::fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        Server {
            child: None,
            addr: String::new(),
            dir,
            root,
            work,
            config,
            log: Arc::new(Mutex::new(String::new())),
            fsize_kib: None,
            args: Vec::new(),
            bucket,
            host: "127.0.0.1".into(),
            fingerprint: String::new(),
        }
    }

    /// A server listening on `host` (another address of this machine: 127.0.0.2, or an
    /// address in a network namespace the test made) instead of 127.0.0.1.
    pub fn on_host(host: &str, extra: &str) -> Server {
        let mut server = Server::unstarted(extra);
        server.host = host.to_string();
        server.spawn();
        server
    }

    /// Where the server keeps its TLS identity (made on its first start).
    pub fn identity_file(&self) -> PathBuf {
        self.dir.path().join("server-data/nf/identity.pem")
    }

    /// Starts (or restarts) the server process on the same storage directory.
    pub fn spawn(&mut self) {
        let listen = if self.addr.is_empty() {
            format!("{}:0", self.host)
        } else {
            self.addr.clone()
        };
        let mut command = match self.fsize_kib {
            Some(kib) => {
                let mut c = Command::new("bash");
                c.args(["-c", &format!("ulimit -f {kib}; exec \"$0\" \"$@\""), NF]);
                c
            }
            None => Command::new(NF),
        };
        if self.bucket.is_some() {
            // The credentials of the test object store, which may not be in this environment.
            command.envs(s3_env().expect("the test object store").vars.iter().cloned());
        }
        let mut child = command
            .args([
                "--config",
                self.config.to_str().unwrap(),
                "serve",
                "--listen",
                &listen,
            ])
            .args(&self.args)
            .env_remove("NF_SERVER")
            .env_remove("NF_ROOT")
            .env_remove("NF_LISTEN")
            // The server's TLS identity is made in its own data directory.
            .env("XDG_DATA_HOME", self.dir.path().join("server-data"))
            // Nor is the access file of whoever runs the tests read (`access_file`).
            .env("XDG_CONFIG_HOME", self.dir.path().join("server-config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nf serve");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr);
        // Warnings and notes come before the start-up line; they go to the log too.
        let mut before = String::new();
        let mut first = String::new();
        loop {
            first.clear();
            let n = lines.read_line(&mut first).expect("read server banner");
            if n == 0 || first.contains(" listening on ") {
                break;
            }
            before.push_str(&first);
        }
        let addr = first
            .split("listening on ")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .unwrap_or_else(|| panic!("unexpected banner: {first}"))
            .to_string();
        self.fingerprint = first
            .rsplit("TLS identity ")
            .next()
            .filter(|fp| fp.starts_with("sha256//"))
            .unwrap_or_else(|| panic!("no TLS identity in the banner: {first}"))
            .trim()
            .to_string();
        let log = Arc::clone(&self.log);
        log.lock().unwrap().push_str(&before);
        log.lock().unwrap().push_str(&first);
        std::thread::spawn(move || {
            let mut line = String::new();
            while lines.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                log.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        self.addr = addr;
        self.child = Some(child);
    }

    /// Kills the server with SIGKILL and waits for it.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends a signal and waits (bounded) for the process to exit; returns its exit status.
    pub fn signal(&mut self, sig: &str) -> Option<std::process::ExitStatus> {
        let mut c = self.child.take()?;
        Command::new("kill")
            .args([&format!("-{sig}"), &c.id().to_string()])
            .status()
            .unwrap();
        wait_exit(&mut c, Duration::from_secs(10))
    }

    /// True while the server process runs.
    pub fn alive(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// The last server log line matching `pred`, waiting (bounded) for it to arrive: the log
    /// reaches the test through a pipe, a little after the client has its reply.
    pub fn log_line(&self, pred: impl Fn(&str) -> bool) -> String {
        self.log_line_within(Duration::from_secs(10), pred)
    }

    /// [`Server::log_line`], waiting up to `limit` (for what the server does only after one of
    /// its own deadlines).
    pub fn log_line_within(&self, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(line) = self.log.lock().unwrap().lines().rfind(|l| pred(l)) {
                return line.to_string();
            }
            assert!(
                Instant::now() < deadline,
                "no matching log line in:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// The full log once a line matching `pred` has arrived.
    pub fn log_after(&self, pred: impl Fn(&str) -> bool) -> String {
        self.log_line(pred);
        self.log.lock().unwrap().clone()
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// The server's peak resident memory (VmHWM) in KiB.
    pub fn peak_kib(&self) -> u64 {
        self.status_field("VmHWM")
    }

    /// A number from the server's /proc/PID/status: `VmRSS` and `VmHWM` (in KiB), `Threads`.
    pub fn status_field(&self, field: &str) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("read /proc/PID/status");
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in /proc/PID/status"))
    }

    /// The CPU time the server has used so far, user and system, all threads.
    pub fn cpu_time(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).expect("read /proc/PID/stat");
        // The fields after the command name, which is in parentheses and may hold spaces:
        // state is field 3, utime and stime are fields 14 and 15.
        let after = &stat[stat.rfind(')').expect("comm in /proc/PID/stat") + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // SAFETY: sysconf reads a constant of the system.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
        Duration::from_secs_f64(ticks as f64 / per_second as f64)
    }

    /// How many file descriptors the server holds open (sockets among them).
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// Runs `nf ARGS -s ADDR` in the work directory.
    pub fn nf(&self, args: &[&str]) -> Output {
        self.nf_in(&self.work, args)
    }

    /// Runs `nf ARGS -s ADDR` in `dir`.
    pub fn nf_in(&self, dir: &Path, args: &[&str]) -> Output {
        self.cmd_in(dir, args).output().expect("run nf")
    }

    /// The command for `nf ARGS -s ADDR`, to add stdin or environment.
    pub fn cmd_in(&self, dir: &Path, args: &[&str]) -> Command {
        self.cmd_via(&self.addr, dir, args)
    }

    /// The command for `nf ARGS -s VIA` in `dir`, with this server's client settings (its
    /// known-servers file among them): for a client that reaches the server through a relay.
    pub fn cmd_via(&self, via: &str, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = client_command();
        cmd.args(args)
            .args(["-s", via])
            .current_dir(dir)
            .env("NF_CONFIG", self.dir.path().join("client-none.toml"))
            .env("NF_KNOWN_SERVERS", self.dir.path().join("known_servers"))
            .env_remove("NF_SERVER")
            .env_remove("NF_TLS")
            .env_remove("NF_FINGERPRINT")
            .env_remove("NF_TOKEN")
            .env_remove("NF_USER")
            .env_remove("NF_PASSWORD")
            .stdin(Stdio::null());
        if tls_run() {
            // The store suites once over TLS: every client pins the server's identity.
            cmd.env("NF_TLS", "always")
                .env("NF_FINGERPRINT", &self.fingerprint);
        }
        std::fs::write(self.dir.path().join("client-none.toml"), "").unwrap();
        cmd
    }

    /// `nf ls --json`, parsed.
    pub fn ls(&self) -> Vec<serde_json::Value> {
        let out = self.nf(&["ls", "--json"]);
        assert!(out.status.success(), "ls failed: {}", stderr(&out));
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).expect("ls --json is a JSON array")
    }

    /// Names from `nf ls --json`.
    pub fn names(&self) -> Vec<String> {
        self.ls()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    }

    /// Writes a file in the work directory.
    pub fn file(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.work.join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// The names visible in the store: the storage directory's entries (but `.nf`), or the
    /// objects under the server's prefix in the bucket.
    pub fn stored(&self) -> Vec<String> {
        if let Some(bucket) = &self.bucket {
            return bucket.names();
        }
        let mut names: Vec<String> = std::fs::read_dir(&self.root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n != ".nf")
            .collect();
        names.sort();
        names
    }

    /// The content stored under `name`, read from the store itself (not through nf).
    pub fn read_stored(&self, name: &str) -> Vec<u8> {
        match &self.bucket {
            Some(bucket) => bucket.read(name),
            None => std::fs::read(self.root.join(name)).unwrap(),
        }
    }

    /// Stores `content` under `name` behind nf's back: written into the storage directory, or
    /// put into the bucket by another S3 client.
    pub fn place_by_hand(&self, name: &str, content: &[u8]) {
        match &self.bucket {
            Some(bucket) => bucket.write(name, content),
            None => std::fs::write(self.root.join(name), content).unwrap(),
        }
    }

    /// The partial uploads the store holds: files under `.nf/partial`, or the bucket's
    /// unfinished multipart uploads.
    pub fn partials(&self) -> Vec<PathBuf> {
        if let Some(bucket) = &self.bucket {
            return bucket
                .unfinished_uploads()
                .into_iter()
                .map(PathBuf::from)
                .collect();
        }
        match std::fs::read_dir(self.root.join(".nf/partial")) {
            Ok(d) => d.map(|e| e.unwrap().path()).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// A raw protocol connection that has done the handshake.
    pub fn raw(&self) -> Raw {
        let mut raw = Raw::connect(&self.addr);
        raw.send(b"NF/1\n{\"op\":\"hello\",\"client\":\"test\"}\n");
        let hello = raw.json();
        assert_eq!(hello["ok"], true, "{hello}");
        raw
    }

    /// Asserts the server still answers a normal client.
    pub fn assert_serving(&self) {
        let out = self.nf(&["ls", "--json"]);
        assert!(out.status.success(), "server stopped answering: {}", stderr(&out));
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if let Some(bucket) = &self.bucket {
            bucket.clear();
        }
    }
}

/// A raw TCP connection speaking whatever the test writes.
pub struct Raw {
    pub reader: BufReader<TcpStream>,
    pub stream: TcpStream,
}

impl Raw {
    pub fn connect(addr: &str) -> Raw {
        Raw::over(TcpStream::connect(addr).expect("connect"))
    }

    /// A connection to `addr` from the local address `source` (another loopback address such
    /// as 127.0.0.2, to be a client the server tells apart from 127.0.0.1).
    pub fn connect_from(addr: &str, source: &str) -> Raw {
        Raw::over(connect_from(addr, source))
    }

    fn over(stream: TcpStream) -> Raw {
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        stream.set_write_timeout(Some(Duration::from_secs(20))).unwrap();
        Raw {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Sends `bytes`, tolerating a server that already closed.
    pub fn try_send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one reply line; empty string at end of stream.
    pub fn line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.reader.read_line(&mut line);
        line
    }

    /// Reads one reply line as JSON.
    pub fn json(&mut self) -> serde_json::Value {
        let line = self.line();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("reply {line:?} is not JSON: {e}"))
    }

    /// Reads exactly `n` raw bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0u8; n];
        self.reader.read_exact(&mut buf).expect("body");
        buf
    }

    /// True when the server closed the connection (reads end of stream).
    pub fn closed(&mut self) -> bool {
        let mut rest = Vec::new();
        match self.reader.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
}

/// `curl -i` of `http://ADDR` + `path` with `args`: the status, the head's fields (lower-case names), the body.
pub fn curl_response(s: &Server, path: &str, args: &[&str]) -> (u16, Vec<(String, String)>, String) {
    let out = Command::new("curl")
        .args(["-sS", "-i", "--max-time", "60"])
        .args(args)
        .arg(format!("http://{}{path}", s.addr))
        .stdin(Stdio::null())
        .output()
        .expect("curl is installed (.ci/run installs it)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no response in {text:?}: {}", stderr(&out)));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let fields = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, fields, body.to_string())
}

pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// The client the fixture's commands run: this build's `nf`, or the command line in
/// `NF_TEST_CLIENT` (`wine64 /path/nf.exe`: the Windows client under Wine, as .ci/platforms
/// runs the scenarios it lists). Servers are always this build's `nf`.
pub fn client_command() -> Command {
    let given = std::env::var("NF_TEST_CLIENT").unwrap_or_default();
    let mut words = given.split_whitespace();
    let Some(program) = words.next() else {
        return Command::new(NF);
    };
    let mut cmd = Command::new(program);
    cmd.args(words);
    cmd
}

/// True when the fixture's client is a Windows build (`NF_TEST_CLIENT` names an `.exe`): the
/// scenarios that behave differently there say so.
pub fn windows_client() -> bool {
    std::env::var("NF_TEST_CLIENT").is_ok_and(|c| c.to_ascii_lowercase().contains(".exe"))
}

/// The default `max_workers`, as `nf config` shows it: tests that take every worker take this
/// many, so they test the default configuration whatever it is.
pub fn default_workers() -> usize {
    let out = Command::new(NF)
        .arg("config")
        .env("NF_CONFIG", "/dev/null")
        .output()
        .expect("run nf config");
    assert!(out.status.success(), "nf config: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("max_workers = "))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("max_workers in the output of nf config")
}

/// The loopback source address number `i` under `127.0.FIRST.0`: 250 to a /24, so that many
/// clients each have an address of their own.
pub fn loopback_source(first: usize, i: usize) -> String {
    format!("127.0.{}.{}", first + i / 250, 1 + i % 250)
}

/// Sends `request` on a new connection without closing the sending side (like the old
/// clients) and returns everything the server sends before it closes the connection.
pub fn talk(addr: &str, request: &[u8]) -> Vec<u8> {
    let mut raw = Raw::connect(addr);
    raw.send(request);
    let mut reply = Vec::new();
    raw.reader
        .read_to_end(&mut reply)
        .expect("the server replies and closes");
    reply
}

/// A classroom reply: JSON ended by `\r\n\r\n`.
pub fn json_reply(reply: &[u8]) -> serde_json::Value {
    let text = String::from_utf8(reply.to_vec()).unwrap();
    let json = text
        .strip_suffix("\r\n\r\n")
        .unwrap_or_else(|| panic!("the reply does not end with \\r\\n\\r\\n: {text:?}"));
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{json:?}: {e}"))
}

/// A TCP connection to `addr` whose local end is bound to `source` (any port).
pub fn connect_from(addr: &str, source: &str) -> TcpStream {
    connect_with_window(addr, source, None)
}

/// [`connect_from`], with the receive buffer set to `rcvbuf` bytes before connecting (a small
/// window, as a slow reader on a small device has).
pub fn connect_with_window(addr: &str, source: &str, rcvbuf: Option<usize>) -> TcpStream {
    let to: std::net::SocketAddr = addr.parse().expect("an IP address and port");
    let from: std::net::SocketAddr = format!("{source}:0").parse().expect("an IP address");
    let sock =
        socket2::Socket::new(socket2::Domain::for_address(to), socket2::Type::STREAM, None).expect("socket");
    if let Some(bytes) = rcvbuf {
        sock.set_recv_buffer_size(bytes).expect("SO_RCVBUF");
    }
    sock.bind(&from.into()).expect("bind the client's address");
    sock.connect(&to.into()).expect("connect");
    sock.into()
}

/// Waits up to `limit` for `child` to exit and returns its status; kills it if it has not.
pub fn wait_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let mut status = None;
    wait_until(limit, || {
        status = child.try_wait().unwrap();
        status.is_some()
    });
    if status.is_none() {
        let _ = child.kill();
    }
    status
}

/// Waits up to `limit` for `done` to hold, looking every 10 ms; whether it did.
pub fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// This process's hard limit on open files (which a server it starts inherits).
pub fn fd_hard_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a plain syscall on a struct we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    lim.rlim_max
}

/// Raises this process's open-file limit to its hard limit and checks that this allows `want`
/// descriptors: tests that hold many sockets at once need it. (`nf serve` raises its own.)
pub fn raise_fd_limit(want: u64) {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a struct we own.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim), 0);
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &lim), 0);
        }
    }
    assert!(
        lim.rlim_cur >= want,
        "the open-file limit is {} (hard {}), this test needs {want}: raise the hard limit \
         (`ulimit -Hn`) of the shell that runs it",
        lim.rlim_cur,
        lim.rlim_max
    );
}

/// True when `NF_TEST_TLS=1`: the fixture's clients talk to its servers over TLS (`--tls
/// always`, pinned to the server's fingerprint), so the store suites run once over TLS.
pub fn tls_run() -> bool {
    std::env::var("NF_TEST_TLS").is_ok_and(|v| v == "1")
}

/// The bytes an unprivileged writer may still store on the file system of `path` (`df`).
fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(path)
        .output()
        .expect("run df");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("df said {text:?}"))
}

impl Server {
    /// A server with the default limits (`max_file_size` kept above the size, see
    /// [`beyond_free_space`]) and, in its work directory, a sparse file `name` larger than its
    /// free space (nothing on disk). A file-size limit of 64 MiB on the server process keeps a
    /// regression from filling the disk.
    pub fn with_a_file_beyond_its_free_space(name: &str) -> (Server, PathBuf) {
        let (size, within_limit) = beyond_free_space();
        // Free space belongs to a storage directory: this server stores locally whatever
        // `NF_TEST_STORE` says (a bucket has no free space to ask for).
        let mut s = Server::unstarted_on(&within_limit, None);
        s.fsize_kib = Some(64 << 10);
        s.spawn();
        let path = s.work.join(name);
        std::fs::File::create(&path).unwrap().set_len(size).unwrap();
        (s, path)
    }
}

/// A put size 64 GiB beyond the free space where test servers store (the temporary
/// directory; the margin outlasts other work freeing space meanwhile), and the config line
/// that keeps it within `max_file_size` (the default, 1 TiB, unless the disk is larger), so
/// that the free space is what refuses it.
pub fn beyond_free_space() -> (u64, String) {
    let size = free_bytes(&std::env::temp_dir()) + (64 << 30);
    (size, format!("max_file_size = {}", size.max(1 << 40)))
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn blake3_hex(data: &[u8]) -> String {
    blake3::hash(data).to_hex().to_string()
}

/// Asserts the command failed with `code` and that its stderr says `nf: error:` and `needle`.
pub fn assert_fails(out: &Output, code: i32, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "exit code; stderr: {err}");
    assert!(err.contains("nf: error:"), "stderr lacks `nf: error:`: {err}");
    assert!(err.contains(needle), "stderr lacks {needle:?}: {err}");
}

/// Asserts two byte strings are equal, reporting lengths and the first difference (never
/// dumping megabytes into the test log).
#[track_caller]
pub fn assert_same(actual: &[u8], expected: &[u8], what: &str) {
    if actual != expected {
        let first = actual.iter().zip(expected).position(|(a, b)| a != b);
        panic!(
            "{what}: {} bytes, expected {} bytes; first difference at {:?}",
            actual.len(),
            expected.len(),
            first
        );
    }
}

/// The first ```KIND block of docs/PROTOCOL.md as what the client sends (its `C: ` lines) and
/// what the server answers (its `S: ` lines), with the `\r` and `\n` escapes undone: the
/// examples the tests replay against a real server.
pub fn doc_session(kind: &str) -> (String, String) {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/PROTOCOL.md")).unwrap();
    let block = doc
        .split(&format!("```{kind}\n"))
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap_or_else(|| panic!("docs/PROTOCOL.md has no {kind} block"));
    let unescape = |line: &str| line.replace("\\r", "\r").replace("\\n", "\n");
    let (mut sent, mut expected) = (String::new(), String::new());
    for line in block.lines() {
        if let Some(c) = line.strip_prefix("C: ") {
            sent.push_str(&unescape(c));
        } else if let Some(s) = line.strip_prefix("S: ") {
            expected.push_str(&unescape(s));
        }
    }
    (sent, expected)
}
