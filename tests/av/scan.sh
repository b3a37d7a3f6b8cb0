#!/bin/sh
# scan.sh -- the antivirus through warden scan --json (the pipeline the
# milter runs): every clamav-testfiles file attached as base64 is
# rejected with the virus reply, the same message with harmless bytes is
# accepted with X-Virus-Scanned / X-Virus-Status: Clean; an encrypted zip
# takes heuristic_action; clamav = off scans nothing; lint names
# libclamav's temporary directory (the spool) and whether it is a tmpfs,
# and a spool on a tmpfs finds the same and is left empty.
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
need_testfiles
[ -x "$WARDEN" ] || skip "warden not built"

make_db "$T/db"
write_conf "$T/w.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 0
clamav_max_recursion = 18
EOT
mkdir "$T/msg"
for f in "$TESTFILES"/*; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	make_msg "$f" "$T/msg/$b.bad.eml"
	harmless "$f" "$T/harmless.$b"
	make_msg "$T/harmless.$b" "$T/msg/$b.good.eml" "$b"
done
"$WARDEN" scan -c "$T/w.conf" --json "$T"/msg/*.eml > "$T/out.json" 2> "$T/err" ||
    { bad "warden scan exited $?"; cat "$T/err"; }
nbad=0 ngood=0
while IFS= read -r line; do
	file=$(field "$line" file)
	b=$(basename "$file")
	a=$(field "$line" action)
	v=$(field "$line" virus)
	case $b in
	*.bad.eml)
		r=$(field "$line" reply)
		if [ "$a" = reject ] && [ "$v" = Warden.Test.ClamExe.UNOFFICIAL ] &&
		    [ "$r" = "554 5.7.1 Message rejected: virus found (Warden.Test.ClamExe.UNOFFICIAL)" ]; then
			nbad=$((nbad + 1))
		else
			bad "$b: action $a virus $v reply $r"
		fi ;;
	*)
		case $line in
		*'["X-Virus-Scanned","Warden '*' (ClamAV '*/*')"]'*'["X-Virus-Status","Clean"]'*)
			if [ "$a" = accept ] && { [ -z "$v" ] || [ "$v" = null ]; }; then
				ngood=$((ngood + 1))
			else
				bad "$b: action $a virus $v"
			fi ;;
		*) bad "$b: headers: $line" ;;
		esac ;;
	esac
done < "$T/out.json"
[ $nbad -ge 40 ] && [ $ngood = $nbad ] &&
    pass "warden scan: $nbad test files rejected with the virus reply, $ngood harmless accepted with X-Virus-Status: Clean"
[ $nbad -ge 40 ] || bad "only $nbad infected messages judged"

if command -v zip > /dev/null 2>&1; then
	printf 'figures\n' > "$T/fig.txt"
	(cd "$T" && zip -q -P secret enc.zip fig.txt)
	make_msg "$T/enc.zip" "$T/enc.eml"
	out=$("$WARDEN" scan -c "$T/w.conf" --json "$T/enc.eml" 2> /dev/null)
	a=$(field "$out" action) v=$(field "$out" virus)
	if [ "$v" = Heuristics.Encrypted.Zip ] && [ "$a" = tag ]; then
		pass "encrypted zip: heuristic_action ($a), virus $v"
	else
		bad "encrypted zip: $out"
	fi
else
	echo "note: zip not installed, encrypted zip case left out"
fi

write_conf "$T/off.conf" <<EOT
clamav = off
EOT
out=$("$WARDEN" scan -c "$T/off.conf" --json "$T/msg/clam.exe.bad.eml" 2> /dev/null)
a=$(field "$out" action)
case $out in
*X-Virus-Status*) bad "clamav = off still adds X-Virus-Status: $out" ;;
*)
	if [ "$a" = accept ]; then
		pass "clamav = off: not scanned, accepted"
	else
		bad "clamav = off: $out"
	fi ;;
esac
# lint says where libclamav's temporary files go (the spool) and whether
# that is a tmpfs, which decides most of what a scan costs.
out=$("$WARDEN" lint -c "$T/w.conf" 2>&1)
case $out in
*"libclamav's temporary files in $T (a tmpfs)"*|*"libclamav's temporary files in $T, not a tmpfs: "*"spool_directory on a tmpfs"*)
	pass "lint: libclamav's temporary directory named, tmpfs or not" ;;
*) bad "lint does not say where libclamav's temporary files go: $out" ;;
esac
if [ "$(stat -f -c %T /dev/shm 2> /dev/null)" = tmpfs ] && [ -w /dev/shm ]; then
	S=$(mktemp -d /dev/shm/warden-av-test.XXXXXX)
	CLEANUP="${CLEANUP:+$CLEANUP; }rm -rf '$S'"
	sed "s|^spool_directory = .*|spool_directory = $S|" "$T/w.conf" > "$T/shm.conf"
	out=$("$WARDEN" lint -c "$T/shm.conf" 2>&1)
	case $out in
	*"libclamav's temporary files in $S (a tmpfs)"*)
		pass "lint: a spool on a tmpfs is named as one" ;;
	*) bad "lint, spool on /dev/shm: $out" ;;
	esac
	out=$("$WARDEN" scan -c "$T/shm.conf" --json "$T/msg/clam.exe.bad.eml" 2> /dev/null)
	v=$(field "$out" virus)
	if [ "$v" = Warden.Test.ClamExe.UNOFFICIAL ] && [ -z "$(ls -A "$S")" ]; then
		pass "spool on a tmpfs: found, and libclamav left nothing there"
	else
		bad "spool on a tmpfs: virus $v, left: $(ls -A "$S")"
	fi
fi
exit $fail
