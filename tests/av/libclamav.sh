#!/bin/sh
# libclamav.sh -- the in-process engine through av_open/av_scan: every
# file of clamav-testfiles attached to a message as base64 is found, the
# same message with harmless bytes instead passes clean, from memory and
# through a file descriptor; EICAR is found.
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
need_testfiles

make_db "$T/db"
write_conf "$T/w.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 0
EOT
mkdir "$T/msg"
n=0
for f in "$TESTFILES"/*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	make_msg "$f" "$T/msg/$b.bad.eml"
	harmless "$f" "$T/harmless.$b"
	make_msg "$T/harmless.$b" "$T/msg/$b.good.eml" "$b"
	n=$((n + 1))
done
make_msg "$T/eicar.com" "$T/msg/eicar.bad.eml"
[ "$n" -ge 40 ] || bad "only $n files in $TESTFILES"

for mode in memory fd; do
	opt=
	[ $mode = fd ] && opt=-f
	"$PROBE" -c "$T/w.conf" $opt "$T"/msg/*.eml > "$T/out.$mode" 2> "$T/err.$mode" ||
	    { bad "av_probe ($mode) failed"; cat "$T/err.$mode"; }
	while IFS='	' read -r file status name version rest; do
		b=$(basename "$file")
		want=$(expect "$file")
		if [ "$status $name" = "$want" ]; then
			:
		else
			bad "$mode: $b: got $status $name ${rest:-}, want $want"
		fi
		case $version in
		"ClamAV "*/*) ;;
		*) bad "$mode: $b: version '$version'" ;;
		esac
	done < "$T/out.$mode"
	total=$(wc -l < "$T/out.$mode")
	[ "$total" -eq $((2 * n + 1)) ] || bad "$mode: $total results for $((2 * n + 1)) messages"
	[ $fail = 0 ] && pass "$mode: $n test files found, $n harmless messages clean, EICAR found"
done

# One level more and the nested archive is found as the virus.
write_conf "$T/deep.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 0
clamav_max_recursion = 18
EOT
if [ -f "$T/msg/clam_cache_emax.tgz.bad.eml" ]; then
	out=$("$PROBE" -c "$T/deep.conf" "$T/msg/clam_cache_emax.tgz.bad.eml" 2>&1)
	case $out in
	*"	VIRUS	Warden.Test.ClamExe.UNOFFICIAL	"*)
		pass "clam_cache_emax.tgz found with clamav_max_recursion = 18" ;;
	*) bad "clam_cache_emax.tgz, recursion 18: $out" ;;
	esac
fi
exit $fail
