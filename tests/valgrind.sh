#!/bin/sh
# tests/valgrind.sh -- Warden's Check unit tests under valgrind: each
# test program runs in one process (CK_FORK=no, so valgrind sees every
# test) with full leak checking; any memory error or definite/indirect
# leak fails it.  "make check-valgrind" runs this from the build
# directory after building the tests.
#
# usage: tests/valgrind.sh [TEST_PROGRAM...]   (default: tests/unit/test_*)
#
# Exit 0 when every program is clean, 1 otherwise, 77 (skip) without
# valgrind or in a sanitizer build (the two cannot be combined).
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
export srcdir

if ! command -v valgrind >/dev/null 2>&1; then
	echo "SKIP: valgrind is not installed"
	exit 77
fi
if grep -q "enable-sanitizers" config.log 2>/dev/null; then
	echo "SKIP: a sanitizer build cannot run under valgrind"
	exit 77
fi
if [ $# -eq 0 ]; then
	for t in tests/unit/test_*; do
		case $t in *.c|*.o|*.log|*.trs) continue ;; esac
		[ -x "$t" ] && set -- "$@" "$t"
	done
fi
if [ $# -eq 0 ]; then
	echo "ERROR: no unit test programs (run from the build directory after make check)" >&2
	exit 99
fi

fail=0
for t in "$@"; do
	log=$t.valgrind.log
	start=$(date +%s)
	if CK_FORK=no valgrind -q --error-exitcode=1 --leak-check=full \
	    --errors-for-leak-kinds=definite,indirect \
	    --suppressions="$srcdir/tests/valgrind.supp" \
	    "$t" >"$log" 2>&1; then
		echo "ok: $t under valgrind ($(( $(date +%s) - start ))s)"
	else
		echo "FAIL: $t under valgrind (see $log):"
		grep "^==" "$log" | head -n 40
		fail=1
	fi
done
exit $fail
