#!/bin/sh
# measure_scan_time.sh DIR... -- antivirus cost per message over a corpus
# (e.g. /work/shared/corpus/dev/ham /work/shared/corpus/dev/spam): the
# in-process scan alone (av_probe, test signatures), and warden scan
# with clamav = on versus off (no rules, so the difference is the
# antivirus).  Not part of make check.
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
[ $# -gt 0 ] || { echo "usage: measure_scan_time.sh DIR..." >&2; exit 2; }

find "$@" -type f -name '*.eml' | sort > "$T/list"
n=$(wc -l < "$T/list")
[ "$n" -gt 0 ] || { echo "no .eml files under $*" >&2; exit 2; }
make_db "$T/db"
write_conf "$T/on.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 0
EOT
write_conf "$T/off.conf" <<EOT
clamav = off
EOT
ms() { awk -v a="$1" -v b="$2" -v n="$n" 'BEGIN { printf "%.1f s, %.2f ms/message", b - a, (b - a) * 1000 / n }'; }

t0=$(date +%s.%N)
xargs "$PROBE" -c "$T/on.conf" < "$T/list" > "$T/probe.out" 2> /dev/null
t1=$(date +%s.%N)
echo "av_scan alone, $n messages: $(ms "$t0" "$t1") (engine load included)"
echo "  results: $(cut -f2 "$T/probe.out" | sort | uniq -c | tr '\n' ' ')"
if [ -x "$WARDEN" ]; then
	for mode in off on; do
		t0=$(date +%s.%N)
		xargs "$WARDEN" scan -c "$T/$mode.conf" < "$T/list" > /dev/null 2>&1
		t1=$(date +%s.%N)
		echo "warden scan, clamav = $mode: $(ms "$t0" "$t1")"
	done
fi
