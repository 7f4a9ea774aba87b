#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Record, in order, the names that appear in some directories (inotify), so a test can tell which
of two files was in place first (16-exit-json.bats: exit.json before the exit file).

  dir_events.py OUT DIR... [--until PATH] [--timeout SECS]

Watches each DIR for IN_CREATE and IN_MOVED_TO (one inotify instance, so the events of all the
directories come in one ordered queue) and writes OUT.ready once the watches are in place. Each
event is appended to OUT as "<DIR>/<name> CREATE" or "<DIR>/<name> MOVED_TO". Ends when PATH has
appeared (plus 0.3 s for stragglers), when OUT.stop exists, or after SECS (default 60); then writes
OUT.done.
"""
import argparse
import ctypes
import os
import select
import struct
import sys
import time

IN_CREATE = 0x100
IN_MOVED_TO = 0x80
IN_NONBLOCK = 0o4000
IN_CLOEXEC = 0o2000000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--until")
    ap.add_argument("--timeout", type=float, default=60.0)
    args = ap.parse_args()

    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    if fd < 0:
        sys.exit("inotify_init1 failed: %s" % os.strerror(ctypes.get_errno()))
    wds = {}
    for d in args.dirs:
        wd = libc.inotify_add_watch(fd, os.fsencode(d), IN_CREATE | IN_MOVED_TO)
        if wd < 0:
            sys.exit("inotify_add_watch %s: %s" % (d, os.strerror(ctypes.get_errno())))
        wds[wd] = d
    open(args.out, "w").close()
    open(args.out + ".ready", "w").close()

    deadline = time.monotonic() + args.timeout
    until_seen = None
    while time.monotonic() < deadline:
        if os.path.exists(args.out + ".stop"):
            break
        if until_seen is not None and time.monotonic() - until_seen > 0.3:
            break
        r, _, _ = select.select([fd], [], [], 0.05)
        if not r:
            continue
        try:
            buf = os.read(fd, 65536)
        except BlockingIOError:
            continue
        lines = []
        off = 0
        while off + 16 <= len(buf):
            wd, mask, _cookie, nlen = struct.unpack_from("iIII", buf, off)
            name = buf[off + 16: off + 16 + nlen].rstrip(b"\0").decode()
            off += 16 + nlen
            path = os.path.join(wds.get(wd, "?"), name)
            kind = "MOVED_TO" if mask & IN_MOVED_TO else "CREATE"
            lines.append("%s %s\n" % (path, kind))
            if args.until is not None and path == args.until and until_seen is None:
                until_seen = time.monotonic()
        with open(args.out, "a") as f:
            f.writelines(lines)
    os.close(fd)
    open(args.out + ".done", "w").close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
