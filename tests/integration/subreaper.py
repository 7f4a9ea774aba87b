#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Run a command as a child subreaper and reap everything that ends up under it.

  subreaper.py STATEDIR [--timeout SECS] -- CMD [ARGS...]

PID 1 on the test machines does not reap orphans: a process whose parent dies (the vigil daemon
after its engine was killed, a runtime left behind...) would stay a zombie forever. Under this
wrapper such processes are reparented here instead (PR_SET_CHILD_SUBREAPER) and reaped.

Files in STATEDIR:
  reaper.pid   this process
  reaped       one line per reaped process: "<pid> <status>" (exit code, or 128+signal),
               appended and flushed as it happens
  cmd.rc       CMD's exit status, once CMD has exited
  done         everything under this process has been reaped (or the timeout hit)
  timeout      the timeout hit: the remaining descendants got SIGKILL

Ends when CMD and every process reparented here have exited, or after --timeout seconds
(default 180). Exit status: CMD's. SIGINT/SIGTERM are ignored (the CMD decides).
"""
import argparse
import os
import signal
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from procs import become_subreaper, descendants, status_code  # noqa: E402

def main():
    if "--" not in sys.argv:
        sys.exit("usage: subreaper.py STATEDIR [--timeout SECS] -- CMD [ARGS...]")
    split = sys.argv.index("--")
    ap = argparse.ArgumentParser()
    ap.add_argument("state")
    ap.add_argument("--timeout", type=float, default=180.0)
    args = ap.parse_args(sys.argv[1:split])
    argv = sys.argv[split + 1:]
    os.makedirs(args.state, exist_ok=True)
    with open(os.path.join(args.state, "reaper.pid"), "w") as f:
        f.write(str(os.getpid()))
    if not become_subreaper():
        sys.exit("subreaper: PR_SET_CHILD_SUBREAPER failed")
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            os.write(2, ("subreaper: exec %s: %s\n" % (argv[0], e)).encode())
        os._exit(127)

    deadline = time.monotonic() + args.timeout
    rc = None
    log = open(os.path.join(args.state, "reaped"), "a", buffering=1)
    while True:
        try:
            p, st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if p == 0:
            if time.monotonic() > deadline:
                open(os.path.join(args.state, "timeout"), "w").close()
                for d in descendants(os.getpid()):
                    try:
                        os.kill(d, signal.SIGKILL)
                    except OSError:
                        pass
                deadline = float("inf")
            time.sleep(0.02)
            continue
        code = status_code(st)
        log.write("%d %d\n" % (p, code))
        if p == pid:
            rc = code
            with open(os.path.join(args.state, "cmd.rc"), "w") as f:
                f.write(str(code))
    log.close()
    open(os.path.join(args.state, "done"), "w").close()
    return rc if rc is not None else 255


if __name__ == "__main__":
    sys.exit(main())
