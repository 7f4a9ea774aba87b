#!/bin/sh
# vigil under valgrind memcheck, for the integration tests: VIGIL_BINARY=tests/valgrind/vigil-vg.sh.
# The daemon is followed across its fork (the runtime and the exit command run natively, not
# traced); every process writes its own report to $VIGIL_VG_LOGS/vg.<pid>, and run.sh fails the
# run when any report has an error or a definite leak.
: "${VIGIL_VG_BINARY:?set VIGIL_VG_BINARY to the vigil binary}"
: "${VIGIL_VG_LOGS:?set VIGIL_VG_LOGS to a directory for the reports}"
exec valgrind --tool=memcheck --trace-children=no --child-silent-after-fork=no \
	--leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
	--log-file="$VIGIL_VG_LOGS/vg.%p" -q "$VIGIL_VG_BINARY" "$@"
