#!/bin/sh
# tests/packaging/unit.sh -- the generated systemd unit passes
# "systemd-analyze verify", and its sandbox stays tight
# ("systemd-analyze security" exposure at most 2.0).
#
# The unit tested is packaging/systemd/warden.service of the build tree
# (or $WARDEN_UNIT, as tests/packaging/deb.sh sets for the installed
# unit).  systemd-analyze checks that ExecStart's program exists and that
# the man pages of Documentation= resolve: before "make install" the
# configured binary is usually absent, so the test verifies a copy whose
# ExecStart names the built ./warden (or a stand-in), with MANPATH set to
# a tree of the source's man pages.  Nothing else in the unit changes.
# Exit 77 (skip) without systemd-analyze.

srcdir=${srcdir:-.}
unit=${WARDEN_UNIT:-packaging/systemd/warden.service}
threshold=${WARDEN_UNIT_THRESHOLD:-20}	# tenths: 20 is an exposure of 2.0

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze is not installed (Debian: systemd)"
	exit 77
fi
if [ ! -f "$unit" ]; then
	echo "FAIL: $unit does not exist (run make first)"
	exit 1
fi

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
fail=0

# Every @placeholder@ was substituted.
if grep -n '@[a-z_]*@' "$unit"; then
	echo "FAIL: $unit has unsubstituted placeholders (above)"
	fail=1
fi

exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
bin=${exec_start%% *}
args=${exec_start#"$bin"}
case "$args" in
" milter -f -c "*/warden/warden.conf) echo "ok: ExecStart=$exec_start" ;;
*)	echo "FAIL: unexpected ExecStart=$exec_start"; fail=1 ;;
esac

mkdir "$tmp/unit"
if [ -x "$bin" ]; then
	cp "$unit" "$tmp/unit/warden.service"
else
	if [ -x ./warden ]; then
		stand_in=$(pwd)/warden
	else
		stand_in=$tmp/warden
		printf '#!/bin/sh\nexit 0\n' >"$stand_in"
		chmod +x "$stand_in"
	fi
	echo "note: $bin is not installed; verifying with ExecStart=$stand_in"
	sed "s|^ExecStart=$bin |ExecStart=$stand_in |" "$unit" \
	    >"$tmp/unit/warden.service"
fi

# Documentation=man:... is checked with man(1): point it at our pages
# unless they are installed.
if ! man -w warden.conf.5 >/dev/null 2>&1 && [ -d "$srcdir/man" ]; then
	mkdir -p "$tmp/man/man5" "$tmp/man/man8"
	cp "$srcdir"/man/*.5 "$tmp/man/man5/"
	cp "$srcdir"/man/*.8 "$tmp/man/man8/"
	MANPATH=$tmp/man
	export MANPATH
fi

if systemd-analyze verify "$tmp/unit/warden.service" >"$tmp/out" 2>&1 &&
    ! [ -s "$tmp/out" ]; then
	echo "ok: systemd-analyze verify $unit"
else
	echo "FAIL: systemd-analyze verify $unit:"
	sed 's/^/    /' "$tmp/out"
	fail=1
fi

# The sandbox: systemd's own rating of the hardening directives.
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	systemd-analyze security --offline=yes "$tmp/unit/warden.service" \
	    >"$tmp/sec" 2>&1
	level=$(sed -n 's/.*Overall exposure level for warden.service: *\([0-9.]*\).*/\1/p' "$tmp/sec")
	if systemd-analyze security --offline=yes --threshold="$threshold" \
	    "$tmp/unit/warden.service" >/dev/null 2>&1; then
		echo "ok: systemd-analyze security: exposure $level (at most $threshold/10)"
	else
		echo "FAIL: systemd-analyze security: exposure $level, above $threshold/10:"
		grep '✗' "$tmp/sec" | sed 's/ *$//; s/^/    /'
		fail=1
	fi
fi

# Descriptors: enough for the MTA's connections (tests/faults/fds.sh
# checks what Warden does with them).
nofile=$(sed -n 's/^LimitNOFILE=//p' "$unit")
if [ -n "$nofile" ] && [ "$nofile" -ge 16384 ] 2>/dev/null; then
	echo "ok: LimitNOFILE=$nofile"
else
	echo "FAIL: LimitNOFILE is '$nofile', not at least 16384"
	fail=1
fi

exit $fail
