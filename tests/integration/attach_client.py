#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An attach client (interface.md §6), as podman/CRI-O use it.

  attach_client.py SOCKET OUTPREFIX [--send TEXT | --send-file FILE] [--keep-open | --close-after-send]
                   [--slow-until FILE [--slow-interval SECS]] [--timeout SECS]

Connects to SOCKET as AF_UNIX SOCK_SEQPACKET, then writes OUTPREFIX.connected. With --send,
writes TEXT (backslash escapes allowed) as one message and shuts the socket down for writing
(what the engines do at the end of input). Then reads messages until EOF and writes:
  OUTPREFIX.2, OUTPREFIX.3   the concatenated payloads for stream id 2 (stdout) and 3 (stderr)
  OUTPREFIX.sizes            one line per message: "<stream id> <payload length>"
  OUTPREFIX.eof              if the monitor closed the connection (0-byte read)
  OUTPREFIX.at-exit-file     with --exit-file F: "closed" if the connection had been closed when F
                             appeared, else "open"
Exit status 0 on EOF, 2 on timeout, 1 on errors.

More options (for the tty, attach and exec tests):
  --send-file FILE     send FILE's bytes as messages of --chunk bytes (default 8192; vigil reads up to
                       32768 per message, §6.3) from a second thread while the main thread reads
                       output, then shut the socket down for writing. OUTPREFIX.sent when all is sent.
  --keep-open          with --send/--send-file: do not shut the socket down after sending.
  --close-after-send   with --send/--send-file: close the socket after sending and exit 0 without
                       reading (a client that disconnects by close(2) rather than shutdown).
  --flood              from a second thread, send 4 KiB messages without pause (MSG_DONTWAIT, a
                       0.5 ms nap on EAGAIN) until a send fails; OUTPREFIX.flood then holds
                       "<messages sent> <errno name>". Stdin nobody reads, as from a stuck pipe.
  --slow-until FILE    a slow reader: until FILE exists, receive at most one message every
                       --slow-interval seconds (default 0.5); then read at full speed. With a FILE
                       that never appears the client stalls until it is killed or times out.
  --mark-at N          write OUTPREFIX.got once N bytes of stdout have arrived (the files above are
                       written only at the end).
"""
import argparse
import errno
import os
import select
import socket
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("socket")
    ap.add_argument("out")
    ap.add_argument("--send")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--exit-file", help="when this file appears, record in OUTPREFIX.at-exit-file whether "
                    "the connection was already closed (\"closed\") or not (\"open\")")
    ap.add_argument("--send-file")
    ap.add_argument("--chunk", type=int, default=8192)
    ap.add_argument("--keep-open", action="store_true")
    ap.add_argument("--close-after-send", action="store_true")
    ap.add_argument("--flood", action="store_true")
    ap.add_argument("--slow-until")
    ap.add_argument("--slow-interval", type=float, default=0.5)
    ap.add_argument("--mark-at", type=int, default=None,
                    help="write OUTPREFIX.got once this many stdout bytes have arrived")
    args = ap.parse_args()

    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    # long paths: dial through an O_PATH fd on the socket file, as podman does (§6.1)
    fd = os.open(args.socket, os.O_PATH)
    s.connect("/proc/self/fd/%d" % fd)
    os.close(fd)
    open(args.out + ".connected", "w").close()
    if args.send is not None:
        s.send(args.send.encode().decode("unicode_escape").encode("latin-1"))
        if args.close_after_send:
            s.close()
            open(args.out + ".sent", "w").close()
            return 0
        if not args.keep_open:
            s.shutdown(socket.SHUT_WR)
        open(args.out + ".sent", "w").close()
    sender = None
    if args.send_file is not None:
        with open(args.send_file, "rb") as f:
            payload = f.read()

        def send_all():
            for off in range(0, len(payload), args.chunk):
                s.sendall(payload[off:off + args.chunk])
            if args.close_after_send:
                s.close()
            elif not args.keep_open:
                s.shutdown(socket.SHUT_WR)
            open(args.out + ".sent", "w").close()

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        if args.close_after_send:
            sender.join(args.timeout)
            return 0 if os.path.exists(args.out + ".sent") else 2

    if args.flood:
        def flood():
            msg = b"f" * 4096
            sent = 0
            while True:
                try:
                    s.send(msg, socket.MSG_DONTWAIT)
                    sent += 1
                except BlockingIOError:
                    time.sleep(0.0005)
                except OSError as e:
                    with open(args.out + ".flood", "w") as f:
                        f.write("%d %s\n" % (sent, errno.errorcode.get(e.errno, str(e.errno))))
                    return

        threading.Thread(target=flood, daemon=True).start()

    streams = {2: bytearray(), 3: bytearray()}
    sizes = []
    deadline = time.monotonic() + args.timeout
    rc = 2
    checked = args.exit_file is None
    while time.monotonic() < deadline:
        if not checked and os.path.exists(args.exit_file):
            # everything vigil did before writing the exit file is queued on the socket by now:
            # drain it without blocking and see whether it ends with EOF
            checked = True
            state = "open"
            while True:
                r, _, _ = select.select([s], [], [], 0)
                if not r:
                    break
                msg = s.recv(65536)
                if not msg:
                    state = "closed"
                    break
                sizes.append("%d %d" % (msg[0], len(msg) - 1))
                streams.setdefault(msg[0], bytearray()).extend(msg[1:])
            with open(args.out + ".at-exit-file", "w") as f:
                f.write(state)
            if state == "closed":
                open(args.out + ".eof", "w").close()
                rc = 0
                break
        if args.slow_until is not None:
            # wait --slow-interval before the next message, or less if the slow phase ends
            pause_end = time.monotonic() + args.slow_interval
            while not os.path.exists(args.slow_until) and time.monotonic() < min(pause_end, deadline):
                time.sleep(0.02)
            if os.path.exists(args.slow_until):
                args.slow_until = None
        r, _, _ = select.select([s], [], [], 0.01 if not checked else 0.1)
        if not r:
            continue
        msg = s.recv(65536)
        if not msg:
            if not checked:
                # EOF came before the exit file was seen
                with open(args.out + ".at-exit-file", "w") as f:
                    f.write("closed")
            open(args.out + ".eof", "w").close()
            rc = 0
            break
        sid = msg[0]
        sizes.append("%d %d" % (sid, len(msg) - 1))
        if sid not in streams:
            print("unexpected stream id %d" % sid, file=sys.stderr)
            rc = 1
            streams[sid] = bytearray()
        streams[sid] += msg[1:]
        if args.mark_at is not None and sid == 2 and len(streams[2]) >= args.mark_at:
            open(args.out + ".got", "w").close()
            args.mark_at = None
    for sid in (2, 3):
        with open("%s.%d" % (args.out, sid), "wb") as f:
            f.write(streams[sid])
    with open(args.out + ".sizes", "w") as f:
        f.write("".join(line + "\n" for line in sizes))
    return rc


if __name__ == "__main__":
    sys.exit(main())
