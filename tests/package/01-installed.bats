#!/usr/bin/env bats
# SPDX-License-Identifier: Apache-2.0
#
# The installed vigil package (tests/package/run.sh installs it first): its files, and the "conmon"
# alternative that switches every engine on the host to vigil and back.

bats_require_minimum_version 1.5.0

setup_file() {
	dpkg-query -W -f='${Status}' vigil 2>/dev/null | grep -q 'install ok installed' ||
		{ echo "# the vigil package is not installed (tests/package/run.sh installs it)" >&3; return 1; }
}

teardown() {
	# every test leaves the group as the package installed it: automatic
	update-alternatives --auto conmon >/dev/null 2>&1 || true
}

# target LINK: where LINK finally points
target() {
	readlink -f -- "$1"
}

@test "the package holds the binary, its conmon hard link, the man page, the schema, README and examples" {
	run -0 dpkg-query -L vigil
	local f
	for f in /usr/bin/vigil /usr/libexec/vigil/conmon /usr/libexec/vigil/vigil-exit-spawner \
		/usr/share/man/man8/vigil.8.gz \
		/usr/share/vigil/exit-record.schema.json /usr/share/doc/vigil/README.md.gz \
		/usr/share/doc/vigil/copyright \
		/usr/share/doc/vigil/examples/containers.conf.d/vigil.conf \
		/usr/share/doc/vigil/examples/crio.conf.d/10-vigil.conf \
		/usr/share/doc/vigil/examples/systemd/container-web.service \
		/usr/share/doc/vigil/examples/quadlet/web.container; do
		grep -qx -- "$f" <<<"$output" || { echo "# $f is not in the package" >&3; return 1; }
		[[ -f $f ]]
	done
	# one file under two names: a monitor started as conmon runs the very same program
	[ "$(stat -c %i /usr/bin/vigil)" = "$(stat -c %i /usr/libexec/vigil/conmon)" ]
	[ "$(stat -c %h /usr/bin/vigil)" = 2 ]
	# the schema is JSON, the man page is vigil(8)
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert "exit_code" in d["properties"]' \
		/usr/share/vigil/exit-record.schema.json
	zcat /usr/share/man/man8/vigil.8.gz | grep -q '^\.TH "*vigil"* "*8"*'
	# a static PIE: no shared library to depend on (libc, glib and yajl are inside), and
	# Built-Using names the sources of all three
	run -0 readelf -lW /usr/bin/vigil
	[[ $output == *"DYN (Position-Independent Executable file)"* && $output != *"program interpreter"* ]]
	# the sandbox's exit spawner: a static executable of its own, no interpreter either
	run -0 readelf -lW /usr/libexec/vigil/vigil-exit-spawner
	[[ $output != *"program interpreter"* ]]
	# shellcheck disable=SC2016 # dpkg-query's format
	run -0 dpkg-query -W -f='${Depends}' vigil
	[[ $output != *libc6* && $output != *glib* && $output != *yajl* ]]
	# shellcheck disable=SC2016 # dpkg-query's format
	run -0 dpkg-query -W -f='${Built-Using}' vigil
	[[ $output == *"glib2.0 (= "* && $output == *"yajl (= "* && $output == *"glibc (= "* ]]
}

@test "installed vigil answers --version as conmon 2.2.1 and --help as vigil, under both names" {
	local bin
	for bin in /usr/bin/vigil /usr/libexec/vigil/conmon; do
		run -0 "$bin" --version
		[ "${lines[0]}" = "conmon version 2.2.1" ]
		[[ ${lines[1]} == "commit: "* ]]
		[[ $output == *"vigil version "* ]]
		run -0 "$bin" --help
		[ "${lines[1]}" = "  vigil [OPTION…] - container monitor, a drop-in for conmon" ]
		[[ $output == *--log-global-size-max* ]]
	done
}

@test "alternative: installed in automatic mode, Debian's conmon stays selected; vigil is a member" {
	[[ -x /usr/bin/conmon ]] || skip "Debian's conmon is not installed"
	run -0 update-alternatives --query conmon
	printf '# %s\n' "${lines[@]}" >&3
	grep -qx 'Status: auto' <<<"$output"
	grep -qx 'Value: /usr/bin/conmon' <<<"$output"
	grep -qx 'Alternative: /usr/libexec/vigil/conmon' <<<"$output"
	grep -qx 'Alternative: /usr/bin/conmon' <<<"$output"
	[ "$(target /usr/libexec/podman/conmon)" = /usr/bin/conmon ]
	[ "$(target /usr/sbin/conmon)" = /usr/bin/conmon ]
}

@test "alternative: one command switches Podman's and PATH's conmon to vigil, one switches back" {
	[[ -x /usr/bin/conmon ]] || skip "Debian's conmon is not installed"
	update-alternatives --set conmon /usr/libexec/vigil/conmon
	# Podman tries /usr/libexec/podman/conmon first; CRI-O without monitor_path takes conmon from
	# PATH, where /usr/sbin comes before /usr/bin
	[ "$(target /usr/libexec/podman/conmon)" = /usr/libexec/vigil/conmon ]
	[ "$(target /usr/sbin/conmon)" = /usr/libexec/vigil/conmon ]
	[ "$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin command -v conmon)" = /usr/sbin/conmon ]
	run -0 /usr/libexec/podman/conmon --help
	[[ ${lines[1]} == "  vigil "* ]]
	# Podman 4.3.1 with no conmon_path reports the first file of its list
	local d
	d=$(mktemp -d)
	printf '[engine]\nruntime = "runc"\n' >"$d/containers.conf"
	printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/g"\nrunroot = "%s/r"\n' "$d" "$d" >"$d/storage.conf"
	run -0 env CONTAINERS_CONF="$d/containers.conf" CONTAINERS_STORAGE_CONF="$d/storage.conf" \
		podman info --format '{{.Host.Conmon.Path}}|{{.Host.Conmon.Version}}'
	rm -rf "$d"
	[[ $output == "/usr/libexec/podman/conmon|conmon version 2.2.1, commit: "*"vigil version "* ]]

	update-alternatives --auto conmon
	[ "$(target /usr/libexec/podman/conmon)" = /usr/bin/conmon ]
	[ "$(target /usr/sbin/conmon)" = /usr/bin/conmon ]
	run -0 /usr/libexec/podman/conmon --help
	[[ ${lines[1]} != *vigil* ]]
}

@test "alternative: the trigger on /usr/bin/conmon puts Debian's conmon back into the group" {
	[[ -x /usr/bin/conmon ]] || skip "Debian's conmon is not installed"
	update-alternatives --remove conmon /usr/bin/conmon
	run -0 update-alternatives --list conmon
	[ "$output" = /usr/libexec/vigil/conmon ]
	# what dpkg does when a package installs /usr/bin/conmon
	dpkg-trigger --no-await /usr/bin/conmon
	dpkg --triggers-only vigil
	run -0 update-alternatives --list conmon
	grep -qx /usr/bin/conmon <<<"$output"
	[ "$(target /usr/libexec/podman/conmon)" = /usr/bin/conmon ]
}
