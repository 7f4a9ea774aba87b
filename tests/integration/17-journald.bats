#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The journald log driver (interface.md §8.1, §8.3, §17.3) against a real systemd-journald that runs
# privately in a mount namespace (journald-ns.sh; nothing reaches the host), read back with
# `journalctl -D DIR -o json --all` (journal_read.py). The order of the fields cannot be seen in the
# journal (journald stores an entry's fields sorted by their position in the file), so one test
# reads the native protocol directly with a capture peer on the journal socket instead.
# vigil extension: --log-journald-priority / VIGIL_JOURNALD_PRIORITY=1 (man/vigil.8.scd).

# container scripts in single quotes (SC2016); variables read by helpers.bash (SC2034); bats sets
# $stderr (SC2154)
# shellcheck disable=SC2016,SC2034,SC2154

load helpers

setup()
{
	vigil_setup
	# podman passes 64 hex characters; CONTAINER_ID is the first 12
	CID=$(printf '%s' "vigil-$$-$BATS_TEST_NUMBER-$RANDOM" | sha256sum | cut -c1-64)
	CUUID=$CID
	JNS_N=0
	use_journal journald
	VIGIL_LOG=(-l journald)
}

# use_journal MODE: the next launch runs in a fresh private namespace with journald-ns.sh MODE
# (journald, capture or none); its files are under $JNS.
use_journal()
{
	JNS_N=$((JNS_N + 1))
	JNS=$T/jns.$JNS_N
	mkdir -p "$JNS"
	LAUNCH_WRAP=(bash "$INTEGRATION_DIR/journald-ns.sh" "$JNS" "$1")
}

# journal [journal_read.py options]: this container's entries from the last namespace's journal
journal()
{
	if [[ -e $JNS/capture.jsonl ]]; then
		python3 "$INTEGRATION_DIR/journal_read.py" --capture "$JNS/capture.jsonl" --cid "$CID" "$@"
	else
		python3 "$INTEGRATION_DIR/journal_read.py" --dir "$JNS/runlog/journal" --cid "$CID" "$@"
	fi
}

