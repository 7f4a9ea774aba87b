#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# Command line: parsing rules, --version, --help and the validation order (interface.md §1.1-§1.3,
# §14.4, §14.5). None of these start a container: vigil must stop before the start pipe.

# GLib quotes values with “ and ” in its messages:
# shellcheck disable=SC1111

load helpers

setup()
{
	vigil_setup
	# should a validation step be missed, vigil reaches a runtime that only fails
	FAKE_RT=$T/fake-runtime
	make_fake_runtime "$FAKE_RT"
}

# vigil ARGS...: run vigil (bounded), with stdout in $output and stderr in $stderr.
vigil()
{
	run --separate-stderr timeout 20 "$VIGIL_BINARY" "$@"
}

# expect_fatal MESSAGE: exit status 1, stdout empty, stderr exactly MESSAGE plus a newline.
expect_fatal()
{
	if [[ $status -ne 1 || -n $output || $stderr != "$1" ]]; then
		echo "status: $status (expected 1)"
		echo "stdout: '$output' (expected empty)"
		echo "stderr: '$stderr'"
		echo "expected stderr: '$1'"
		return 1
	fi
}

@test "cli: --version prints the three version lines and exits 0" {
	vigil --version
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 3 ]
	[ "${lines[0]}" = "conmon version 2.2.1" ]
	[[ ${lines[1]} =~ ^commit:\ [^[:space:]]+$ ]]
	[[ ${lines[2]} =~ ^vigil\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
	# podman's probe (§14.4)
	[[ ${lines[0]} =~ ^(version:|conmon version)?\ ([0-9]+).([0-9]+).([0-9]+) ]]
}

@test "cli: --version wins over missing and invalid options" {
	vigil --log-level bogus --version --exit-delay -1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "conmon version 2.2.1" ]
}

@test "cli: --help exits 0 and lists --log-global-size-max" {
	vigil --help
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Usage:" ]
	# it names itself (conmon's own says "conmon [OPTION…] - conmon utility")
	[ "${lines[1]}" = "  vigil [OPTION…] - container monitor, a drop-in for conmon" ]
	[[ $output != *conmon\ utility* ]]
	[[ $output == *"--log-global-size-max"* ]]
	[[ $output == *"--api-version"* ]]
	for opt in -h '-?' --help-all; do
		vigil "$opt"
		[ "$status" -eq 0 ]
		[[ $output == *"--log-global-size-max"* ]]
	done
}

@test "cli: an unknown option fails with the GOption message on stderr" {
	vigil --bogus -c x
	expect_fatal "conmon: option parsing failed: Unknown option --bogus"
}

@test "cli: short options take no attached value (-cfoo)" {
	vigil -cfoo -u x
	expect_fatal "conmon: option parsing failed: Unknown option -cfoo"
}

@test "cli: a parse error comes before every validation error" {
	vigil --log-max-files -1 --bogus
	expect_fatal "conmon: option parsing failed: Unknown option --bogus"
}

@test "cli: integer options are parsed strictly" {
	vigil -c x --timeout abc
	expect_fatal "conmon: option parsing failed: Cannot parse integer value “abc” for --timeout"
	vigil -c x --timeout 5x
	expect_fatal "conmon: option parsing failed: Cannot parse integer value “5x” for --timeout"
	vigil -c x --timeout 99999999999
	expect_fatal "conmon: option parsing failed: Integer value “99999999999” for --timeout out of range"
	vigil -c x -T 2147483648
	expect_fatal "conmon: option parsing failed: Integer value “2147483648” for -T out of range"
	vigil -c x --exit-delay 1.5
	expect_fatal "conmon: option parsing failed: Cannot parse integer value “1.5” for --exit-delay"
	vigil -c x --log-max-files ''
	expect_fatal "conmon: option parsing failed: Cannot parse integer value “” for --log-max-files"
	# int64 options
	vigil -c x --log-size-max 9223372036854775808
	expect_fatal "conmon: option parsing failed: Integer value “9223372036854775808” for --log-size-max out of range"
	vigil -c x --log-global-size-max 12k
	expect_fatal "conmon: option parsing failed: Cannot parse integer value “12k” for --log-global-size-max"
	# a value in int64 range is fine for --log-size-max: the next check (missing -u) is reached
	vigil -c x --log-size-max 99999999999
	expect_fatal "[conmon:e]: Container UUID not provided. Use --cuuid"
}

