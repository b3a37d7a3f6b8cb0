#!/bin/sh
# measure_memory.sh [N] -- resident memory of a process holding the
# in-process engine (tests/av/av_probe, which links the code that
# ships), with the test signatures and with N (default 1,000,000)
# generated .hdb signatures; and the extra peak during a concurrent and
# a blocking reload of the big database while 4 threads keep scanning;
# and the peak while 1 and 32 threads scan at once (one engine however
# many connections: the difference is per-scan working memory only).
# Slow (the big database loads several times); not part of make check.
# Run from the build directory: srcdir=SRC sh SRC/tests/av/measure_memory.sh
# shellcheck source=tests/av/common.sh
. "${srcdir:-.}/tests/av/common.sh"
need_libclamav
N=${1:-1000000}

kb() { sed -n "s/^$1 //p" "$T/m.out"; }
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

printf '%s' "$EICAR" > "$T/eicar.com"
make_msg "$T/eicar.com" "$T/eicar.eml"
printf 'Warden reload trigger\n' > "$T/trigger.bin"
make_msg "$T/trigger.bin" "$T/trigger.eml"

write_conf "$T/off.conf" <<EOT
clamav = off
EOT
"$PROBE" -c "$T/off.conf" -m "$T/eicar.eml" > "$T/m.out" 2> /dev/null
base=$(kb rss_loaded_kb)
echo "no engine (clamav = off):            RSS $base kB"

make_db "$T/small"
write_conf "$T/small.conf" <<EOT
clamav_database = $T/small
clamav_check_interval = 0
EOT
"$PROBE" -c "$T/small.conf" -m "$T/eicar.eml" > "$T/m.out" 2> /dev/null
echo "test signatures ($(wc -l < "$T/small/test.hdb")):                RSS $(kb rss_loaded_kb) kB"

mkdir "$T/big"
cp "$T/small/test.hdb" "$T/big/"
t0=$(date +%s.%N)
sh "${srcdir:-.}/tests/av/gen_hdb.sh" "$N" > "$T/big/gen.hdb"
echo "generated $N signatures ($(du -k "$T/big/gen.hdb" | cut -f1) kB) in $(since "$t0") s"
for mode in concurrent blocking; do
	write_conf "$T/big.conf" <<EOT
clamav_database = $T/big
clamav_check_interval = 1s
clamav_reload = $mode
clamav_reload_wait = 120s
EOT
	rm -f "$T/big/trigger.hdb"
	rm -f "$T/p.out"
	t0=$(date +%s.%N)
	"$PROBE" -c "$T/big.conf" -m -n 4 -w 300 \
	    -e VIRUS:Warden.Test.Trigger.UNOFFICIAL "$T/trigger.eml" \
	    > "$T/m.out" 2> "$T/m.err" &
	pid=$!
	until grep -q ready "$T/m.out" 2> /dev/null; do sleep 0.2; done
	load=$(since "$t0")
	# Written aside and renamed in, as freshclam does: a file caught
	# half-written would be loaded twice.
	hdb_line "$T/trigger.bin" Warden.Test.Trigger > "$T/trigger.hdb"
	mv "$T/trigger.hdb" "$T/big/trigger.hdb"
	wait $pid
	echo "$N signatures, $mode reload:"
	echo "  load $load s, RSS with the engine $(kb rss_loaded_kb) kB"
	echo "  reload: peak $(kb rss_peak_kb) kB, extra during reload $(kb extra_peak_kb) kB, after $(kb rss_after_kb) kB ($(kb rss_after_trim_kb) kB after malloc_trim)"
	echo "  $(grep reached "$T/m.out")"
done

# Scans at once: a zip attachment (clam.zip when clamav-testfiles is
# there) so that every scan unpacks something.
if [ -r "$TESTFILES/clam.zip" ]; then
	make_msg "$TESTFILES/clam.zip" "$T/work.eml"
else
	(cd "$T" && zip -q work.zip eicar.com 2> /dev/null) || cp "$T/eicar.com" "$T/work.zip"
	make_msg "$T/work.zip" "$T/work.eml"
fi
write_conf "$T/big.conf" <<EOT
clamav_database = $T/big
clamav_check_interval = 0
EOT
for threads in 1 32; do
	"$PROBE" -c "$T/big.conf" -m -n $threads -w 5 -e CLEAN "$T/work.eml" \
	    > "$T/m.out" 2> "$T/m.err"
	echo "$N signatures, $threads scanning threads: RSS loaded $(kb rss_loaded_kb) kB, peak while scanning $(kb rss_peak_kb) kB (+$(kb extra_peak_kb) kB), $(sed -n 's/.*: \([0-9]*\) scans.*/\1/p' "$T/m.out") scans in 5 s"
done
