"""A client of the seed dialect, behaving as COMPAT.md describes the old seed clients.

    seed.py HOST:PORT list                    prints the reply as it is
    seed.py HOST:PORT download NAME OUTFILE   writes the decoded file
    seed.py HOST:PORT upload NAME INFILE      prints the last reply

Quirks kept on purpose: no terminator and no half-close after `list` and `download`; `list`
reads once (up to 1024 bytes); `download` reads 1024 bytes at a time and stops at the first
short read; `upload` sends the command with the first 1024 bytes of MIME base64, then one
1024-byte piece after each reply, and closes after the last reply. Every socket operation has a
timeout, so a test never hangs on this script.
"""

import base64
import socket
import sys

TIMEOUT = 30


def connect(addr):
    host, port = addr.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    sock.settimeout(TIMEOUT)
    return sock


def do_list(addr):
    sock = connect(addr)
    sock.sendall(b"list")
    reply = sock.recv(1024)
    sys.stdout.write(reply.decode())
    sock.close()


def do_download(addr, name, out):
    sock = connect(addr)
    sock.sendall(("download %s" % name).encode())
    data = bytearray()  # appended like the old client's bytes, without its quadratic cost
    while True:
        chunk = sock.recv(1024)
        data += chunk
        if len(chunk) < 1024:
            break
    sock.close()
    data = bytes(data)
    if data == b"ERROR":
        sys.stdout.write("ERROR")
        sys.exit(3)
    content = base64.decodebytes(data)
    with open(out, "wb") as f:
        f.write(content)
    sys.stdout.write("%d" % len(content))


def do_upload(addr, name, path):
    with open(path, "rb") as f:
        text = base64.encodebytes(f.read())
    sock = connect(addr)
    sock.sendall(("upload %s " % name).encode() + text[:1024])
    reply = sock.recv(1024)
    pos = 1024
    while pos < len(text):
        sock.sendall(text[pos : pos + 1024])
        pos += 1024
        reply = sock.recv(1024)
    sys.stdout.write(reply.decode())
    sock.close()


def main():
    addr, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "list":
        do_list(addr)
    elif command == "download":
        do_download(addr, *args)
    elif command == "upload":
        do_upload(addr, *args)
    else:
        sys.exit("unknown command %r" % command)


main()
