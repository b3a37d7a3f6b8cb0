#!/bin/sh
# reload.sh -- a new signature file is picked up without a restart while
# scans keep flowing with no failures: after the check interval (both
# reload modes) and on a SIGUSR1-style reopen (av_open with the old
# handle as prev); a corrupted database file keeps the old engine and is
# logged once.
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
need_testfiles

make_msg "$TESTFILES/clam.exe" "$T/clam.eml"
printf '%s' "$EICAR" > "$T/eicar.com"
make_msg "$T/eicar.com" "$T/eicar.eml"

# probe_bg CONF WANT [OPTIONS]: start av_probe on clam.eml in 4 threads
# and wait until its engine is loaded.
probe_bg() {
	conf=$1 want=$2
	shift 2
	rm -f "$T/p.out" "$T/p.err"
	mkfifo "$T/p.in" 2> /dev/null
	"$PROBE" -c "$conf" -n 4 -w 20 -e "$want" "$@" "$T/clam.eml" \
	    < "$T/p.in" > "$T/p.out" 2> "$T/p.err" &
	probe_pid=$!
	exec 7> "$T/p.in"
	i=0
	until grep -q ready "$T/p.out" 2> /dev/null; do
		i=$((i + 1))
		[ $i -gt 200 ] && { bad "av_probe did not start"; cat "$T/p.err"; return 1; }
		sleep 0.1
	done
}
probe_wait() {
	exec 7>&-
	wait $probe_pid
	st=$?
	rm -f "$T/p.in"
	return $st
}

for mode in concurrent blocking; do
	rm -rf "$T/db"
	make_db "$T/db"
	rm "$T/db/test.hdb"
	hdb_line "$T/eicar.com" Warden.Test.EICAR > "$T/db/test.hdb"
	write_conf "$T/w.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 1s
clamav_reload = $mode
clamav_reload_wait = 10s
EOT
	probe_bg "$T/w.conf" VIRUS:Warden.Test.ClamExe.UNOFFICIAL || continue
	hdb_line "$TESTFILES/clam.exe" Warden.Test.ClamExe > "$T/db/new.hdb"
	if probe_wait; then
		pass "check interval, $mode: $(grep reached "$T/p.out")"
	else
		bad "check interval, $mode: $(cat "$T/p.out")"
		cat "$T/p.err"
	fi
done

# SIGUSR1: the snapshot is rebuilt with the old handle as prev; no
# watcher here (interval 0), so only the reopen can see the new file.
rm -rf "$T/db"
make_db "$T/db"
hdb_line "$T/eicar.com" Warden.Test.EICAR > "$T/db/test.hdb"
write_conf "$T/w.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 0
EOT
if probe_bg "$T/w.conf" VIRUS:Warden.Test.ClamExe.UNOFFICIAL -R; then
	hdb_line "$TESTFILES/clam.exe" Warden.Test.ClamExe > "$T/db/new.hdb"
	sleep 0.3
	grep -q reached "$T/p.out" && bad "found before the reopen"
	echo reload >&7
	if probe_wait && grep -q reopened "$T/p.out"; then
		pass "reopen (SIGUSR1): $(grep reached "$T/p.out")"
	else
		bad "reopen: $(cat "$T/p.out")"
		cat "$T/p.err"
	fi
fi

# A corrupted file: the old engine stays (clam.exe still found, no scan
# fails) and the error is logged once however many checks see it.
rm -rf "$T/db"
make_db "$T/db"
write_conf "$T/w.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 1s
EOT
"$PROBE" -c "$T/w.conf" -n 2 -w 4 -e CLEAN "$T/clam.eml" > "$T/p.out" 2> "$T/p.err" &
probe_pid=$!
sleep 1
printf 'this is not a signature\n' > "$T/db/broken.hdb"
wait $probe_pid
if grep -q 'NOT reached.*, 0 failed' "$T/p.out"; then
	pass "corrupted database: old engine kept ($(grep reached "$T/p.out"))"
else
	bad "corrupted database: $(cat "$T/p.out")"
fi
n=$(grep -c 'Malformed database' "$T/p.err")
if [ "$n" = 1 ]; then
	pass "corrupted database logged once: $(grep -m1 'Malformed' "$T/p.err" | cut -c1-100)..."
else
	bad "corrupted database logged $n times"
	cat "$T/p.err"
fi
# The price of clamav_reload = blocking: the old engine is gone before
# the broken database is found to be broken, so scans fail (on_av_error)
# until the directory is fixed; then the next check loads it.
rm -rf "$T/db"
make_db "$T/db"
hdb_line "$T/eicar.com" Warden.Test.EICAR > "$T/db/test.hdb"
write_conf "$T/w.conf" <<EOT
clamav_database = $T/db
clamav_check_interval = 1s
clamav_reload = blocking
clamav_reload_wait = 5s
EOT
if probe_bg "$T/w.conf" VIRUS:Warden.Test.ClamExe.UNOFFICIAL; then
	printf 'this is not a signature\n' > "$T/broken.hdb"
	hdb_line "$TESTFILES/clam.exe" Warden.Test.ClamExe > "$T/new.hdb"
	mv "$T/broken.hdb" "$T/db/"
	mv "$T/new.hdb" "$T/db/"
	i=0
	until grep -q 'no engine until' "$T/p.err"; do
		i=$((i + 1))
		[ $i -gt 100 ] && break
		sleep 0.1
	done
	sleep 0.5
	rm "$T/db/broken.hdb"
	probe_wait
	if grep -q 'reached after' "$T/p.out" && grep -q 'no engine until' "$T/p.err" &&
	    ! grep -q ', 0 failed' "$T/p.out"; then
		pass "blocking, broken database: scans failed, then recovered ($(grep reached "$T/p.out"))"
	else
		bad "blocking, broken database: $(cat "$T/p.out")"
	fi
fi
exit $fail