# jrun NAME [EXTRA_VIGIL_ARGS...] -- CMD...: run_container with `-n NAME` (no -n if NAME is empty),
# then wait until the private journal is complete (the namespace script has synced and ended).
jrun()
{
	local name=$1 extra=() a skip=0
	shift
	while (($#)) && [[ $1 != -- ]]; do
		extra+=("$1")
		shift
	done
	shift
	make_bundle "$@"
	default_vigil_args
	local args=()
	for a in "${VARGS[@]}"; do
		if ((skip)); then
			skip=0
			continue
		fi
		if [[ $a == -n ]]; then
			skip=1
			continue
		fi
		args+=("$a")
	done
	[[ -z $name ]] || args+=(-n "$name")
	vigil_launch_raw "${args[@]}" "${extra[@]}"
	wait_launch
	wait_sync
	if [[ $SYNC_FIRST != '{"data": '[0-9]*'}' ]]; then
		echo "create failed: launch rc $LAUNCH_RC, sync '$SYNC_FIRST', stderr: $(cat "$STATE/vigil.err")" >&2
		return 1
	fi
	container_start
	wait_daemon
	wait_engine
}

SHOW=MESSAGE,PRIORITY,CONTAINER_ID_FULL,CONTAINER_ID,CONTAINER_TAG,CONTAINER_NAME,SYSLOG_IDENTIFIER,CONTAINER_PARTIAL_MESSAGE

# expect_fatal_launch TEXT: the launched vigil exited 1 with one "[conmon:e]: " line on stderr that
# contains TEXT, and no container was created
expect_fatal_launch()
{
	wait_launch
	wait_engine
	local err
	err=$(cat "$STATE/vigil.err")
	echo "launch rc $LAUNCH_RC, stderr: $err"
	[ "$LAUNCH_RC" = 1 ]
	[[ $err == "[conmon:e]: "*"$1"* && $err != *$'\n'* ]]
	[ -z "$("$RUNC" --root "$RUNC_ROOT" list -q)" ]
	[ ! -e "$STATE/sync.first" ]
}

@test "journald: every field of a stdout and a stderr line, with values (real journald)" {
	jrun myname --log-tag mytag --log-label FOO=bar --log-label 'NUM_1=a b c' -- \
		/bin/sh -c 'echo "out 1"; sleep 0.3; echo "err 1" >&2'
	[ "$DAEMON_RC" = 0 ]
	assert_file_content "$(exit_file)" 0
	journal --show "$SHOW,FOO,NUM_1" >"$T/show"
	cat "$T/show"
	local c=$CID c12=${CID:0:12}
	# MESSAGE keeps the line's newline (§8.3); podman's reader trims it
	assert_file_content "$T/show" "MESSAGE=out 1\\n PRIORITY=6 CONTAINER_ID_FULL=$c CONTAINER_ID=$c12 CONTAINER_TAG=mytag CONTAINER_NAME=myname SYSLOG_IDENTIFIER=mytag FOO=bar NUM_1=a b c
MESSAGE=err 1\\n PRIORITY=3 CONTAINER_ID_FULL=$c CONTAINER_ID=$c12 CONTAINER_TAG=mytag CONTAINER_NAME=myname SYSLOG_IDENTIFIER=mytag FOO=bar NUM_1=a b c
"
	# no other fields than these, libsystemd's CODE_* and journald's trusted ones; sent by the
	# monitor itself over the native protocol
	journal --json "$T/entries.json"
	python3 - "$T/entries.json" "$(daemon_pid)" <<'PY'
import json, sys
entries, pid = json.load(open(sys.argv[1])), sys.argv[2]
want = {"MESSAGE", "CONTAINER_ID_FULL", "PRIORITY", "CONTAINER_ID", "CONTAINER_TAG", "CONTAINER_NAME",
        "SYSLOG_IDENTIFIER", "FOO", "NUM_1", "CODE_FILE", "CODE_LINE", "CODE_FUNC"}
assert len(entries) == 2, entries
for e in entries:
    user = {k for k in e if not k.startswith("_")}
    assert user == want, sorted(user ^ want)
    assert e["_PID"] == pid, (e["_PID"], pid)
    assert e["_TRANSPORT"] == "journal", e["_TRANSPORT"]
    assert e["CODE_LINE"].isdigit(), e["CODE_LINE"]
PY
}

@test "journald: fields are sent in the order of §8.3 (native protocol capture)" {
	use_journal capture
	jrun myname --log-tag mytag --log-label FOO=bar --log-label ZZ_9=last -- \
		/bin/sh -c 'echo full; sleep 0.3; printf "no newline"'
	[ "$DAEMON_RC" = 0 ]
	journal --names >"$T/names"
	cat "$T/names"
	# the label fields come after the partial flag, libsystemd appends CODE_* (sd_journal_sendv macro)
	assert_file_content "$T/names" "MESSAGE CONTAINER_ID_FULL PRIORITY CONTAINER_ID CONTAINER_TAG CONTAINER_NAME SYSLOG_IDENTIFIER FOO ZZ_9 CODE_FILE CODE_LINE CODE_FUNC
MESSAGE CONTAINER_ID_FULL PRIORITY CONTAINER_ID CONTAINER_TAG CONTAINER_NAME SYSLOG_IDENTIFIER CONTAINER_PARTIAL_MESSAGE FOO ZZ_9 CODE_FILE CODE_LINE CODE_FUNC
"
	journal --show "MESSAGE,CONTAINER_PARTIAL_MESSAGE,_PID" >"$T/show"
	assert_file_content "$T/show" "MESSAGE=full\\n _PID=$(daemon_pid)
MESSAGE=no newline CONTAINER_PARTIAL_MESSAGE=true _PID=$(daemon_pid)
"
}

@test "journald: SYSLOG_IDENTIFIER is the tag, else the name, else the 12-character id" {
	local c=$CID c12=${CID:0:12}
	jrun myname --log-tag mytag -- /bin/sh -c 'echo one'
	journal --show "$SHOW" >"$T/show"
	assert_file_content "$T/show" "MESSAGE=one\\n PRIORITY=6 CONTAINER_ID_FULL=$c CONTAINER_ID=$c12 CONTAINER_TAG=mytag CONTAINER_NAME=myname SYSLOG_IDENTIFIER=mytag
"
	vigil_reset
	use_journal journald
	jrun myname -- /bin/sh -c 'echo two'
	journal --show "$SHOW" >"$T/show"
	assert_file_content "$T/show" "MESSAGE=two\\n PRIORITY=6 CONTAINER_ID_FULL=$c CONTAINER_ID=$c12 CONTAINER_NAME=myname SYSLOG_IDENTIFIER=myname
"
	vigil_reset
	use_journal journald
	jrun '' -- /bin/sh -c 'echo three'
	journal --show "$SHOW" >"$T/show"
	assert_file_content "$T/show" "MESSAGE=three\\n PRIORITY=6 CONTAINER_ID_FULL=$c CONTAINER_ID=$c12 SYSLOG_IDENTIFIER=$c12
"
	vigil_reset
	use_journal journald
	jrun '' --log-tag onlytag -- /bin/sh -c 'echo four'
	journal --show "$SHOW" >"$T/show"
	assert_file_content "$T/show" "MESSAGE=four\\n PRIORITY=6 CONTAINER_ID_FULL=$c CONTAINER_ID=$c12 CONTAINER_TAG=onlytag SYSLOG_IDENTIFIER=onlytag
"
}

@test "journald: a line split across reads is one entry; a line cut off at exit is a partial entry" {
	jrun n -- /bin/sh -c 'printf start; sleep 0.3; printf " end\n"; sleep 0.2; printf err-tail >&2; printf tail'
	[ "$DAEMON_RC" = 0 ]
	journal --show MESSAGE,PRIORITY,CONTAINER_PARTIAL_MESSAGE | sort >"$T/show"
	cat "$T/show"
	# the two partial entries are flushed at exit, in no defined order between the streams
	assert_file_content "$T/show" 'MESSAGE=err-tail PRIORITY=3 CONTAINER_PARTIAL_MESSAGE=true
MESSAGE=start end\n PRIORITY=6
MESSAGE=tail PRIORITY=6 CONTAINER_PARTIAL_MESSAGE=true
'
}

# check_long_line STDOUT-FILE EXPECTED JSON: the entries rebuild EXPECTED (one line); every entry
# but the last is partial
check_long_line()
{
	cmp "$1" "$2"
	python3 - "$3" <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))
print("%d entries, the largest %d bytes" % (len(entries), max(len(e["MESSAGE"]) for e in entries)))
assert len(entries) >= 2, "a long line must be split, got %d entries" % len(entries)
for i, e in enumerate(entries):
    last = i == len(entries) - 1
    flag = e.get("CONTAINER_PARTIAL_MESSAGE")
    assert flag == ("true" if not last else None), (i, len(entries), flag)
    assert e["MESSAGE"].endswith("\n") == last, (i, repr(e["MESSAGE"][-5:]))
PY
}

