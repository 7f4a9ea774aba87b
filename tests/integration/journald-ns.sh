#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# A private journal for tests (host-notes.md, "journald"): no journald runs on these machines,
# and nothing here may reach the host's /run or /var/log.
#
#   journald-ns.sh WORKDIR MODE CMD [ARGS...]
#   journald-ns.sh WORKDIR MODE --hold
#
# The script re-executes itself in a new mount namespace (unshare --mount, / made rslave, so host
# mounts still show up inside but nothing mounted inside shows up outside) and mounts there:
#   /run/systemd              a fresh tmpfs (no trace of a host journald)
#   /run/log                  WORKDIR/runlog (bind), so the journal files land in WORKDIR
#   /var/log/journal          a fresh tmpfs (never the host's persistent journal)
#   /etc/systemd/journald.conf  WORKDIR/journald.conf: volatile storage, no rate limit, no kmsg,
#                               no forwarding (in particular no wall messages for PRIORITY 0)
# MODE:
#   journald  start /lib/systemd/systemd-journald; it creates /run/systemd/journal/socket.
#             After CMD: `journalctl --sync` (everything sent before is on disk), then SIGTERM.
#             Read the result with: journalctl -D WORKDIR/runlog/journal -o json --all
#             (journal_read.py does that).
#   capture   no journald: journal_capture.py binds /run/systemd/journal/socket and writes every
#             native-protocol entry, fields in the order they were sent, to WORKDIR/capture.jsonl.
#   none      no journal socket at all (sd_journal_sendv fails with ENOENT).
# With CMD, CMD runs inside and the script exits with CMD's status once the journal is complete.
# With --hold, the script writes WORKDIR/holder.pid and WORKDIR/ready and waits until
# WORKDIR/stop exists (at most $JOURNALD_NS_MAX_SECONDS, default 900); other processes join the
# namespace with `nsenter --target $(cat WORKDIR/holder.pid) --mount`.
# The journal daemon or capture peer gets SIGKILL if this script dies (setpriv --pdeathsig).
set -euo pipefail

if [[ ${1:-} != --inner ]]; then
	exec unshare --mount --propagation slave "$BASH" "${BASH_SOURCE[0]}" --inner "$@"
fi
shift
work=$(realpath "$1")
mode=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

mkdir -p "$work/runlog"
# Mount points systemd makes at boot; a machine (or tests/pristine-ns.sh) without systemd as PID 1
# may not have them. Made empty, as systemd would leave them.
mkdir -p /run/systemd /run/log
mount -t tmpfs -o mode=755 tmpfs /run/systemd
mount --bind "$work/runlog" /run/log
if [[ -d /var/log/journal ]]; then
	mount -t tmpfs -o mode=755 tmpfs /var/log/journal
fi
cat >"$work/journald.conf" <<'EOF'
[Journal]
Storage=volatile
RateLimitIntervalSec=0
RateLimitBurst=0
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RuntimeMaxUse=512M
RuntimeMaxFileSize=256M
EOF
mount --bind "$work/journald.conf" /etc/systemd/journald.conf

peer=
case $mode in
journald)
	setpriv --pdeathsig KILL /lib/systemd/systemd-journald </dev/null >"$work/journald.out" 2>&1 3>&- &
	peer=$!
	;;
capture)
	mkdir -p /run/systemd/journal
	setpriv --pdeathsig KILL python3 -u "$here/journal_capture.py" /run/systemd/journal/socket \
		"$work/capture.jsonl" </dev/null >"$work/capture.out" 2>&1 3>&- &
	peer=$!
	;;
none) ;;
*)
	echo "journald-ns.sh: unknown mode $mode" >&2
	exit 2
	;;
esac
if [[ -n $peer ]]; then
	for _ in $(seq 1000); do
		[[ -S /run/systemd/journal/socket ]] && break
		kill -0 "$peer" 2>/dev/null || break
		sleep 0.01
	done
	if [[ ! -S /run/systemd/journal/socket ]]; then
		echo "journald-ns.sh: no journal socket; $mode said:" >&2
		cat "$work/journald.out" "$work/capture.out" 2>/dev/null >&2 || true
		exit 2
	fi
fi

finish()
{
	case $mode in
	journald)
		# everything sent to the socket so far is processed and written
		timeout 20 journalctl --sync >/dev/null 2>&1 || echo "journald-ns.sh: journalctl --sync failed" >&2
		kill -TERM "$peer" 2>/dev/null || true
		wait "$peer" || true
		;;
	capture)
		# datagrams keep their order: once the peer reads this one, it has written all before it
		python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"JOURNAL_CAPTURE_END=1\n", sys.argv[1])' \
			/run/systemd/journal/socket
		wait "$peer" || true
		;;
	esac
}

rc=0
if [[ ${1:-} == --hold ]]; then
	echo $$ >"$work/holder.pid"
	: >"$work/ready"
	deadline=$((SECONDS + ${JOURNALD_NS_MAX_SECONDS:-900}))
	while [[ ! -e $work/stop ]] && ((SECONDS < deadline)); do
		sleep 0.1
	done
else
	"$@" || rc=$?
fi
finish
exit "$rc"
