#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The json-file log driver, a vigil extension (-l json-file:PATH, man/vigil.8.scd "JSON-FILE
# FORMAT"): Docker's json-file records {"log","stream","time"}, checked with json_log.py (strict
# JSON, key order, UTC time, stream reconstruction). A bare `-l json-file` stays a k8s-file named
# json-file in the working directory (interface.md §8.1).

# container scripts in single quotes (SC2016); variables read by helpers.bash (SC2034); bats sets
# $stderr (SC2154)
# shellcheck disable=SC2016,SC2034,SC2154

load helpers

# wait_within SECONDS COMMAND...: COMMAND succeeds within SECONDS (fractions allowed) from now;
# wait_for's $SECONDS has whole-second steps, too coarse for "within 1 s"
wait_within()
{
	local limit_us start now
	limit_us=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000000 }')
	shift
	start=${EPOCHREALTIME/./}
	while ! "$@"; do
		now=${EPOCHREALTIME/./}
		if ((now - start > limit_us)); then
			echo "not within $((limit_us / 1000)) ms: $*" >&2
			return 1
		fi
		sleep 0.01
	done
	echo "took $(((${EPOCHREALTIME/./} - start) / 1000)) ms: $*"
}

setup()
{
	vigil_setup
	JLOG=$T/ctr.json
	VIGIL_LOG=(-l "json-file:$JLOG")
}

