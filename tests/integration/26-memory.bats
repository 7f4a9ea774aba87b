#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Memory after a burst (src/mem_release.h): a container logging 1 GiB as fast as it can, or an
# attach client reading 100 MiB, touches every page of the monitor's big buffers (the 256 KiB read
# buffer, the 512 KiB log batch, the attach queues). Once output is quiet again the monitor's
# private dirty memory must be back within 32 KiB of its idle figure, within 2 s. The output pipes
# follow the same rule: the default 64 KiB while idle (a 1 MiB pipe's slot array is kernel memory
# charged to the monitor's cgroup), 1 MiB for a burst.

load helpers

setup()
{
	vigil_setup
	# a sanitizer's allocator holds freed memory in quarantine on purpose: the figure means nothing
	if LC_ALL=C grep -qF __asan_init "$VIGIL_BINARY"; then
		skip "an ASan build keeps freed memory in its quarantine"
	fi
}

teardown()
{
	clients_teardown
	vigil_teardown
}

# private_dirty PID: the process's private dirty memory in KiB (smaps_rollup)
private_dirty()
{
	awk '/^Private_Dirty:/ {print $2}' "/proc/$1/smaps_rollup"
}

# idle_figure PID: private dirty KiB once it holds still (the same value twice, 0.3 s apart)
idle_figure()
{
	local a b i
	a=$(private_dirty "$1")
	for ((i = 0; i < 20; i++)); do
		sleep 0.3
		b=$(private_dirty "$1")
		[[ $a == "$b" ]] && break
		a=$b
	done
	echo "$b"
}

# back_to_idle PID IDLE: within 2 s, private dirty is at most IDLE + 32 KiB (what it saw goes to
# the TAP output as a comment)
back_to_idle()
{
	python3 - "$1" "$2" >&3 <<'PY'
import sys, time
pid, idle = sys.argv[1], int(sys.argv[2])
def dirty():
    for line in open("/proc/%s/smaps_rollup" % pid):
        if line.startswith("Private_Dirty:"):
            return int(line.split()[1])
t0 = time.monotonic()
seen = []
while True:
    d = dirty()
    seen.append(d)
    if d <= idle + 32:
        print("# idle %d KiB, after the burst %d KiB (peak seen %d) after %.2f s" % (idle, d, max(seen), time.monotonic() - t0))
        sys.exit(0)
    if time.monotonic() - t0 > 2.0:
        # where the pages are: each mapping with private dirty memory
        head = None
        for line in open("/proc/%s/smaps" % pid):
            f = line.split()
            if not line[0].isupper() or not f[0].endswith(":"):
                head = line.strip()
            elif f[0] == "Private_Dirty:" and int(f[1]) > 0:
                print("# %6s KiB  %s" % (f[1], head))
        sys.exit("idle %d KiB, still %d KiB 2 s after the burst (peak seen %d)" % (idle, d, max(seen)))
    time.sleep(0.05)
PY
}

@test "memory: after 1 GiB of k8s-file logging as fast as possible, private dirty is back to idle within 2 s" {
	# 1000-byte lines; the log is capped (truncation) so the disk holds 16 MiB, not 1 GiB
	make_bundle /bin/sh -c 'echo ready
		while [ ! -e /out/go ]; do sleep 0.05; done
		yes "$(printf "%0999d" 7)" | head -c 1073741000
		touch /out/done
		while [ ! -e /out/stop ]; do sleep 0.05; done
		echo bye'
	bundle_out_mount
	vigil_create --log-size-max 16777216
	container_start
	wait_for_grep ' stdout F ready$' "$LOG"
	local pid idle
	pid=$(daemon_pid)
	idle=$(idle_figure "$pid")
	touch "$OUT_DIR/go"
	WAIT_TIMEOUT=300 wait_for_file "$OUT_DIR/done"
	back_to_idle "$pid" "$idle"
	# what was logged last is whole: the batch was written before its pages went
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	python3 - "$T/out.stdout" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
lines = data.split(b"\n")[:-1]
# the file was truncated at the cap, so it starts at some line; each line is whole
assert lines[-1] == b"bye", lines[-1][:20]
body = lines[:-1]
assert len(body) > 10000, len(body)
assert all(l == b"0" * 998 + b"7" for l in body[1:]), "a line in the log is damaged"
PY
}

