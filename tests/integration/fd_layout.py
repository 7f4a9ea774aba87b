#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Put a clean, podman-like fd layout under vigil, between engine.py and vigil:

  fd_layout.py [--keep FD]... [--preserve FD] -- VIGIL [ARGS...]

engine.py hands over the sync pipe as fd 3 and the start pipe as fd 4 (and, with --inherit-fd N,
a pipe at fd N without CLOEXEC). This wrapper:
  * without --preserve: keeps fds 0-4 (and each --keep FD, as it is), closes every other fd
    (strays inherited from the test harness), and execs VIGIL;
  * with --preserve FD: moves FD to fd 3 (no CLOEXEC), the sync pipe to fd 4 and the start pipe to
    fd 5, sets _OCI_SYNCPIPE=4 and _OCI_STARTPIPE=5 (podman's layout for --preserve-fds 1,
    interface.md §4.5), closes every other fd and execs VIGIL.
"""
import os
import sys


def main():
    args = sys.argv[1:]
    preserve = None
    extra_keep = []
    while args[:1] in (["--keep"], ["--preserve"]):
        if args[0] == "--keep":
            extra_keep.append(int(args[1]))
        else:
            preserve = int(args[1])
        args = args[2:]
    if args[:1] == ["--"]:
        args = args[1:]
    env = dict(os.environ)
    if preserve is None:
        keep = [0, 1, 2, 3, 4]
    else:
        # dup to high numbers first, then into place (no number collides)
        sync, start, extra = (os.dup(3), os.dup(4), os.dup(preserve))
        for src, dst in ((extra, 3), (sync, 4), (start, 5)):
            os.dup2(src, dst, inheritable=True)
            os.close(src)
        env["_OCI_SYNCPIPE"] = "4"
        env["_OCI_STARTPIPE"] = "5"
        keep = [0, 1, 2, 3, 4, 5]
    keep += extra_keep
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.close(fd)
            except OSError:
                pass
    for fd in keep:
        if fd not in extra_keep:
            os.set_inheritable(fd, True)
    os.execve(args[0], args, env)


if __name__ == "__main__":
    main()
