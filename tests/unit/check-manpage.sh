#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# check-manpage.sh OPTIONS_C MANPAGE_SCD
#
# Every long option of the GOptionEntry table in src/options.c (the names in its E_*("name", ...)
# entries and the {"api-version", ...} entry) must have its own entry in the OPTIONS section of
# the man page, a line starting with "*-" that names "*--name*"; and the entries must come in the
# table's order (style.md B11, like util-linux tools/checkmanpage.sh).  Output is TAP.
set -u

if [ $# -ne 2 ] || [ ! -r "$1" ] || [ ! -r "$2" ]; then
	echo "usage: $0 OPTIONS_C MANPAGE_SCD" >&2
	exit 2
fi
options_c=$1
manpage=$2

# The long option names, in table order: from "GOptionEntry entries[]" up to the terminating
# {NULL, ...} entry.
table=$(awk '
	/GOptionEntry entries\[\]/ { on = 1; next }
	on && /\{ *NULL *,/ { exit }
	# --help-all and --help-usage (-?) are documented on the --help entry
	on && /"help-(all|usage)"/ { next }
	on {
		line = $0
		while (match(line, /(E_[A-Z0-9]+\(|\{)"[a-z0-9][a-z0-9-]*"/)) {
			s = substr(line, RSTART, RLENGTH)
			sub(/^[^"]*"/, "", s)
			sub(/"$/, "", s)
			print s
			line = substr(line, RSTART + RLENGTH)
		}
	}' "$options_c")

# The long option of each option entry in the man page, in page order: inside "# OPTIONS", a term
# line starts with "*-" and is followed by its indented description; take its first "*--name*".
documented=$(awk '
	/^# / { on = ($0 == "# OPTIONS"); term = ""; next }
	on && term != "" && /^\t/ {
		if (match(term, /\*--[a-z0-9][a-z0-9-]*\*/))
			print substr(term, RSTART + 3, RLENGTH - 4)
	}
	on { term = ($0 ~ /^\*-/) ? $0 : "" }' "$manpage")

count=$(printf '%s\n' "$table" | grep -c .)
if [ "$count" -lt 40 ]; then
	echo "1..1"
	echo "not ok 1 - found only $count options in $options_c (did the table's layout change?)"
	exit 1
fi

echo "1..$((count + 1))"
n=0
failed=0
for name in $table; do
	n=$((n + 1))
	if printf '%s\n' "$documented" | grep -qx -- "$name"; then
		echo "ok $n - --$name is documented"
	else
		echo "not ok $n - --$name has no entry in the OPTIONS section of $manpage"
		failed=1
	fi
done

n=$((n + 1))
in_page_order=$(printf '%s\n' "$documented" | grep -x -F -- "$table")
if [ "$in_page_order" = "$table" ]; then
	echo "ok $n - the man page lists the options in table order"
else
	echo "not ok $n - the man page does not list the options in table order"
	echo "# table: $(printf '%s\n' "$table" | tr '\n' ' ')"
	echo "# page:  $(printf '%s\n' "$in_page_order" | tr '\n' ' ')"
	failed=1
fi
exit $failed
