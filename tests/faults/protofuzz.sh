#!/bin/sh
# Fault: something other than the MTA writes to the milter socket.  A
# short run of the protocol fuzzer (tests/fuzz/milter_proto.py, fixed
# seed): random and broken packet sequences, with a well-formed
# transaction every 50 sessions that must still get its verdict.  The
# daemon must survive, refuse the malformed macro packets it is sent,
# log no sanitizer report, and stop cleanly.  The 30-minute run is
# described in tests/fuzz/README.
. "$srcdir/tests/faults/lib.sh"

secs=15
[ "$sanitized" = yes ] && secs=25
out=$(python3 "$srcdir/tests/fuzz/milter_proto.py" --warden "$WARDEN" \
    --minutes "$(echo "$secs" | awk '{print $1 / 60}')" --seed 20261203 \
    --artifacts "$tmp/artifacts" 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "the protocol fuzzer found something (exit $rc)"
sessions=$(echo "$out" | sed -n 's/^sessions: \([0-9]*\) in.*/\1/p')
verdicts=$(echo "$out" | sed -n 's/^daemon log: \([0-9]*\) verdict.*/\1/p')
refused=$(echo "$out" |
    sed -n 's/.* verdict lines, \([0-9]*\) malformed.*/\1/p')
[ "${sessions:-0}" -ge 1000 ] || fail "only ${sessions:-0} sessions ran"
[ "${verdicts:-0}" -ge 10 ] || fail "only ${verdicts:-0} verdicts reached"
[ "${refused:-0}" -ge 10 ] ||
    fail "only ${refused:-0} malformed macro packets refused"
echo "ok: $sessions sessions, $verdicts verdicts, $refused malformed macro packets refused; the daemon survived and stopped cleanly"
