#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
#   unshare --mount --propagation private syslog-ns.sh WORKDIR CAPTURE CMD [ARGS...]
#
# Inside a private mount namespace: put a tmpfs on /dev holding bind mounts of the host's
# device nodes, plus a /dev/log datagram socket whose messages are appended to CAPTURE, one per
# line. Then run CMD and stop the listener. Nothing is visible outside the namespace, so the host's
# /dev is never touched (this machine has no syslog daemon and no /dev/log).
set -euo pipefail
work=$1 capture=$2
shift 2
mkdir -p "$work/hostdev"
mount --rbind /dev "$work/hostdev"
mount -t tmpfs -o mode=755 tmpfs /dev
for n in null zero full random urandom tty ptmx; do
	[[ -e $work/hostdev/$n ]] || continue
	touch "/dev/$n"
	mount --bind "$work/hostdev/$n" "/dev/$n"
done
for d in pts shm mqueue; do
	[[ -d $work/hostdev/$d ]] || continue
	mkdir "/dev/$d"
	mount --rbind "$work/hostdev/$d" "/dev/$d"
done
ln -s /proc/self/fd /dev/fd
: >"$capture"
python3 -u -c '
import os, socket, sys
parent = os.getppid()
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(1)
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as out:
    while True:
        try:
            msg = s.recv(65536)
        except socket.timeout:
            if os.getppid() != parent:
                break  # this script was killed: do not outlive it
            continue
        if msg == b"syslog-ns: end":
            break
        out.write(msg.rstrip(b"\n") + b"\n")
' "$capture" 3>&- &
listener=$!
for _ in $(seq 500); do
	[[ -e $capture.ready ]] && break
	sleep 0.01
done
rc=0
"$@" || rc=$?
# datagrams keep their order: once the listener reads this one, it has written all before it
python3 -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"syslog-ns: end", "/dev/log")'
wait "$listener" || true
exit "$rc"
