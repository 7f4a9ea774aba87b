#!/bin/bash
# Run one busybox container under vigil with runc, the way an engine does, and show what happened.
#   scripts/demo.sh [path/to/vigil]
set -euo pipefail
vigil=$(realpath "${1:-build/src/vigil}")
runc=$(command -v runc || echo /usr/sbin/runc)
work=$(mktemp -d /tmp/vigil-demo.XXXXXX)
cid=vigil-demo-$$
cleanup() {
	"$runc" --root "$work/runc" delete -f "$cid" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

say "building a busybox rootfs and an OCI bundle in $work"
mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/etc" "$work/exits" "$work/runc"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
for a in $(/bin/busybox --list); do
	[ -e "$work/bundle/rootfs/bin/$a" ] || ln -s busybox "$work/bundle/rootfs/bin/$a"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$work/bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$work/bundle/rootfs/etc/group"
(cd "$work/bundle" && "$runc" spec)
script='echo "hello from a container monitored by vigil"; echo "this line goes to stderr" >&2; uname -a; exit 3'
jq --arg s "$script" '.process.terminal = false | .process.args = ["sh", "-c", $s]' \
	"$work/bundle/config.json" >"$work/bundle/config.json.new"
mv "$work/bundle/config.json.new" "$work/bundle/config.json"

say "starting vigil (it runs 'runc create' and daemonizes)"
mkfifo "$work/sync"
exec {sync}<>"$work/sync"
set -x
_OCI_SYNCPIPE=$sync "$vigil" --api-version 1 -c "$cid" -u "$cid" -n demo -r "$runc" --runtime-arg "--root=$work/runc" \
	-b "$work/bundle" -p "$work/bundle/pidfile" -P "$work/vigil.pid" --full-attach \
	-l "k8s-file:$work/ctr.log" --exit-dir "$work/exits"
{ set +x; } 2>/dev/null
read -r -t 30 -u "$sync" msg || { echo "no message from vigil on the sync pipe" >&2; exit 1; }
say "sync pipe: $msg"
say "vigil daemon pid $(cat "$work/vigil.pid"), container pid $(cat "$work/bundle/pidfile")"

say "runc start $cid"
"$runc" --root "$work/runc" start "$cid"
for _ in $(seq 100); do
	[ -e "$work/exits/$cid" ] && break
	sleep 0.1
done
[ -e "$work/exits/$cid" ] || { echo "no exit file after 10 s" >&2; exit 1; }
say "exit file $work/exits/$cid says: $(cat "$work/exits/$cid")"
say "k8s-file log written by vigil:"
cat "$work/ctr.log"
say "done: the container ran under vigil, its output is in the log, its exit code in the exit file"