@test "cli: an option value is the next argument even when it starts with '-'" {
	vigil -c x --runtime-arg --root=/x --runtime-opt --preserve-fds --exit-command-arg --root \
		--log-size-max -1 --log-global-size-max -1 --log-level bogus
	expect_fatal "[conmon:e]: No such log level bogus"
	# --log-level takes '-u' as its value, so -u is not seen as an option
	vigil -c x --log-level -u
	expect_fatal "[conmon:e]: No such log level -u"
}

@test "cli: --api-version is a flag; '--api-version 1' and '--api-version=1' are accepted" {
	vigil --api-version 1 -c x --log-level bogus
	expect_fatal "[conmon:e]: No such log level bogus"
	vigil --api-version=1 -c x --log-level bogus
	expect_fatal "[conmon:e]: No such log level bogus"
}

@test "cli: positional arguments are ignored, -- ends the options" {
	vigil stray -c x also-stray --log-level bogus
	expect_fatal "[conmon:e]: No such log level bogus"
	# after --, '--bogus' and '--log-level bogus' are positional: the next check is the missing -u
	vigil -c x -- --bogus --log-level bogus
	expect_fatal "[conmon:e]: Container UUID not provided. Use --cuuid"
	vigil -- -c x
	expect_fatal "conmon: Container ID not provided. Use --cid"
}

@test "cli: a string option given twice: the last one wins" {
	vigil -c x --log-level bogus --log-level info
	expect_fatal "[conmon:e]: Container UUID not provided. Use --cuuid"
	vigil -c x --log-level info --log-level bogus2
	expect_fatal "[conmon:e]: No such log level bogus2"
}

# §1.3: each step below is given arguments that also break every later step, so the message
# shows that this step is checked first.

@test "cli validation 2: --log-max-files < 0 (conmon: prefix), before --cid" {
	vigil --log-max-files -1 --log-level bogus
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr =~ ^conmon:\ [^$'\n']*log-max-files[^$'\n']*$ ]]
	[[ $stderr != *"[conmon:e]"* ]]
}

@test "cli validation 2: --log-rotate with --log-max-files 0 (conmon: prefix)" {
	vigil --log-rotate --log-max-files 0 --log-level bogus
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr =~ ^conmon:\ [^$'\n']*$ ]]
	[[ $stderr != *"[conmon:e]"* ]]
}

@test "cli validation 3: missing --cid" {
	vigil --log-level bogus --restore /r -e --exec-attach --exit-delay -1
	expect_fatal "conmon: Container ID not provided. Use --cid"
}

@test "cli validation 4: unknown --log-level" {
	vigil -c x --log-level x --restore /r -e --exec-attach --exit-delay -1
	expect_fatal "[conmon:e]: No such log level x"
}

@test "cli validation 4: log levels are case-insensitive logrus names" {
	local l
	for l in error fatal panic warn warning info debug trace DEBUG Info; do
		vigil -c x --log-level "$l"
		expect_fatal "[conmon:e]: Container UUID not provided. Use --cuuid"
	done
}

@test "cli validation 5: --restore with --exec" {
	vigil -c x --restore /r -e --exec-attach --exit-delay -1
	expect_fatal "[conmon:e]: Cannot use 'exec' and 'restore' at the same time"
}

@test "cli validation 6: --exec-attach without -e" {
	vigil -c x --exec-attach --api-version --exit-delay -1
	expect_fatal "[conmon:e]: Attach can only be specified with exec"
}

@test "cli validation 6: --exec-attach without --api-version" {
	vigil -c x -e --exec-attach --exit-delay -1
	expect_fatal "[conmon:e]: Attach can only be specified for a non-legacy exec session"
}

@test "cli validation 7: missing --cuuid" {
	vigil -c x --exit-delay -1
	expect_fatal "[conmon:e]: Container UUID not provided. Use --cuuid"
}

@test "cli validation 7: legacy exec needs no --cuuid" {
	vigil -c x -e --exit-delay -1
	expect_fatal "[conmon:e]: Runtime path not provided. Use --runtime"
}

@test "cli validation 8: missing --runtime" {
	vigil -c x -u x -e --exit-delay -1
	expect_fatal "[conmon:e]: Runtime path not provided. Use --runtime"
}

@test "cli validation 8: runtime path does not exist" {
	vigil -c x -u x -r "$T/no-such-runtime" -e --exit-delay -1
	expect_fatal "[conmon:e]: Runtime path $T/no-such-runtime is not valid No such file or directory"
}

