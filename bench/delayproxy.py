#!/usr/bin/env python3
"""A userspace TCP proxy that puts a long, narrow link between a client and a server on loopback.

Each direction of each connection gets a one-way delay and a rate: a chunk read from one side
leaves the "link" when the link is free (its serialization time is len * 8 / rate) and is
written to the other side `delay` later. What a direction holds (on the wire plus its queue) is
bounded; when it is full the proxy stops reading, so the sender feels TCP back-pressure as it
would behind a real bottleneck. Loopback only: it listens on 127.0.0.1 and connects to a
127.0.0.0/8 target.

It cannot model loss, reordering, jitter or TCP's own congestion control across the link (the
sender's TCP talks to the proxy over loopback, so its slow start ends at once): see
bench/README.md. Standard library only.

With --log, one line per connection when it ends: its duration, bytes each way, and its turns,
the times one side started sending again after being silent for at least half the round trip
while the other side's data reached it. A request/reply exchange costs two turns (the server's
answer, then the client's next request); `turns_client` counts the client's waits, one per
round trip the client spent waiting for the server.

    delayproxy.py --listen PORT --to 127.0.0.1:PORT --rtt-ms 50 --mbit 100 [--log FILE]
"""

import argparse
import collections
import socket
import sys
import threading
import time

CHUNK = 16 * 1024


class Direction:
    """One way of one connection: a reader thread queues chunks with their delivery time, a
    writer thread writes each at that time."""

    def __init__(self, src, dst, delay, rate, conn, name):
        self.src, self.dst = src, dst
        self.delay, self.rate = delay, rate  # seconds, bytes per second (0: unlimited)
        self.conn, self.name = conn, name
        self.queue = collections.deque()
        self.held = 0
        # On the wire for the delay, plus a queue of 256 KiB or one more delay's worth.
        self.limit = max(256 * 1024, int(2 * rate * delay)) + CHUNK if rate else 64 << 20
        self.cond = threading.Condition()
        self.link_free = 0.0
        self.bytes = 0

    def read_loop(self):
        try:
            while True:
                data = self.src.recv(CHUNK)
                now = time.monotonic()
                with self.cond:
                    while self.held >= self.limit and not self.conn.closed:
                        self.cond.wait(0.5)
                    if self.conn.closed:
                        return
                    if data:
                        self.conn.saw(self.name, now)
                        start = max(now, self.link_free)
                        self.link_free = start + (len(data) / self.rate if self.rate else 0)
                        self.queue.append((self.link_free + self.delay, data))
                        self.held += len(data)
                        self.bytes += len(data)
                    else:
                        self.queue.append((max(now, self.link_free) + self.delay, b""))
                    self.cond.notify_all()
                if not data:
                    return
        except OSError:
            self.conn.close()

    def write_loop(self):
        try:
            while True:
                with self.cond:
                    while not self.queue and not self.conn.closed:
                        self.cond.wait(0.5)
                    if self.conn.closed:
                        return
                    due, data = self.queue[0]
                wait = due - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                with self.cond:
                    self.queue.popleft()
                    self.held -= len(data)
                    self.cond.notify_all()
                if not data:
                    self.dst.shutdown(socket.SHUT_WR)
                    self.conn.half_closed()
                    return
                self.conn.delivered(self.name, time.monotonic())
                self.dst.sendall(data)
        except OSError:
            self.conn.close()


class Conn:
    """One proxied connection and its counters."""

    def __init__(self, client, server, args, log):
        self.client, self.server, self.log = client, server, log
        self.closed = False
        self.halves = 0
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.gap = args.rtt_ms / 2000.0
        # Per sender: when it last sent, and whether the other side got data since then.
        self.last_sent = {"up": None, "down": None}
        self.heard = {"up": False, "down": False}
        self.turns = {"up": 0, "down": 0}
        delay = args.rtt_ms / 2000.0
        rate = args.mbit * 1e6 / 8
        self.up = Direction(client, server, delay, rate, self, "up")
        self.down = Direction(server, client, delay, rate, self, "down")
        # The TCP handshake across the link: the client's first bytes leave one round trip
        # after its connect, and the server's first bytes reach the client two round trips after.
        rtt = args.rtt_ms / 1000.0
        self.up.link_free = self.started + rtt
        self.down.link_free = self.started + 1.5 * rtt

    def saw(self, name, now):
        """`name`'s sender sent data at `now`: a turn if it was silent long enough and heard
        from the other side meanwhile."""
        with self.lock:
            last = self.last_sent[name]
            if last is None or (now - last >= self.gap and self.heard[name]):
                self.turns[name] += 1
            self.last_sent[name] = now
            self.heard[name] = False

    def delivered(self, name, _now):
        """Data of direction `name` reached its receiver."""
        with self.lock:
            self.heard["down" if name == "up" else "up"] = True

    def start(self):
        for d in (self.up, self.down):
            threading.Thread(target=d.read_loop, daemon=True).start()
            threading.Thread(target=d.write_loop, daemon=True).start()

    def half_closed(self):
        with self.lock:
            self.halves += 1
            done = self.halves == 2
        if done:
            self.close()

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for d in (self.up, self.down):
            with d.cond:
                d.cond.notify_all()
        for s in (self.client, self.server):
            try:
                s.close()
            except OSError:
                pass
        if self.log:
            line = (
                f"conn secs={time.monotonic() - self.started:.3f} up={self.up.bytes} "
                f"down={self.down.bytes} turns_client={self.turns['up']} "
                f"turns_server={self.turns['down']}\n"
            )
            with open(self.log, "a") as f:
                f.write(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", type=int, required=True, help="port on 127.0.0.1 (0: any)")
    ap.add_argument("--to", required=True, help="127.x.y.z:PORT to forward to")
    ap.add_argument("--rtt-ms", type=float, required=True, help="round trip (each way gets half)")
    ap.add_argument("--mbit", type=float, required=True, help="rate of each direction, Mbit/s (0: unlimited)")
    ap.add_argument("--log", help="append one line per connection to this file")
    args = ap.parse_args()
    host, port = args.to.rsplit(":", 1)
    if not host.startswith("127."):
        sys.exit("delayproxy: loopback targets only (127.0.0.0/8)")
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", args.listen))
    lsock.listen(128)
    print(f"listening 127.0.0.1:{lsock.getsockname()[1]}", flush=True)
    while True:
        client, _ = lsock.accept()
        try:
            server = socket.create_connection((host, int(port)))
        except OSError:
            client.close()
            continue
        for s in (client, server):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        Conn(client, server, args, args.log).start()


if __name__ == "__main__":
    main()