@test "journald: a 1 MiB line arrives complete when its partial entries are joined" {
	head -c 786432 /dev/urandom | base64 -w 0 >"$DATA_DIR/line"
	echo >>"$DATA_DIR/line"
	[ "$(stat -c %s "$DATA_DIR/line")" = 1048577 ]
	jrun n -- /bin/cat /data/line
	[ "$DAEMON_RC" = 0 ]
	journal --stdout "$T/j.stdout" --stderr "$T/j.stderr" --json "$T/entries.json"
	[ ! -s "$T/j.stderr" ]
	check_long_line "$T/j.stdout" "$DATA_DIR/line" "$T/entries.json"
}

@test "journald: --no-container-partial-message leaves the field out" {
	head -c 150000 /dev/urandom | base64 -w 0 >"$DATA_DIR/line"
	echo >>"$DATA_DIR/line"
	jrun n --no-container-partial-message -- /bin/sh -c 'cat /data/line; printf tail'
	[ "$DAEMON_RC" = 0 ]
	journal --stdout "$T/j.stdout" --json "$T/entries.json"
	cmp "$T/j.stdout" <(cat "$DATA_DIR/line"; printf tail)
	python3 - "$T/entries.json" <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))
assert len(entries) >= 3, "the line must be split and the tail is an entry of its own"
assert not any("CONTAINER_PARTIAL_MESSAGE" in e for e in entries)
PY
	# the final piece is still a separate entry (no newline), without the field
	journal --show MESSAGE,CONTAINER_PARTIAL_MESSAGE | tail -n 1 >"$T/last"
	assert_file_content "$T/last" $'MESSAGE=tail\n'
}

@test "journald: a line longer than 16384 bytes is split, no entry over 16384 bytes (conmon reads 8 KiB)" {
	# §8.3: partial lines are buffered in 8192 bytes; a piece that does not fit goes out together
	# with the buffer as one partial entry. conmon's pieces are its reads of at most 8192 bytes
	# (§8.2), so no entry exceeds 16384 bytes and a longer line always becomes several entries.
	python3 -c 'import sys; open(sys.argv[1], "wb").write(b"a" * 20000 + b"\n")' "$DATA_DIR/line"
	jrun n -- /bin/cat /data/line
	journal --stdout "$T/j.stdout" --json "$T/entries.json"
	cmp "$T/j.stdout" "$DATA_DIR/line"
	python3 - "$T/entries.json" <<'PY'
import json, sys
entries = json.load(open(sys.argv[1]))
sizes = [(len(e["MESSAGE"]), e.get("CONTAINER_PARTIAL_MESSAGE")) for e in entries]
print("entries (size, partial):", sizes)
assert len(entries) >= 2, "a 20001-byte line went out as %d entry" % len(entries)
assert all(n <= 16384 for n, _ in sizes), "entry larger than 16384 bytes"
assert sizes[0][1] == "true"
PY
}