@test "cli validation 8: runtime path is not executable" {
	touch "$T/runtime"
	chmod 644 "$T/runtime"
	vigil -c x -u x -r "$T/runtime" -e --exit-delay -1
	# root passes access(X_OK) only if some execute bit is set
	expect_fatal "[conmon:e]: Runtime path $T/runtime is not valid Permission denied"
}

@test "cli validation 9: -e without --exec-process-spec" {
	vigil -c x -u x -r "$FAKE_RT" -e --exit-delay -1
	expect_fatal "[conmon:e]: Exec process spec path not provided. Use --exec-process-spec"
}

@test "cli validation 10: negative --exit-delay, before the log driver" {
	vigil -c x -u x -r "$FAKE_RT" --exit-delay -1
	[ "$status" -eq 1 ]
	[ -z "$output" ]
	[[ $stderr =~ ^\[conmon:e\]:\ [^$'\n']*exit-delay[^$'\n']*$ ]]
}

@test "cli validation 11: no log driver" {
	vigil -c x -u x -r "$FAKE_RT"
	expect_fatal "[conmon:e]: Log driver not provided. Use --log-path"
}

@test "cli validation 11: k8s-file without a filename" {
	vigil -c x -u x -r "$FAKE_RT" -l k8s-file:
	expect_fatal "[conmon:e]: k8s-file requires a filename"
	vigil -c x -u x -r "$FAKE_RT" -l k8s-file
	expect_fatal "[conmon:e]: k8s-file requires a filename"
}

@test "cli validation 11: empty log path" {
	vigil -c x -u x -r "$FAKE_RT" -l ''
	expect_fatal "[conmon:e]: log-path must not be empty"
	vigil -c x -u x -r "$FAKE_RT" -l :
	expect_fatal "[conmon:e]: log-path must not be empty"
}

@test "cli validation 11: unknown log driver" {
	vigil -c x -u x -r "$FAKE_RT" -l foo:bar
	expect_fatal "[conmon:e]: No such log driver foo"
}

@test "cli validation 11: the k8s log is opened before daemonizing" {
	vigil -c x -u x -r "$FAKE_RT" -l "k8s-file:$T/missing-dir/ctr.log"
	expect_fatal "[conmon:e]: Failed to open log file No such file or directory"
}

@test "cli validation 11: --log-tag and --log-label need journald" {
	vigil -c x -u x -r "$FAKE_RT" -l "k8s-file:$T/ctr.log" --log-tag tag
	[ "$status" -eq 1 ]
	[[ $stderr =~ ^\[conmon:e\]:\ [^$'\n']*--log-tag[^$'\n']*$ ]]
	vigil -c x -u x -r "$FAKE_RT" -l "k8s-file:$T/ctr.log" --log-label FOO=bar
	[ "$status" -eq 1 ]
	[[ $stderr =~ ^\[conmon:e\]:\ [^$'\n']*--log-label[^$'\n']*$ ]]
}

@test "cli validation 11: journald needs a container id longer than 12 characters" {
	vigil -c 123456789012 -u x -r "$FAKE_RT" -l journald --socket-dir-path "$T"
	[ "$status" -eq 1 ]
	[[ $stderr == "[conmon:e]: Container ID must be longer than 12 characters" ||
		$stderr == "[conmon:e]: Include journald in compilation path to log to systemd journal" ]]
}

@test "cli validation 11: journald labels are NAME=VALUE with NAME in A-Z0-9_, in conmon's words" {
	local label want
	# label <TAB> the message after "[conmon:e]: " (conmon's suite matches these words)
	while IFS=$'\t' read -r label want; do
		vigil -c 1234567890123 -u x -r "$FAKE_RT" -l journald --socket-dir-path "$T" --log-label "$label" </dev/null
		[ "$status" -eq 1 ]
		[[ $stderr == "[conmon:e]: $want" ]] ||
			[[ $stderr == "[conmon:e]: Include journald in compilation path to log to systemd journal" ]]
	done <<'EOF'
foo=bar	Container label names must contain only uppercase letters, numbers and underscore (in 'foo=bar')
MY%LABEL=x	Container label names must contain only uppercase letters, numbers and underscore (in 'MY%LABEL=x')
A B=c	Container label names must contain only uppercase letters, numbers and underscore (in 'A B=c')
NOEQUALS	Container labels must be in format LABEL=VALUE (no LABEL present in 'NOEQUALS')
=value	Container labels must be in format LABEL=VALUE (no LABEL present in '=value')
A=b=c	Container labels must be in format LABEL=VALUE (none or more than one '=' present in 'A=b=c')
EOF
}
