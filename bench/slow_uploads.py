#!/usr/bin/env python3
"""How many slow but honest uploads may hold nf's workers before other requests wait (issue 23).

Starts `nf serve` (default configuration but for `--workers`), opens N native uploads from
N loopback addresses (127.0.8.1 ...), each sending its body at RATE bytes a second (above the
64 KiB/s under which a transfer may be cut to make room), and meanwhile runs `nf ls` every
PROBE seconds from 127.0.0.1. Prints one JSON line: how many probes were served, their times,
and the server's threads and resident memory while every upload runs.

    bench/slow_uploads.py NF_BINARY [--uploads 300] [--rate 102400] [--secs 60] [--workers 512]

With a --rate far above what loopback carries (e.g. --rate 1000000000 --size 67108864), the
uploads are fast ones of --size bytes each: the worst case of a worker's memory (the hashing
buffers of a large body).

Loopback only; every wait is bounded.
"""
import argparse
import asyncio
import json
import os
import socket
import subprocess
import tempfile
import time


def status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def upload(port, i, rate, until, started, size):
    src = f"127.0.{8 + i // 250}.{1 + i % 250}"
    sock = socket.socket()
    sock.bind((src, 0))
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", port))
    head = b'NF/1\n{"op":"hello","client":"bench"}\n' + json.dumps(
        {"op": "put", "name": f"slow{i}.bin", "size": size}).encode() + b"\n"
    await loop.sock_sendall(sock, head)
    paced = rate // 10 <= 1 << 20
    chunk = b"x" * min(rate // 10, 1 << 20)
    sent = 0
    while time.monotonic() < until and sent + len(chunk) < size:
        try:
            await asyncio.wait_for(loop.sock_sendall(sock, chunk), 5)
        except (OSError, asyncio.TimeoutError):
            return False
        sent += len(chunk)
        await asyncio.sleep(0.1 if paced else 0)
    started.append(i)
    sock.close()
    return True


async def probe(nf, addr, every, until, results):
    while time.monotonic() < until:
        t = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            nf, "ls", "-s", addr, stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE, env={**os.environ, "NF_CONFIG": "/dev/null"})
        try:
            _, err = await asyncio.wait_for(proc.communicate(), 120)
        except asyncio.TimeoutError:
            proc.kill()
            err = b"killed after 120 s"
        results.append({"ok": proc.returncode == 0, "secs": round(time.monotonic() - t, 2),
                        "err": err.decode(errors="replace").strip()[-120:]})
        await asyncio.sleep(max(0.0, every - (time.monotonic() - t)))


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("nf")
    ap.add_argument("--uploads", type=int, default=300)
    ap.add_argument("--rate", type=int, default=100 * 1024)
    ap.add_argument("--secs", type=float, default=60)
    ap.add_argument("--workers", type=int, default=512)
    ap.add_argument("--probe", type=float, default=2)
    ap.add_argument("--size", type=int, default=1 << 30,
                    help="largest body declared; with a high --rate, FAST uploads of this size")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        conf = os.path.join(d, "nf.toml")
        with open(conf, "w") as f:
            f.write(f'root = "{d}/root"\nlisten = "127.0.0.1:{port}"\nmax_workers = {a.workers}\n')
        server = subprocess.Popen([a.nf, "serve"], env={**os.environ, "NF_CONFIG": conf},
                                  stderr=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), 0.1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            until = time.monotonic() + a.secs
            done, probes = [], []
            # A size the server can hold (it refuses a body beyond its free space before reading
            # it): what RATE sends in SECS, and no more than --size.
            size = min(a.size, int(a.rate * (a.secs + 10)))
            tasks = [asyncio.create_task(upload(port, i, a.rate, until, done, size))
                     for i in range(a.uploads)]
            await asyncio.sleep(3)
            held = {"threads": status(server.pid, "Threads"), "rss_kib": status(server.pid, "VmRSS")}
            await probe(a.nf, f"127.0.0.1:{port}", a.probe, until, probes)
            kept = sum(await asyncio.gather(*tasks))
            served = [p for p in probes if p["ok"]]
            print(json.dumps({
                "uploads": a.uploads, "rate": a.rate, "workers": a.workers, "secs": a.secs,
                "uploads_kept_going": kept, "server_while_held": held,
                "probes": len(probes), "probes_served": len(served),
                "probe_secs": sorted(p["secs"] for p in probes),
                "first_failure": next((p["err"] for p in probes if not p["ok"]), None),
                "peak_rss_kib": status(server.pid, "VmHWM"),
            }))
        finally:
            server.terminate()
            server.wait(20)


asyncio.run(main())
