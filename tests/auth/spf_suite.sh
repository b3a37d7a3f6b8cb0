#!/bin/sh
# spf_suite.sh -- the RFC 7208 test suite (the openspf.org suite Debian
# ships with python3-spf) against Warden's SPF checks: spf_suite.py turns
# its YAML into lines, spf_suite answers every lookup from the suite's
# zones and runs each case.  Skips (77) without the suite or python3-yaml.
#
#	SPF_SUITE=path/to/rfc7208-tests.yml[.gz]	another copy of the suite
set -u

: "${srcdir:=$(dirname "$0")/../..}"
SUITE=${SPF_SUITE:-/usr/share/doc/python3-spf/rfc7208-tests.yml.gz}
RUN=$(pwd)/tests/auth/spf_suite

[ -x "$RUN" ] || { echo "ERROR: $RUN is not built"; exit 99; }
if [ ! -r "$SUITE" ]; then
	echo "SKIP: no $SUITE (apt-get install python3-spf)"
	exit 77
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "SKIP: python3 cannot import yaml (apt-get install python3-yaml)"
	exit 77
fi
T=$(mktemp "${TMPDIR:-/tmp}/warden-spf-suite.XXXXXX") || exit 99
trap 'rm -f "$T"' EXIT
trap 'exit 99' HUP INT TERM
python3 "$srcdir/tests/auth/spf_suite.py" "$SUITE" > "$T" || {
	echo "ERROR: spf_suite.py could not read $SUITE"
	exit 99
}
"$RUN" "$T"
