#!/bin/sh
# quickstart.sh -- Warden behind a private Postfix on 127.0.0.1:2525, for
# the README's quick start (run by ./quickstart after it has built
# Warden).  Uses the end-to-end harness (lib.sh): its own Postfix
# instance, Warden with the shipped rules, and a capture sink that keeps
# what Postfix delivers.  The system's own Postfix is not touched.
# Ctrl-C stops everything and removes the instance.
. "$(dirname "$0")/lib.sh"

PORT=${WARDEN_QUICKSTART_PORT:-2525}
e2e_init quickstart
E2E_SMTP_PORT=$PORT
if ! $PYTHON -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $PORT))" 2>/dev/null; then
	echo "quickstart: 127.0.0.1:$PORT is in use; set WARDEN_QUICKSTART_PORT" >&2
	exit 1
fi

if ls /var/lib/clamav/*.cvd /var/lib/clamav/*.cld >/dev/null 2>&1; then
	e2e_conf <<CONF
clamav = on
clamav_database = /var/lib/clamav
CONF
	avnote="ClamAV database: /var/lib/clamav"
else
	e2e_av_db
	e2e_conf <<CONF
clamav = on
CONF
	avnote="NOTE: there is no ClamAV database in /var/lib/clamav, so Warden uses a
      TEST database that knows only the EICAR test file and clam.exe
      (install clamav-freshclam for the real signatures)."
fi
e2e_conf <<CONF
subject_tag = [SPAM]
CONF
echo "Starting a private Postfix on 127.0.0.1:$PORT with Warden (loading the"
echo "antivirus database may take a while)..."
e2e_start
trap 'E2E_FAILED=0; exit 0' INT TERM
# The EICAR test file under a harmless name (a .com attachment would be
# refused by the shipped attachment rules before the antivirus sees it).
e2e_eicar >"$E2E_DIR/eicar.txt"

cat <<MSG

Warden is running behind a private Postfix on 127.0.0.1:$PORT.
$avnote

Try it from another terminal:
  clean:  swaks --server 127.0.0.1:$PORT --to bob@example.com --body "Lunch on Thursday?"
  GTUBE:  swaks --server 127.0.0.1:$PORT --to bob@example.com \\
            --body 'XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X'
  EICAR:  swaks --server 127.0.0.1:$PORT --to bob@example.com --attach $E2E_DIR/eicar.txt
  stored: $WARDEN scan -c $E2E_WCONF --explain examples/gtube.eml

The clean message is delivered (with X-Spam-Status and X-Virus-Status
headers) into $E2E_DIR/sink/; GTUBE gets 550 5.7.1 and EICAR 554 5.7.1.
Verdict log (one line per message): $E2E_WLOG (shown below)
Postfix's log: $E2E_MAILLOG

Ctrl-C stops Warden and this Postfix instance.

MSG
tail -n 0 -f "$E2E_WLOG" &
E2E_PIDS="$E2E_PIDS $!"
while daemon_alive "$E2E_WARDEN_PID"; do
	sleep 1
done
echo "quickstart: Warden stopped; shutting down" >&2
