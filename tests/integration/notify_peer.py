#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A stand-in for systemd's notify socket (interface.md §12), for 15-notify.bats and e2e
08-sdnotify.bats.

  notify_peer.py SOCKET OUTPREFIX [--hold] [--timeout SECS] [--expect N]

Binds an AF_UNIX SOCK_DGRAM socket at SOCKET (mode 0777), then writes OUTPREFIX.ready. Every
datagram received is appended to OUTPREFIX.jsonl as one JSON line:
  {"t": <CLOCK_REALTIME seconds>, "data": "<payload, latin-1>", "pid": <sender pid or null>}
(the sender's pid from SCM_CREDENTIALS). OUTPREFIX.count holds the number received so far.
With --hold nothing is read until OUTPREFIX.stop exists (the queue fills up, as with a stuck
systemd); then the queued datagrams are read and recorded. The peer ends when OUTPREFIX.stop
exists, after --expect N datagrams (default: never), or after --timeout seconds (default 60),
and writes OUTPREFIX.done. The socket file is removed at the end.
"""
import argparse
import json
import os
import select
import socket
import struct
import sys
import time

SO_PASSCRED = 16
SCM_CREDENTIALS = 2


def write_atomic(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("out")
    ap.add_argument("--hold", action="store_true")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--expect", type=int, default=None)
    args = ap.parse_args()

    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_PASSCRED, 1)
    try:
        os.unlink(args.socket)
    except FileNotFoundError:
        pass
    s.bind(args.socket)
    os.chmod(args.socket, 0o777)
    s.setblocking(False)
    count = 0
    write_atomic(args.out + ".count", "0")
    open(args.out + ".jsonl", "w").close()
    write_atomic(args.out + ".ready", str(os.getpid()))

    stop = args.out + ".stop"
    deadline = time.monotonic() + args.timeout

    def drain():
        nonlocal count
        got = False
        while True:
            try:
                data, anc, _, _ = s.recvmsg(65536, socket.CMSG_SPACE(12))
            except BlockingIOError:
                return got
            pid = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == SCM_CREDENTIALS and len(cdata) >= 12:
                    pid = struct.unpack("iII", cdata[:12])[0]
            with open(args.out + ".jsonl", "a") as f:
                f.write(json.dumps({"t": time.time(), "data": data.decode("latin-1"), "pid": pid}) + "\n")
            count += 1
            write_atomic(args.out + ".count", str(count))
            got = True

    while time.monotonic() < deadline:
        if os.path.exists(stop):
            break
        if args.hold:
            time.sleep(0.02)
            continue
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            drain()
        if args.expect is not None and count >= args.expect:
            break
    drain()
    s.close()
    try:
        os.unlink(args.socket)
    except OSError:
        pass
    write_atomic(args.out + ".done", str(count))
    return 0


if __name__ == "__main__":
    sys.exit(main())