# json_check [LOG] [json_log.py options]: validate, rebuild into $T/j.stdout, $T/j.stderr and
# list the records in $T/j.records
json_check()
{
	local log=$JLOG
	[[ $# -gt 0 && $1 != --* ]] && log=$1 && shift
	python3 "$INTEGRATION_DIR/json_log.py" "$log" --stdout "$T/j.stdout" --stderr "$T/j.stderr" \
		--records "$T/j.records" "$@"
}

@test "json-file: records are exactly {log, stream, time}, time in UTC, both streams rebuilt exactly" {
	# a zone 5:30 east of UTC: the time must still be UTC with Z
	export TZ=XYZ-05:30
	run_container -- /bin/sh -c 'echo out1; sleep 0.2; echo err1 >&2; sleep 0.2; printf "out partial"; sleep 0.2;
		printf " done\n\n"; sleep 0.2; printf "err tail" >&2'
	[ "$DAEMON_RC" = 0 ]
	cat "$JLOG"
	json_check
	assert_file_content "$T/j.stdout" $'out1\nout partial done\n\n'
	assert_file_content "$T/j.stderr" $'err1\nerr tail'
	# Docker's layout, byte for byte apart from the time
	sed -E 's/"time":"[^"]*"/"time":"T"/' "$JLOG" >"$T/norm"
	assert_file_content "$T/norm" '{"log":"out1\n","stream":"stdout","time":"T"}
{"log":"err1\n","stream":"stderr","time":"T"}
{"log":"out partial","stream":"stdout","time":"T"}
{"log":" done\n","stream":"stdout","time":"T"}
{"log":"\n","stream":"stdout","time":"T"}
{"log":"err tail","stream":"stderr","time":"T"}
'
	# the file is created like the k8s-file (0640)
	[ "$(file_mode "$JLOG")" = 640 ]
}

@test "json-file: a 1 MiB line without a newline becomes pieces of at most 16384 bytes" {
	head -c 786432 /dev/urandom | base64 -w 0 >"$DATA_DIR/mib"
	run_container -- /bin/cat /data/mib
	[ "$DAEMON_RC" = 0 ]
	json_check
	cmp "$T/j.stdout" "$DATA_DIR/mib"
	[ ! -s "$T/j.stderr" ]
	# pieces without a newline, of 16384 bytes (Docker's line buffer) except where a read ended
	cut -d' ' -f2 "$T/j.records" | sort -n | uniq -c
	[ "$(cut -d' ' -f2 "$T/j.records" | sort -n | tail -n 1)" = 16384 ]
	[ "$(wc -l <"$T/j.records")" -ge 64 ]
}

@test "json-file: NUL bytes and invalid UTF-8 become U+FFFD; valid UTF-8 is kept" {
	printf 'a\0b\377c\200d\n' >"$DATA_DIR/out"
	printf 'h\303\251llo \342\202\254 \360\237\230\200\n' >"$DATA_DIR/utf8"
	run_container -- /bin/sh -c 'cat /data/out; sleep 0.2; cat /data/utf8 >&2'
	[ "$DAEMON_RC" = 0 ]
	json_check
	assert_file_content "$T/j.stdout" $'a\uFFFDb\uFFFDc\uFFFDd\n'
	cmp "$T/j.stderr" "$DATA_DIR/utf8"
}

@test "json-file: valid UTF-8 in a line longer than a piece survives the cut" {
	# 10000 three-byte characters: 16384 is not a multiple of 3, so a cut at a fixed byte count
	# lands inside a character
	python3 -c 'import sys; open(sys.argv[1], "wb").write("€".encode() * 10000 + b"\n")' "$DATA_DIR/euro"
	run_container -- /bin/cat /data/euro
	[ "$DAEMON_RC" = 0 ]
	# (a replaced byte grows to 3 bytes in UTF-8: allow that here, the comparison below decides)
	json_check --max-piece 49152
	cut -c1-24 "$T/j.records"
	grep -o $'\uFFFD' "$T/j.stdout" | wc -l | sed 's/^/U+FFFD characters: /'
	cmp "$T/j.stdout" "$DATA_DIR/euro"
}

@test "json-file: quotes, backslashes and control characters are escaped" {
	python3 - "$DATA_DIR/out" <<'PY'
import sys
s = b'say "hi" \\ back\\slash / solidus\n' + bytes(range(1, 32)).replace(b"\n", b"") + b"\x7f <b>&amp;</b>\n" + b'\\"\\u0041\n'
open(sys.argv[1], "wb").write(s)
PY
	run_container -- /bin/cat /data/out
	[ "$DAEMON_RC" = 0 ]
	cat "$JLOG"
	# strict JSON parsing (no raw control characters) gives back the exact bytes
	json_check
	cmp "$T/j.stdout" "$DATA_DIR/out"
	grep -qF '"log":"say \"hi\" \\ back\\slash ' "$JLOG"
	# no raw control byte anywhere in the file but the record ends
	[ "$(tr -d '\n' <"$JLOG" | tr -d '\040-\176' | wc -c)" = 0 ]
}

@test "json-file: --log-size-max with --log-rotate keeps whole records and a suffix of the stream" {
	python3 -c '
import sys
open(sys.argv[1], "w").write("".join("line %05d %s\n" % (i, "y" * (i % 70)) for i in range(3000)))' "$DATA_DIR/stream"
	run_container --log-size-max 20000 --log-rotate --log-max-files 2 -- /bin/cat /data/stream
	[ "$DAEMON_RC" = 0 ]
	python3 "$INTEGRATION_DIR/rotation_check.py" "$JLOG" --format json --cap 20000 --kept 2 --stream "$DATA_DIR/stream"
	json_check "$JLOG.2"
	json_check "$JLOG"

	# truncation mode
	vigil_reset
	rm -f "$JLOG"*
	run_container --log-size-max 20000 -- /bin/cat /data/stream
	python3 "$INTEGRATION_DIR/rotation_check.py" "$JLOG" --format json --cap 20000 --kept 0 --stream "$DATA_DIR/stream"
	[ ! -e "$JLOG.1" ]
}

@test "json-file: --log-global-size-max stops logging, ctl reopen starts a new file" {
	make_bundle /bin/sh -c 'echo before; while [ ! -e /data/go ]; do sleep 0.02; done; echo after'
	vigil_create --log-global-size-max 100000
	container_start
	wait_for_grep '"log":"before\\n"' "$JLOG"
	rm "$JLOG"
	echo "2 0 0" >"$BUNDLE/ctl"
	wait_within 1 test -e "$JLOG"
	touch "$DATA_DIR/go"
	wait_daemon
	json_check
	assert_file_content "$T/j.stdout" $'after\n'

	vigil_reset
	rm -f "$JLOG"
	run_container --log-global-size-max 1000 -- /bin/sh -c 'i=0; while [ $i -lt 100 ]; do echo "line $i"; i=$((i+1)); done'
	json_check
	local size
	size=$(stat -c %s "$JLOG")
	echo "size $size"
	# one record may overshoot
	((size >= 1000 && size < 1100))
	python3 -c '
import sys
kept = open(sys.argv[1], "rb").read()
full = b"".join(b"line %d\n" % i for i in range(100))
assert kept and full.startswith(kept) and len(kept) < len(full)' "$T/j.stdout"
}

@test "json-file: k8s-file and json-file at once are both complete" {
	python3 - "$DATA_DIR/out" "$DATA_DIR/err" <<'PY'
import sys
open(sys.argv[1], "w").write("".join("out %d\n" % i for i in range(5000)) + "o" * 50000 + "\n" + "tail")
open(sys.argv[2], "w").write("".join("err %d\n" % i for i in range(2000)) + "e" * 20000)
PY
	VIGIL_LOG=(-l "k8s-file:$LOG" -l "json-file:$JLOG")
	run_container -- /bin/sh -c 'cat /data/out & cat /data/err >&2; wait'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/out"
	cmp "$T/out.stderr" "$DATA_DIR/err"
	json_check
	cmp "$T/j.stdout" "$DATA_DIR/out"
	cmp "$T/j.stderr" "$DATA_DIR/err"
}

@test "json-file: a bare -l json-file is a k8s-file named json-file in the working directory; json-file: needs a path" {
	mkdir "$T/cwd"
	cd "$T/cwd"
	VIGIL_LOG=(-l json-file)
	run_container -- /bin/sh -c 'echo plain'
	[ "$(ls "$T/cwd")" = json-file ]
	k8s_check json-file
	assert_file_content "$T/out.norm" $'TS stdout F plain\n'

	vigil_reset
	VIGIL_LOG=(-l json-file:)
	make_bundle /bin/true
	vigil_launch
	wait_launch
	wait_engine
	[ "$LAUNCH_RC" = 1 ]
	grep -q '^\[conmon:e\]: .*json-file' "$STATE/vigil.err"
	[ ! -e "$STATE/sync.first" ]
}
