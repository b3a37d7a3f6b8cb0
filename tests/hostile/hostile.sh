#!/bin/sh
# Hostile messages through warden scan and the milter (tests/hostile/run.py).
# The sanitizer build uses smaller versions of the largest messages.
small=
if [ -n "${WARDEN_SANITIZERS:-}" ] || grep -q "enable-sanitizers" config.log 2>/dev/null; then
	small=--small
fi
exec python3 "$srcdir/tests/hostile/run.py" ./warden ./tests/load/wdload "$srcdir" $small
