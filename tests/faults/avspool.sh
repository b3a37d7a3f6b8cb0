#!/bin/sh
# Fault: the spool, where libclamav writes the parts it extracts, is
# full.  libclamav then answers "clean" for a virus it could not write
# out; Warden must never take that answer: every infected message sent
# while the spool is full gets on_av_error (tempfail), none is accepted,
# and once space is back every one of them is refused as a virus (no
# cache of clean results remembers the failed scans).  Also: libclamav's
# write() calls reach Warden's own (the way a failed write is seen even
# when the space runs out in the middle of a scan).
#
# Needs root (a 2 MB tmpfs on the spool) and libclamav; skipped without.
. "$srcdir/tests/faults/lib.sh"

[ "$(id -u)" = 0 ] || { echo "SKIP: not root: cannot mount a tmpfs"; exit 77; }
[ -x ./tests/av/av_probe ] && ./tests/av/av_probe -B ||
    { echo "SKIP: libclamav not built in"; exit 77; }

# The EICAR test string as an attachment, and its signature.
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
mkdir "$tmp/db" "$tmp/bad"
printf '%s' "$EICAR" >"$tmp/eicar.com"
echo "$(md5sum <"$tmp/eicar.com" | cut -d' ' -f1):68:Warden.Test.EICAR" \
    >"$tmp/db/test.hdb"
b64=$(base64 -w 76 "$tmp/eicar.com")
n=30
i=0
while [ $i -lt $n ]; do
	i=$((i + 1))
	cat >"$tmp/bad/m$i.eml" <<EOF
From: sender$i@example.org
To: rcpt@example.net
Subject: invoice $i
Message-ID: <m$i@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b$i"

--b$i
Content-Type: text/plain

Please see the attached file ($i).
--b$i
Content-Type: application/octet-stream; name="invoice$i.com"
Content-Disposition: attachment; filename="invoice$i.com"
Content-Transfer-Encoding: base64

$b64
--b$i--
EOF
done

# A tmpfs spool; no rules, so that only the antivirus can refuse.
mount -t tmpfs -o size=2m,mode=0700 warden-avspool "$spool" 2>/dev/null ||
    { echo "SKIP: cannot mount a tmpfs"; exit 77; }
faults_mounts=$spool
faults_conf "clamav_database = $tmp/db"
: >"$tmp/rules/none.rules"
sed -i -e 's/^clamav = off$/clamav = on/' \
    -e "s|^rules = .*|rules = $tmp/rules/none.rules|" "$tmp/warden.conf"
faults_start

# libclamav's write() is Warden's.
LD_DEBUG=bindings "$WARDEN" scan -c "$tmp/warden.conf" "$tmp/bad/m1.eml" \
    2>"$tmp/bindings" >/dev/null
grep -q "binding file [^ ]*libclamav[^ ]* .* to [^ ]*warden .*symbol .write'" \
    "$tmp/bindings" ||
    fail "libclamav's write() does not bind to Warden's"
echo "ok: libclamav's write() calls reach Warden's"

# Fill the spool.
dd if=/dev/zero of="$spool/fill" bs=64k >/dev/null 2>&1
[ "$(df -k "$spool" | awk 'NR == 2 { print $4 }')" -lt 64 ] ||
    fail "the spool did not fill: $(df -k "$spool")"

out=$("$WDLOAD" -s "unix:$sock" -c 4 -n $n -m 5 -j "$tmp/bad")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors: $out"
[ "$(json_get "$out" accept)" = 0 ] ||
    fail "infected messages accepted while the spool was full: $out"
[ "$(json_get "$out" tempfail)" = $n ] ||
    fail "infected messages not all tempfailed while the spool was full: $out"
echo "ok: spool full: $n infected messages, none accepted, all tempfailed"
grep -q "antivirus: not scanned: the spool $spool has" "$tmp/warden.log" ||
    grep -q "antivirus: scan failed: cannot write" "$tmp/warden.log" ||
    fail "the log does not say the spool is full"
echo "ok: the log says why"

# Space again: the same messages are all refused.
rm -f "$spool/fill"
out=$("$WDLOAD" -s "unix:$sock" -c 4 -n $n -m 5 -j "$tmp/bad")
[ "$(json_get "$out" errors)" = 0 ] || fail "protocol errors: $out"
[ "$(json_get "$out" reject)" = $n ] ||
    fail "infected messages not all refused once the spool had room: $out"
echo "ok: spool with room: the same $n messages all refused"

faults_stop
umount "$spool" || fail "cannot unmount the spool"
faults_mounts=
echo "ok: the daemon stopped cleanly"
