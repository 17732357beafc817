"""A client of the classroom dialect, behaving as COMPAT.md describes the course's clients.

    classroom.py HOST:PORT list                       prints the reply's JSON
    classroom.py HOST:PORT get NAME OUTFILE           writes the decoded file, prints the JSON
                                                      without data_file
    classroom.py HOST:PORT upload NAME INFILE [WORD]  WORD is UPLOAD (default) or POST
    classroom.py HOST:PORT delete NAME

Quirks kept on purpose: `LIST` and `GET NAME` are sent like the course's reference client, with
no terminator at all and without closing the sending side; `UPLOAD`/`POST` and `DELETE` end
with `\\r\\n\\r\\n`. Replies are read until `\\r\\n\\r\\n` and parsed as JSON. Every socket
operation has a timeout, so a test never hangs on this script.
"""

import base64
import json
import socket
import sys

TIMEOUT = 30
END = b"\r\n\r\n"


def request(addr, data):
    host, port = addr.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
    sock.settimeout(TIMEOUT)
    sock.sendall(data)
    chunks = []
    tail = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        tail = (tail + chunk)[-len(END):]
        if tail == END:
            break
    sock.close()
    reply = b"".join(chunks)
    if not reply.endswith(END):
        sys.exit("the reply does not end with \\r\\n\\r\\n: %r" % reply[-200:])
    return json.loads(reply.decode())


def show(obj):
    sys.stdout.write(json.dumps(obj))


def main():
    addr, command, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    if command == "list":
        show(request(addr, b"LIST"))
    elif command == "get":
        name, out = args
        reply = request(addr, ("GET %s" % name).encode())
        if reply["status"] == "OK":
            with open(out, "wb") as f:
                f.write(base64.b64decode(reply.pop("data_file")))
        show(reply)
    elif command == "upload":
        name, path = args[0], args[1]
        word = args[2] if len(args) > 2 else "UPLOAD"
        with open(path, "rb") as f:
            text = base64.b64encode(f.read())
        show(request(addr, ("%s %s " % (word, name)).encode() + text + END))
    elif command == "delete":
        show(request(addr, ("DELETE %s" % args[0]).encode() + END))
    else:
        sys.exit("unknown command %r" % command)


main()
