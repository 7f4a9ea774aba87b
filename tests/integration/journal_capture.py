#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for journald's native socket that records what clients send (for field order).

  journal_capture.py SOCKET OUT

Binds SOCKET (AF_UNIX, SOCK_DGRAM) and decodes every datagram with journald's native protocol
(https://systemd.io/JOURNAL_NATIVE_PROTOCOL/): `NAME=VALUE\\n`, or `NAME\\n` + 64-bit little-endian
length + VALUE + `\\n` for values with newlines; an empty datagram with an SCM_RIGHTS fd (a sealed
memfd) carries a large entry. Appends one JSON line per entry to OUT:
    {"pid": SENDER-PID, "fields": [[NAME, VALUE], ...]}   (in the order sent)
VALUE is the raw bytes decoded as latin-1 (so value.encode("latin-1") gives the bytes back).
Malformed datagrams are written as {"error": "..."}. Stops at an entry with JOURNAL_CAPTURE_END=1,
or when its parent process goes away.
"""
import array
import json
import os
import socket
import struct
import sys


def parse(data):
    fields = []
    i = 0
    while i < len(data):
        nl = data.find(b"\n", i)
        if nl < 0:
            raise ValueError("field without a newline at %d" % i)
        line = data[i:nl]
        eq = line.find(b"=")
        if eq >= 0:
            fields.append((line[:eq], line[eq + 1:]))
            i = nl + 1
            continue
        name = line
        if nl + 9 > len(data):
            raise ValueError("binary field %r without a length" % name)
        (n,) = struct.unpack("<Q", data[nl + 1:nl + 9])
        start = nl + 9
        if start + n + 1 > len(data) or data[start + n:start + n + 1] != b"\n":
            raise ValueError("binary field %r: bad length %d" % (name, n))
        fields.append((name, data[start:start + n]))
        i = start + n + 1
    return fields


def main():
    path, out = sys.argv[1], sys.argv[2]
    parent = os.getppid()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.bind(path)
    os.chmod(path, 0o666)
    s.settimeout(1)
    fdsize = array.array("i").itemsize
    with open(out, "a") as f:
        while True:
            try:
                data, anc, _, _ = s.recvmsg(1 << 20, socket.CMSG_SPACE(16 * fdsize) + socket.CMSG_SPACE(12))
            except socket.timeout:
                if os.getppid() != parent:
                    return
                continue
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds = array.array("i")
                    fds.frombytes(payload[: len(payload) - len(payload) % fdsize])
                    for fd in fds:
                        data += os.pread(fd, os.fstat(fd).st_size, 0)
                        os.close(fd)
                elif level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", payload[:12])[0]
            try:
                fields = parse(data)
            except ValueError as e:
                f.write(json.dumps({"error": str(e)}) + "\n")
                f.flush()
                continue
            if (b"JOURNAL_CAPTURE_END", b"1") in fields:
                return
            rec = {"pid": pid, "fields": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in fields]}
            f.write(json.dumps(rec) + "\n")
            f.flush()


if __name__ == "__main__":
    main()
