#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A minimal container engine for the integration tests: it starts vigil the way podman and
CRI-O do and records what it observes in a state directory.

  engine.py --state DIR [options] -- VIGIL [ARGS...]

What it does (interface.md §2, §3, §4.4):
  * makes itself a child subreaper, so the vigil daemon is reparented to it once the
    intermediate parent exits, and its exit status can be collected;
  * passes _OCI_SYNCPIPE (fd 3) and _OCI_STARTPIPE (fd 4), each one end of a SOCK_SEQPACKET
    socketpair (or of a pipe with --sync-kind/--start-kind pipe);
  * gives vigil /dev/null as stdin and the files DIR/vigil.out and DIR/vigil.err as stdout/stderr;
  * writes the start byte (at once, or when DIR/go appears with --hold-start);
  * waits for the launched process, and records the daemon.

Files written to DIR (each written once, atomically):
  launch.pid  launch.rc   pid and exit status of the process the engine started
  daemon.pid  daemon.rc   pid and exit status of the monitor daemon (the launched process with --foreground)
  sync.first             the first record read from the sync pipe (raw bytes, up to and incl. "\\n")
  sync.all               every byte read from the sync pipe, written when the engine finishes
  sync.eof               exists if the sync pipe reached EOF
  snapshot               with --snapshot F: F's content when the launched process was reaped
                         (snapshot.missing if F did not exist then)
  inherit.result         with --inherit-fd N --exit-file F: "closed" if the engine's read end of the
                         inherited pipe was at EOF when F was first seen to exist, else "open"
  attach.first           with --attach-pipe: the first record read from the attach pipe (§4.5)
  attach.all             with --attach-pipe: every byte read from the attach pipe (written at the end)
  start2.written         with --attach-pipe: the second start byte was written (after DIR/go2 appeared)
  done                   the engine finished; engine.timeout if it gave up

