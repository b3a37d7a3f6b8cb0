#!/bin/sh
# tests/packaging/man.sh -- Warden's man pages render without warnings,
# and warden.conf(5) lists every key of packaging/warden.conf with the
# sample's default.
#
# Run by "make check" (srcdir is set by the test harness) or by hand from
# the top of the source tree.  Exit 77 (skip) without groff.

srcdir=${srcdir:-.}
pages="warden.8 warden.conf.5 warden-rules.5"

if ! command -v groff >/dev/null 2>&1; then
	echo "SKIP: groff is not installed (Debian: groff-base)"
	exit 77
fi

fail=0
out=$(mktemp) || exit 99
trap 'rm -f "$out"' EXIT

for p in $pages; do
	f="$srcdir/man/$p"
	if [ ! -f "$f" ]; then
		echo "FAIL: $f is missing"
		fail=1
		continue
	fi
	# groff's strictest warnings; -z: no output, just the checks.
	LC_ALL=C.UTF-8 groff -man -ww -z "$f" >"$out" 2>&1
	if [ -s "$out" ] || ! LC_ALL=C.UTF-8 groff -man -ww -z "$f" >/dev/null 2>&1; then
		echo "FAIL: groff -man -ww -z $p:"
		sed 's/^/    /' "$out"
		fail=1
	else
		echo "ok: groff -man -ww -z $p"
	fi
	# As man(1) renders it for a reader (man-db passes -ww to groff).
	if command -v man >/dev/null 2>&1; then
		MANWIDTH=80 LC_ALL=C.UTF-8 \
		    man --warnings -E UTF-8 -l "$f" 2>"$out" >/dev/null
		if [ -s "$out" ]; then
			echo "FAIL: man --warnings -l $p:"
			sed 's/^/    /' "$out"
			fail=1
		else
			echo "ok: man --warnings -l $p"
		fi
	fi
done

# Every key of the sample configuration, with its default, appears in
# warden.conf(5) as a line "\fBkey\fR = \fIdefault\fR" (or "\fBkey\fR ="
# for an empty default).  A '-' in a value is written "\-" in roff.
conf="$srcdir/packaging/warden.conf"
page="$srcdir/man/warden.conf.5"
n=0
missing=0
while IFS= read -r line; do
	key=${line%% =*}
	val=${line#*= }
	[ "$val" = "$line" ] && val=
	n=$((n + 1))
	if [ -z "$val" ]; then
		want="\\fB$key\\fR ="
	else
		want="\\fB$key\\fR = \\fI$(printf '%s' "$val" | sed 's/-/\\-/g')\\fR"
	fi
	if ! grep -Fqx -- "$want" "$page"; then
		printf "FAIL: warden.conf.5 lacks the line: %s\n" "$want"
		missing=$((missing + 1))
	fi
done <<KEYS
$(grep -E '^[a-z0-9_]+ =' "$conf")
KEYS
if [ "$n" -eq 0 ]; then
	echo "FAIL: no keys found in $conf"
	fail=1
elif [ "$missing" -ne 0 ]; then
	fail=1
else
	echo "ok: warden.conf.5 lists all $n keys of packaging/warden.conf with their defaults"
fi

# ... and no key that the sample does not have.
for key in $(sed -n 's/^\\fB\([a-z0-9_]*\)\\fR =.*/\1/p' "$page"); do
	if ! grep -Eq "^$key =" "$conf"; then
		echo "FAIL: warden.conf.5 documents \"$key\", which packaging/warden.conf lacks"
		fail=1
	fi
done

# The rule examples of warden-rules(5) load cleanly ("warden lint"),
# with the warden built beside this test.
if [ -x ./warden ]; then
	tmp=$(mktemp -d) || exit 99
	awk '/^\.SH EXAMPLES/ { f = 1; next }
	    f && /^\.EX/ { g = 1; next }
	    g && /^\.EE/ { exit }
	    g { print }' "$srcdir/man/warden-rules.5" |
	    sed 's/\\e/\\/g; s/\\-/-/g' >"$tmp/examples.rules"
	printf 'rules = %s\nclamav = off\n' "$tmp/examples.rules" >"$tmp/warden.conf"
	if [ -s "$tmp/examples.rules" ] &&
	    ./warden lint -c "$tmp/warden.conf" >"$out" 2>&1; then
		echo "ok: the examples of warden-rules.5 pass warden lint"
	else
		echo "FAIL: the examples of warden-rules.5 do not pass warden lint:"
		sed 's/^/    /' "$out"
		fail=1
	fi
	rm -rf "$tmp"
fi

exit $fail
