#!/bin/sh
# heuristics.sh -- an encrypted zip (built here with zip -P) is a
# Heuristics.* result with clamav_heuristics on, and clean with it off.
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
command -v zip > /dev/null 2>&1 || skip "zip not installed (apt-get install zip)"

make_db "$T/db"
printf 'Quarterly figures, nothing to see here.\n' > "$T/figures.txt"
(cd "$T" && zip -q -P secret enc.zip figures.txt) || bad "zip -P failed"
make_msg "$T/enc.zip" "$T/enc.eml"
for h in yes no; do
	write_conf "$T/w.$h.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 0
clamav_heuristics = $h
EOT
done
out=$("$PROBE" -c "$T/w.yes.conf" "$T/enc.eml")
case $out in
*"	HEURISTIC	Heuristics.Encrypted.Zip	"*) pass "encrypted zip: $(echo "$out" | cut -f2,3)" ;;
*) bad "encrypted zip with heuristics: $out" ;;
esac
out=$("$PROBE" -c "$T/w.no.conf" "$T/enc.eml")
case $out in
*"	CLEAN	"*) pass "encrypted zip, heuristics off: clean" ;;
*) bad "encrypted zip without heuristics: $out" ;;
esac
exit $fail
