#!/bin/sh
# smoke.sh -- a small parity check for CI: SpamAssassin (local tests, no
# Bayes, private configuration and state) and warden scan, with the same
# stock .cf files, judge a handful of messages; every rule listed in
# tests/data/parity/expected must be hit by both, and the ham by neither
# at 5 points.  Exits 77 (skipped) when SpamAssassin is not installed.
set -u
SRC=${srcdir:-.}
WARDEN=${WARDEN:-./warden}
CF=/usr/share/spamassassin
DATA=$SRC/tests/data/parity

command -v spamassassin >/dev/null 2>&1 || { echo "SKIP: no spamassassin"; exit 77; }
perl -MMail::SpamAssassin -MJSON::PP -e 1 2>/dev/null ||
    { echo "SKIP: no Mail::SpamAssassin"; exit 77; }
[ -f "$CF/50_scores.cf" ] || { echo "SKIP: no rules in $CF"; exit 77; }
[ -x "$WARDEN" ] || { echo "SKIP: warden not built"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-smoke.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
mkdir "$T/site" "$T/state"
for pre in /etc/spamassassin/*.pre; do
	[ -f "$pre" ] && cp "$pre" "$T/site/"
done
: > "$T/site/local.cf"
printf 'rules = %s/*.cf\nclamav = off\ntag_score = 5\n' "$CF" > "$T/w.conf"

ls "$DATA"/*.eml | perl "$SRC/tests/parity/sa_check.pl" "$CF" "$T/site" \
    "$T/state" > "$T/sa.json" 2> "$T/sa.err" ||
    { echo "FAIL: sa_check.pl"; cat "$T/sa.err"; exit 1; }
"$WARDEN" scan -c "$T/w.conf" --json "$DATA"/*.eml > "$T/w.json" \
    2> "$T/w.err"
[ -s "$T/w.json" ] || { echo "FAIL: warden scan"; cat "$T/w.err"; exit 1; }

# The line of one file in a JSON-lines output.
line() { grep -F "\"file\":\"$DATA/$2\"" "$1"; }
# The integer part of the score on a line.
score() { sed -n 's/.*"score":\(-\{0,1\}[0-9]*\).*/\1/p'; }

fail=0
while read -r file rules; do
	case "$file" in ''|'#'*) continue ;; esac
	sal=$(line "$T/sa.json" "$file")
	wl=$(line "$T/w.json" "$file")
	[ -n "$sal" ] && [ -n "$wl" ] ||
	    { echo "FAIL: $file not judged by both"; fail=1; continue; }
	for r in $rules; do
		[ "$r" = - ] && continue
		echo "$sal" | grep -q "\"$r\"" ||
		    { echo "FAIL: $file: SpamAssassin did not hit $r"; fail=1; }
		echo "$wl" | grep -q "\"$r\"" ||
		    { echo "FAIL: $file: Warden did not hit $r"; fail=1; }
	done
	case "$file" in ham*)
		for who in sa w; do
			l=$sal; [ $who = w ] && l=$wl
			s=$(echo "$l" | score)
			[ "${s:-0}" -lt 5 ] ||
			    { echo "FAIL: $file: $who score $s"; fail=1; }
		done ;;
	esac
	echo "ok: $file"
done < "$DATA/expected"
exit $fail