@test "journald: binary output with NUL bytes and invalid UTF-8 is stored byte for byte" {
	python3 - "$DATA_DIR/out.bin" <<'PY'
import os, sys
data = b"a\0b\xffc\n" + "héllo € 😀\n".encode() + os.urandom(100000) + b"\n" + b"\0\0\0\n" + b"\xc3\n"
open(sys.argv[1], "wb").write(data)
PY
	printf 'e\0rr\x80\n' >"$DATA_DIR/err.bin"
	jrun n -- /bin/sh -c 'cat /data/out.bin; cat /data/err.bin >&2'
	[ "$DAEMON_RC" = 0 ]
	journal --stdout "$T/j.stdout" --stderr "$T/j.stderr" --show MESSAGE >"$T/show"
	cmp "$T/j.stdout" "$DATA_DIR/out.bin"
	cmp "$T/j.stderr" "$DATA_DIR/err.bin"
	# a valid UTF-8 line is a string in journalctl's JSON, an invalid one an array of bytes; both
	# come back exactly (the first entries, in order; shown as escaped bytes)
	[ "$(head -n 2 "$T/show")" = 'MESSAGE=a\x00b\xffc\n
MESSAGE=h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\n' ]
}

@test "journald: '<N>' prefixes keep PRIORITY 6/3 by default (§17.3)" {
	VIGIL_LOG=(-l journald -l "k8s-file:$LOG")
	jrun n -- /bin/sh -c 'printf "<3>error text\n"; printf "<7>debug\n"; sleep 0.2; printf "<4>warn\n" >&2'
	journal --show MESSAGE,PRIORITY >"$T/show"
	assert_file_content "$T/show" 'MESSAGE=<3>error text\n PRIORITY=6
MESSAGE=<7>debug\n PRIORITY=6
MESSAGE=<4>warn\n PRIORITY=3
'
	k8s_check "$LOG"
	assert_file_content "$T/out.stdout" $'<3>error text\n<7>debug\n'
}

PRIO_CMD='for l in "<0>zero" "<3>three" "<7>seven" "<8>eight" "x<3>mid" "<3" "<3>"; do printf "%s\n" "$l"; done
sleep 0.3; printf a; sleep 0.3; printf "<3>b\n"
sleep 0.3; printf "<5>par"; sleep 0.3; printf "tial\n"
sleep 0.3; printf "<5>note\n" >&2; sleep 0.2; printf "plain\n" >&2'

PRIO_WANT='MESSAGE=zero\n PRIORITY=0
MESSAGE=three\n PRIORITY=3
MESSAGE=seven\n PRIORITY=7
MESSAGE=<8>eight\n PRIORITY=6
MESSAGE=x<3>mid\n PRIORITY=6
MESSAGE=<3\n PRIORITY=6
MESSAGE=\n PRIORITY=3
MESSAGE=a<3>b\n PRIORITY=6
MESSAGE=partial\n PRIORITY=5
MESSAGE=note\n PRIORITY=5
MESSAGE=plain\n PRIORITY=3
'

@test "journald: --log-journald-priority takes PRIORITY from '<N>' at a line start and removes it" {
	VIGIL_LOG=(-l journald -l "k8s-file:$LOG")
	jrun n --log-journald-priority -- /bin/sh -c "$PRIO_CMD"
	[ "$DAEMON_RC" = 0 ]
	journal --show MESSAGE,PRIORITY >"$T/show"
	cat "$T/show"
	assert_file_content "$T/show" "$PRIO_WANT"
	# only journald is affected: the k8s-file keeps the prefixes
	k8s_check "$LOG"
	grep -q ' stdout F <0>zero$' "$LOG"
	grep -q ' stderr F <5>note$' "$LOG"
}

@test "journald: VIGIL_JOURNALD_PRIORITY=1 in the environment does the same" {
	ENGINE_OPTS=(--env VIGIL_JOURNALD_PRIORITY=1)
	jrun n -- /bin/sh -c "$PRIO_CMD"
	journal --show MESSAGE,PRIORITY >"$T/show"
	assert_file_content "$T/show" "$PRIO_WANT"
	# any other value leaves it off
	vigil_reset
	use_journal journald
	ENGINE_OPTS=(--env VIGIL_JOURNALD_PRIORITY=0)
	jrun n -- /bin/sh -c 'printf "<3>x\n"'
	journal --show MESSAGE,PRIORITY >"$T/show"
	assert_file_content "$T/show" $'MESSAGE=<3>x\\n PRIORITY=6\n'
}

@test "journald: the container id must be longer than 12 characters" {
	make_bundle /bin/true
	CID=abcdef012345
	CUUID=$CID
	vigil_launch
	expect_fatal_launch 'Container ID must be longer than 12 characters'
	assert_file_content "$STATE/vigil.err" $'[conmon:e]: Container ID must be longer than 12 characters\n'

	vigil_reset
	use_journal journald
	CID=abcdef0123456
	CUUID=$CID
	jrun thirteen -- /bin/sh -c 'echo ok'
	journal --show "$SHOW" >"$T/show"
	assert_file_content "$T/show" "MESSAGE=ok\\n PRIORITY=6 CONTAINER_ID_FULL=abcdef0123456 CONTAINER_ID=abcdef012345 CONTAINER_NAME=thirteen SYSLOG_IDENTIFIER=thirteen
"
}

@test "journald: --log-label errors: lowercase name, no '=', empty name, two '='" {
	make_bundle /bin/true
	local label
	for label in foo=bar Foo=bar NOEQUALS =value A=b=c 'A B=c' A-B=c; do
		vigil_reset
		vigil_launch --log-label GOOD=1 --log-label "$label"
		expect_fatal_launch "'$label'"
	done
	# an empty value is fine
	vigil_reset
	use_journal journald
	jrun n --log-label EMPTY= --log-label A_1=x -- /bin/sh -c 'echo labelled'
	journal --show MESSAGE,EMPTY,A_1 >"$T/show"
	assert_file_content "$T/show" $'MESSAGE=labelled\\n EMPTY= A_1=x\n'
}

@test "journald: --log-tag and --log-label with only k8s-file are errors" {
	make_bundle /bin/true
	VIGIL_LOG=(-l "k8s-file:$LOG")
	vigil_launch --log-tag foo
	expect_fatal_launch --log-tag
	vigil_reset
	vigil_launch --log-label FOO=bar
	expect_fatal_launch --log-label
	[ ! -e "$LOG" ]
}

@test "journald: --no-container-partial-message without journald only warns" {
	VIGIL_LOG=(-l "k8s-file:$LOG")
	LAUNCH_WRAP=()
	run_container --no-container-partial-message -- /bin/sh -c 'printf "x\ny"'
	[ "$DAEMON_RC" = 0 ]
	grep -q '^\[conmon:w\]: ' "$STATE/vigil.err"
	k8s_check "$LOG"
	assert_file_content "$T/out.norm" $'TS stdout F x\nTS stdout P y\n'
}

@test "journald: without a journal socket the container still runs, the exit file and the k8s-file are complete" {
	use_journal none
	VIGIL_LOG=(-l journald -l "k8s-file:$LOG")
	python3 - "$DATA_DIR/expected.out" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(2000):
        f.write("line %d %s\n" % (i, "x" * 60))
    f.write("partial")
PY
	jrun n -- /bin/sh -c 'cat /data/expected.out; echo err1 >&2; echo err2 >&2; exit 7'
	# the daemon's status is the container's (§9.3)
	[ "$DAEMON_RC" = 7 ]
	assert_file_content "$(exit_file)" 7
	k8s_check "$LOG"
	cmp "$T/out.stdout" "$DATA_DIR/expected.out"
	assert_file_content "$T/out.stderr" $'err1\nerr2\n'
	[ ! -e "$JNS/runlog/journal" ]
}

@test "journald: k8s-file and journald at once get identical content" {
	VIGIL_LOG=(-l "k8s-file:$LOG" -l journald)
	python3 - "$DATA_DIR/out" "$DATA_DIR/err" <<'PY'
import os, sys
out = b"".join(b"line %d\n" % i for i in range(3000)) + b"y" * 100000 + b"\n" + b"\n\n" + b"bin\0\xfe\n"
err = b"".join(b"error %d\n" % i for i in range(500)) + b"z" * 30000 + b"\n"
open(sys.argv[1], "wb").write(out + b"end without newline")
open(sys.argv[2], "wb").write(err + b"err tail")
PY
	jrun n --log-tag both -- /bin/sh -c 'cat /data/out & cat /data/err >&2; wait'
	[ "$DAEMON_RC" = 0 ]
	k8s_check "$LOG"
	journal --stdout "$T/j.stdout" --stderr "$T/j.stderr"
	cmp "$T/out.stdout" "$DATA_DIR/out"
	cmp "$T/out.stderr" "$DATA_DIR/err"
	cmp "$T/j.stdout" "$DATA_DIR/out"
	cmp "$T/j.stderr" "$DATA_DIR/err"
}
