#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Print the PID of the process serving a container's attach socket.

  attach_owner.py DIR

DIR is the directory holding the `attach` socket (for CRI-O: <socket-dir-path>/<container id>, a
symlink to the bundle). The socket is bound through /proc/self/fd/N/attach, so ss(8) shows that
path, not the real one, for the listener. Instead this connects to DIR/attach as an attach client
does (through a directory fd, so the 108-byte sun_path limit never matters) and asks ss which
process holds the accepted end, that is, the socket whose peer is ours. It prints that PID and
closes the connection: the monitor then just drops one attach client that sent nothing.
Exit status 1 (with a message on stderr) if nobody accepts within 10 s.
"""
import os
import socket
import subprocess
import sys
import time


def server_pids(peer_inode):
    # ss -x -p -n -H: netid state recv-q send-q local local-inode peer peer-inode users:((...))
    out = subprocess.run(["ss", "-x", "-p", "-n", "-H"], capture_output=True, text=True, check=True).stdout
    pids = set()
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 9 and fields[7] == str(peer_inode):
            for part in fields[8].split(","):
                if part.startswith("pid="):
                    pids.add(int(part[4:]))
    return pids


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    dirfd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as conn:
        conn.connect("/proc/self/fd/%d/attach" % dirfd)
        inode = os.fstat(conn.fileno()).st_ino
        # The kernel completes the connection at once; the server's end shows an owner only
        # after its accept(), which its event loop does when it gets round to it.
        deadline = time.monotonic() + 10
        while True:
            pids = server_pids(inode) - {os.getpid()}
            if pids or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    if not pids:
        sys.exit("attach_owner.py: no process accepted the connection to %s/attach" % sys.argv[1])
    print(" ".join(str(p) for p in sorted(pids)))


if __name__ == "__main__":
    main()
