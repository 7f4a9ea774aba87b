#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Attach clients that come and go (interface.md §6): connect/disconnect cycles against one
attach socket, for the fault tests (22-faults-io.bats) and the load script (tests/load/load.sh).

  attach_churn.py SOCKET N [--mode MODE] [--timeout SECS] [--pause SECS]

Each cycle opens the socket O_PATH and connects through /proc/self/fd/N (as podman does, so the
socket path length does not matter), then, by MODE:
  close      close at once
  shutdown   shutdown(SHUT_WR) (what engines do at the end of input), then close
  send       send one short message, then close
  read       wait (at most 1 s) for one output message, then close
  mixed      cycle through close, shutdown, read (default; never sends input)
  mixed-send like mixed, plus send
Prints one JSON line: {"cycles": N, "connect_errors": E, "messages": M, "seconds": S}.
Exit status 0 if every connect succeeded, 1 otherwise, 2 on timeout (default 120 s).
"""
import argparse
import json
import os
import select
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("n", type=int)
    ap.add_argument("--mode", default="mixed",
                    choices=["close", "shutdown", "send", "read", "mixed", "mixed-send"])
    ap.add_argument("--timeout", type=float, default=120.0)
    ap.add_argument("--pause", type=float, default=0.0, help="sleep between cycles")
    args = ap.parse_args()

    modes = {"mixed": ["close", "shutdown", "read"],
             "mixed-send": ["close", "shutdown", "read", "send"]}.get(args.mode, [args.mode])
    t0 = time.monotonic()
    errors = messages = 0
    for i in range(args.n):
        if time.monotonic() - t0 > args.timeout:
            print(json.dumps({"cycles": i, "timeout": True}))
            return 2
        mode = modes[i % len(modes)]
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            fd = os.open(args.socket, os.O_PATH)
            try:
                s.connect("/proc/self/fd/%d" % fd)
            finally:
                os.close(fd)
        except OSError as e:
            errors += 1
            if errors == 1:
                print("connect failed: %s" % e, file=sys.stderr)
            s.close()
            continue
        if mode == "shutdown":
            s.shutdown(socket.SHUT_WR)
        elif mode == "send":
            s.send(b"x")
        elif mode == "read":
            r, _, _ = select.select([s], [], [], 1.0)
            if r and s.recv(65536):
                messages += 1
        s.close()
        if args.pause:
            time.sleep(args.pause)
    print(json.dumps({"cycles": args.n, "connect_errors": errors, "messages": messages,
                      "seconds": round(time.monotonic() - t0, 3)}))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