@test "memory: after an attach client read 100 MiB, private dirty is back to idle within 2 s" {
	make_bundle /bin/sh -c 'echo ready
		while [ ! -e /out/go ]; do sleep 0.05; done
		head -c 104857600 /dev/zero
		while [ ! -e /out/stop ]; do sleep 0.05; done'
	bundle_out_mount
	vigil_create --log-size-max 1048576
	client_start c1 "$SOCK_DIR/$CUUID/attach" --mark-at $((104857600 + 6)) --timeout 300
	container_start
	wait_for_grep ' stdout F ready$' "$LOG"
	local pid idle
	pid=$(daemon_pid)
	idle=$(idle_figure "$pid")
	touch "$OUT_DIR/go"
	# the client has all of it: "ready\n" and 100 MiB
	WAIT_TIMEOUT=300 wait_for_file "$T/c1.got"
	back_to_idle "$pid" "$idle"
	touch "$OUT_DIR/stop"
	client_wait c1
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
	[ "$(stat -c %s "$T/c1.2")" = $((104857600 + 6)) ]
	[ "$(head -c 6 "$T/c1.2")" = ready ]
	[ "$(tail -c +7 "$T/c1.2" | tr -d '\0' | wc -c)" = 0 ]
}

@test "memory: an output pipe is 64 KiB while idle, 1 MiB for a burst, 64 KiB again once quiet" {
	make_bundle /bin/sh -c 'echo ready
		while [ ! -e /out/go ]; do sleep 0.05; done
		head -c 52428800 /dev/zero
		touch /out/done
		while [ ! -e /out/stop ]; do sleep 0.05; done'
	bundle_out_mount
	vigil_create --log-size-max 1048576
	container_start
	wait_for_grep ' stdout F ready$' "$LOG"
	local ctr
	ctr=$(cat "$CTR_PIDFILE")
	# the container's stdout, opened for writing through /proc (nothing is written): its pipe's size
	python3 - "$ctr" "$OUT_DIR" <<'PY'
import fcntl, os, sys, time
F_GETPIPE_SZ = 1032
ctr, out = sys.argv[1], sys.argv[2]
fd = os.open("/proc/%s/fd/1" % ctr, os.O_WRONLY | os.O_NONBLOCK)
size = lambda: fcntl.fcntl(fd, F_GETPIPE_SZ)
idle = size()
open(os.path.join(out, "go"), "w").close()
peak = idle
while not os.path.exists(os.path.join(out, "done")):
    peak = max(peak, size())
    time.sleep(0.002)
peak = max(peak, size())
t0 = time.monotonic()
while size() != 65536 and time.monotonic() - t0 < 2:
    time.sleep(0.05)
after = size()
print("# pipe: idle %d, during the burst %d, %.2f s after it %d" % (idle, peak, time.monotonic() - t0, after))
assert idle == 65536, idle
assert peak == 1048576, peak
assert after == 65536, after
PY
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
}

@test "memory: a static-PIE build maps no shared library, only its own binary" {
	[[ ${VIGIL_STATIC_PIE:-} == 1 ]] || skip "built without -Dstatic-pie"
	make_bundle /bin/sh -c 'echo ready; while [ ! -e /out/stop ]; do sleep 0.05; done'
	bundle_out_mount
	vigil_create
	container_start
	wait_for_grep ' stdout F ready$' "$LOG"
	local pid
	pid=$(daemon_pid)
	# the only ELF file mapped is the vigil binary itself (locale data may be mapped beside it)
	python3 - "$pid" "$(readlink -f "$VIGIL_BINARY")" <<'PY'
import os, sys
pid, binary = sys.argv[1], sys.argv[2]
files = set()
for line in open("/proc/%s/maps" % pid):
    f = line.split(None, 5)
    if len(f) == 6 and f[5].strip().startswith("/"):
        files.add(f[5].strip())
print("# file mappings: %s" % sorted(files))
elf = {p for p in files if open(p, "rb").read(4) == b"\x7fELF"}
exe = os.readlink("/proc/%s/exe" % pid)
assert elf == {exe}, (elf, exe)
assert os.path.samefile(exe, binary), (exe, binary)
PY
	touch "$OUT_DIR/stop"
	wait_daemon
	[ "$DAEMON_RC" = 0 ]
}