Exit status of the launched and daemon processes: the exit code, or 128+signal if killed.
"""
import argparse
import fcntl
import os
import select
import signal
import socket
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from procs import become_subreaper, children_of, status_code  # noqa: E402

def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.rename(tmp, path)


def make_channel(kind):
    """Return (engine_end, vigil_end) fds. Engine end is O_NONBLOCK, both are CLOEXEC."""
    if kind == "seqpacket":
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours, theirs = a.detach(), b.detach()
        return ours, theirs
    r, w = os.pipe()
    return r, w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--sync-kind", choices=["seqpacket", "pipe", "none"], default="seqpacket")
    ap.add_argument("--start-kind", choices=["seqpacket", "pipe", "none"], default="seqpacket")
    ap.add_argument("--hold-start", action="store_true", help="write the start byte only once STATE/go exists")
    ap.add_argument("--start-eof", action="store_true", help="close the start pipe instead of writing the byte")
    ap.add_argument("--snapshot", default=None, help="copy this file to STATE/snapshot when the launched process is reaped")
    ap.add_argument("--foreground", action="store_true", help="vigil runs with --sync: the launched process is the daemon")
    ap.add_argument("--inherit-fd", type=int, default=None, help="pass the write end of a pipe as this fd, without CLOEXEC")
    ap.add_argument("--exit-file", default=None, help="exit file to watch for --inherit-fd")
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--env", action="append", default=[], help="K=V: set in vigil's environment last")
    ap.add_argument("--cwd", default=None, help="run vigil in this directory (CRI-O: the bundle)")
    ap.add_argument("--close-sync-after-first", action="store_true",
                    help="close the engine's end of the sync pipe once the first record is read "
                    "(podman exec reads the pid record, then closes it)")
    ap.add_argument("--attach-pipe", action="store_true",
                    help="exec attach handshake (§4.5): pass _OCI_ATTACHPIPE=5 (a SOCK_SEQPACKET socketpair), "
                    "record its first message in STATE/attach.first, and write a second start byte once "
                    "STATE/go2 exists")
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    argv = args.argv[1:] if args.argv and args.argv[0] == "--" else args.argv
    state = args.state
    deadline = time.monotonic() + args.timeout

    write_atomic(os.path.join(state, "engine.pid"), str(os.getpid()))
    if not become_subreaper():
        sys.exit("engine: PR_SET_CHILD_SUBREAPER failed")

    # Engine-side ends are kept at fds >= 10, so the dup2 calls in the child never collide.
    def high(fd):
        n = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(fd)
        return n

    sync_ours = sync_theirs = start_ours = start_theirs = None
    if args.sync_kind != "none":
        r, w = make_channel(args.sync_kind)
        # for a pipe the engine reads and vigil writes
        sync_ours, sync_theirs = high(r), high(w)
    if args.start_kind != "none":
        if args.start_kind == "pipe":
            r, w = os.pipe()
            start_ours, start_theirs = high(w), high(r)
        else:
            a, b = make_channel("seqpacket")
            start_ours, start_theirs = high(a), high(b)
    inh_read = inh_write = None
    if args.inherit_fd is not None:
        r, w = os.pipe()
        inh_read, inh_write = high(r), high(w)
    attach_ours = attach_theirs = None
    if args.attach_pipe:
        a, b = make_channel("seqpacket")
        attach_ours, attach_theirs = high(a), high(b)
    devnull = high(os.open("/dev/null", os.O_RDONLY))
    out = high(os.open(os.path.join(state, "vigil.out"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
    err = high(os.open(os.path.join(state, "vigil.err"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))

    env = dict(os.environ)
    env.pop("_OCI_SYNCPIPE", None)
    env.pop("_OCI_STARTPIPE", None)
    if sync_theirs is not None:
        env["_OCI_SYNCPIPE"] = "3"
    if start_theirs is not None:
        env["_OCI_STARTPIPE"] = "4"
    env.pop("_OCI_ATTACHPIPE", None)
    if attach_theirs is not None:
        env["_OCI_ATTACHPIPE"] = "5"
    for kv in args.env:
        k, v = kv.split("=", 1)
        env[k] = v

    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(devnull, 0)
            os.dup2(out, 1)
            os.dup2(err, 2)
            if sync_theirs is not None:
                os.dup2(sync_theirs, 3)
            if start_theirs is not None:
                os.dup2(start_theirs, 4)
            if inh_write is not None:
                os.dup2(inh_write, args.inherit_fd)
            if attach_theirs is not None:
                os.dup2(attach_theirs, 5)
            if args.cwd is not None:
                os.chdir(args.cwd)
            os.execve(argv[0], argv, env)
        except OSError as e:
            os.write(2, ("engine: exec %s: %s\n" % (argv[0], e)).encode())
        os._exit(127)

    write_atomic(os.path.join(state, "launch.pid"), str(pid))
    for fd in (sync_theirs, start_theirs, inh_write, attach_theirs, devnull, out, err):
        if fd is not None:
            os.close(fd)
    if sync_ours is not None:
        os.set_blocking(sync_ours, False)
    if attach_ours is not None:
        os.set_blocking(attach_ours, False)
    attach_buf = b""
    attach_first_written = False
    start2_written = attach_ours is None

    start_written = start_ours is None
    launch_rc = None
    daemon_pid = pid if args.foreground else None
    daemon_rc = None
    daemon_gone_at = None
    reaped = {}
    sync_buf = b""
    sync_eof = sync_ours is None
    first_written = False
    inherit_done = args.inherit_fd is None or args.exit_file is None
    timed_out = False

    while True:
        now = time.monotonic()
        if now > deadline:
            timed_out = True
            break
        if not start_written and (not args.hold_start or os.path.exists(os.path.join(state, "go"))):
            try:
                if args.start_eof:
                    os.close(start_ours)
                else:
                    os.write(start_ours, b"\0")
            except OSError:
                pass
            start_written = True

        # sync pipe
        if not sync_eof:
            rl, _, _ = select.select([sync_ours], [], [], 0.01)
            if rl:
                try:
                    data = os.read(sync_ours, 65536)
                except BlockingIOError:
                    data = None
                except OSError:
                    data = b""
                if data == b"":
                    sync_eof = True
                    write_atomic(os.path.join(state, "sync.eof"), "")
                elif data:
                    sync_buf += data
            if not first_written and b"\n" in sync_buf:
                write_atomic(os.path.join(state, "sync.first"), sync_buf[: sync_buf.index(b"\n") + 1])
                first_written = True
                if args.close_sync_after_first:
                    os.close(sync_ours)
                    sync_eof = True
        else:
            time.sleep(0.01)

        # exec attach handshake (§4.5): the attach pipe's record, then the second start byte
        if attach_ours is not None:
            try:
                data = os.read(attach_ours, 65536)
                attach_buf += data
            except (BlockingIOError, OSError):
                pass
            if not attach_first_written and b"\n" in attach_buf:
                write_atomic(os.path.join(state, "attach.first"), attach_buf[: attach_buf.index(b"\n") + 1])
                attach_first_written = True
            if start_written and not start2_written and os.path.exists(os.path.join(state, "go2")):
                try:
                    os.write(start_ours, b"\0")
                except OSError:
                    pass
                start2_written = True
                write_atomic(os.path.join(state, "start2.written"), "")

        # inherited fd vs exit file ordering (§3.6, §9.1 step 6)
        if not inherit_done and os.path.exists(args.exit_file):
            rl, _, _ = select.select([inh_read], [], [], 0)
            result = "open"
            if rl and os.read(inh_read, 1) == b"":
                result = "closed"
            write_atomic(os.path.join(state, "inherit.result"), result)
            inherit_done = True

        # children
        while True:
            try:
                p, st = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if p == 0:
                break
            reaped[p] = status_code(st)
        if launch_rc is None and pid in reaped:
            launch_rc = reaped[pid]
            if args.snapshot is not None:
                try:
                    with open(args.snapshot, "rb") as f:
                        snap = f.read()
                    write_atomic(os.path.join(state, "snapshot"), snap)
                except OSError:
                    write_atomic(os.path.join(state, "snapshot.missing"), "")
            write_atomic(os.path.join(state, "launch.rc"), str(launch_rc))
            if not args.foreground:
                # the daemon (if any) has been reparented to us by now
                kids = children_of(os.getpid())
                others = [p for p in reaped if p != pid]
                if kids:
                    daemon_pid = kids[0]
                elif others:
                    daemon_pid = others[0]
                if daemon_pid is not None:
                    write_atomic(os.path.join(state, "daemon.pid"), str(daemon_pid))
                else:
                    daemon_gone_at = now
        if args.foreground and launch_rc is not None and daemon_rc is None:
            write_atomic(os.path.join(state, "daemon.pid"), str(pid))
        if daemon_pid is not None and daemon_rc is None and daemon_pid in reaped:
            daemon_rc = reaped[daemon_pid]
            write_atomic(os.path.join(state, "daemon.rc"), str(daemon_rc))
            daemon_gone_at = now
        if daemon_gone_at is not None:
            # the daemon is gone: give the sync pipe a moment to report EOF, then finish
            if (sync_eof and inherit_done) or now - daemon_gone_at > 2.0:
                break

    if timed_out:
        for p in (pid, daemon_pid):
            if p is not None and p not in reaped:
                try:
                    os.kill(p, signal.SIGKILL)
                except OSError:
                    pass
        write_atomic(os.path.join(state, "engine.timeout"), "")
    write_atomic(os.path.join(state, "sync.all"), sync_buf)
    if attach_ours is not None:
        write_atomic(os.path.join(state, "attach.all"), attach_buf)
    write_atomic(os.path.join(state, "done"), "")


if __name__ == "__main__":
    main()
