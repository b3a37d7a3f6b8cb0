#!/bin/sh
# tests/packaging/deb.sh -- build Warden's Debian package, install it,
# check and lint it, run the installed daemon briefly, and purge it.
#
#   tests/packaging/deb.sh            (as root, from anywhere)
#
# Works on a copy of the source tree (the files git knows, committed or
# not, without build products) with packaging/debian copied to ./debian,
# built with "dpkg-buildpackage -us -uc -b".  Missing build dependencies
# are installed with "apt-get build-dep".  The package's own "make check"
# is skipped (DEB_BUILD_OPTIONS=nocheck) because CI runs the suite
# itself; WARDEN_DEB_CHECK=1 runs it during the build too.
#
# Not part of "make check": it needs root, installs and purges a package,
# and takes minutes.  Leaves the machine as it found it (the warden user
# and group are removed again if this script's install created them).
# WARDEN_DEB_KEEP=1 keeps the work directory (build log, .deb, lintian).
#
# Exit: 0 all passed, 1 a check failed, 77 skipped (not root, or tools
# missing: apt-get install debhelper dpkg-dev lintian).

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/daemon.sh
. "$top/tests/daemon.sh"
start=$(date +%s)
pass=0
fail=0

ok() { echo "ok: $*"; pass=$((pass + 1)); }
no() { echo "FAIL: $*"; fail=$((fail + 1)); }
elapsed() { echo $(($(date +%s) - start)); }
finish() {
	echo "deb: total $(elapsed)s"
	echo "deb: $pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: deb.sh installs a package and must run as root"
	exit 77
fi
missing=
for t in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian \
    apt-get:apt git:git; do
	command -v "${t%%:*}" >/dev/null 2>&1 || missing="$missing ${t#*:}"
done
if [ -n "$missing" ]; then
	echo "SKIP: missing tools; apt-get install$missing"
	exit 77
fi
if dpkg-query -W -f='${Status}' warden 2>/dev/null | grep -q ' installed$'; then
	echo "FAIL: a warden package is already installed; deb.sh will not" \
	    "replace or purge it"
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
work=$(mktemp -d /tmp/warden-deb.XXXXXX) || exit 99
src=$work/warden
had_user=no
getent passwd warden >/dev/null && had_user=yes
had_group=no
getent group warden >/dev/null && had_group=yes
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	daemon_cleanup
	if dpkg-query -W -f='${Status}' warden 2>/dev/null |
	    grep -q -e ' installed$' -e ' config-files$'; then
		apt-get purge -y -qq warden >/dev/null 2>&1
	fi
	if [ "$had_user" = no ] && getent passwd warden >/dev/null; then
		deluser --system --quiet warden >/dev/null 2>&1
	fi
	if [ "$had_group" = no ] && getent group warden >/dev/null; then
		delgroup --system --quiet warden >/dev/null 2>&1
	fi
	if [ "${WARDEN_DEB_KEEP:-0}" = 1 ]; then
		echo "deb: work directory kept: $work"
	else
		rm -rf "$work"
	fi
}
daemon_trap cleanup 1

# --- The copy ------------------------------------------------------------
mkdir "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z -c -o --exclude-standard |
	    tar -C "$top" --null -T - --ignore-failed-read -cf - 2>/dev/null |
	    tar -C "$src" -xf -
else
	no "$top is not a git checkout"
	finish
fi
rm -rf "$src/debian"
cp -R "$src/packaging/debian" "$src/debian"
ok "source tree copied to $src with packaging/debian as ./debian"

# --- Build ----------------------------------------------------------------
if ! (cd "$src" && dpkg-checkbuilddeps) >/dev/null 2>&1; then
	echo "deb: installing build dependencies"
	(cd "$src" && apt-get build-dep -y -qq ./) >"$work/build-dep.log" 2>&1 ||
	    { apt-get update -qq >/dev/null 2>&1 &&
	      (cd "$src" && apt-get build-dep -y -qq ./) >"$work/build-dep.log" 2>&1; } ||
	    { no "apt-get build-dep"; tail -20 "$work/build-dep.log"; finish; }
fi
opts="nocheck"
[ "${WARDEN_DEB_CHECK:-0}" = 1 ] && opts=
t0=$(date +%s)
if (cd "$src" && DEB_BUILD_OPTIONS="$opts ${DEB_BUILD_OPTIONS:-}" \
    dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b ($(($(date +%s) - t0))s)"
else
	no "dpkg-buildpackage -us -uc -b; the end of the log:"
	tail -40 "$work/build.log" | sed 's/^/    /'
	finish
fi
deb=$(ls "$work"/warden_*.deb 2>/dev/null | head -1)
changes=$(ls "$work"/warden_*.changes 2>/dev/null | head -1)
if [ -z "$deb" ] || [ -z "$changes" ]; then
	no "no .deb or .changes in $work"
	finish
fi

# --- Contents -------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$work/contents"
want="/usr/sbin/warden /etc/warden/warden.conf /etc/warden/rules.d/local.rules
 /lib/systemd/system/warden.service /usr/share/man/man8/warden.8.gz
 /usr/share/man/man5/warden.conf.5.gz /usr/share/man/man5/warden-rules.5.gz
 /usr/share/doc/warden/postfix.md /usr/share/doc/warden/sendmail.md
 /usr/share/doc/warden/copyright"
lacking=
for f in $want; do
	# dh_compress gzips documents larger than 4 kB.
	grep -qx -e "$f" -e "$f.gz" "$work/contents" || lacking="$lacking $f"
done
if [ -z "$lacking" ]; then ok "package contents"; else no "package lacks:$lacking"; fi
if dpkg-deb -I "$deb" conffiles 2>/dev/null | grep -qx /etc/warden/warden.conf; then
	ok "/etc/warden/warden.conf is a conffile"
else
	no "/etc/warden/warden.conf is not a conffile"
fi
dpkg-deb -f "$deb" Depends | sed 's/^/    Depends: /'

# --- lintian ---------------------------------------------------------------
t0=$(date +%s)
lintian --fail-on error --info "$changes" >"$work/lintian.log" 2>&1
lrc=$?
ne=$(grep -c '^E:' "$work/lintian.log")
nw=$(grep -c '^W:' "$work/lintian.log")
if [ "$lrc" -eq 0 ]; then
	ok "lintian: no errors ($nw warnings, $(($(date +%s) - t0))s)"
else
	no "lintian: $ne errors, $nw warnings"
fi
grep -E '^(E|W):' "$work/lintian.log" | sed 's/^/    /'

# --- Install ---------------------------------------------------------------
if apt-get install -y -qq "$deb" >"$work/install.log" 2>&1; then
	ok "apt-get install $(basename "$deb")"
else
	no "apt-get install:"
	tail -20 "$work/install.log" | sed 's/^/    /'
	finish
fi
if getent passwd warden >/dev/null && getent group warden >/dev/null; then
	ok "user and group warden exist"
else
	no "postinst did not create the warden user and group"
fi
perm=$(stat -c '%U:%G %a' /var/spool/warden 2>/dev/null)
if [ "$perm" = "warden:warden 750" ]; then
	ok "/var/spool/warden is warden:warden 0750"
else
	no "/var/spool/warden is \"$perm\", not warden:warden 750"
fi
perm=$(stat -c '%U:%G %a' /var/lib/warden/statistics 2>/dev/null)
if [ "$perm" = "warden:warden 750" ]; then
	ok "/var/lib/warden/statistics is warden:warden 0750"
else
	no "/var/lib/warden/statistics is \"$perm\", not warden:warden 750"
fi
v=$(/usr/sbin/warden --version 2>&1)
case "$v" in
"warden "*) ok "warden --version: $v" ;;
*) no "warden --version: $v" ;;
esac
if /usr/sbin/warden lint -c /etc/warden/warden.conf >"$work/lint.log" 2>&1; then
	ok "warden lint -c /etc/warden/warden.conf"
else
	no "warden lint -c /etc/warden/warden.conf:"
fi
sed 's/^/    /' "$work/lint.log"
if man -w 5 warden.conf >/dev/null 2>&1 && man -w 8 warden >/dev/null 2>&1 &&
    man -w 5 warden-rules >/dev/null 2>&1; then
	ok "the man pages are installed (man -w)"
else
	no "man -w does not find the man pages"
fi
if WARDEN_UNIT=/lib/systemd/system/warden.service \
    sh "$top/tests/packaging/unit.sh" >"$work/unit.log" 2>&1; then
	ok "installed unit: systemd-analyze verify and security"
else
	no "installed unit:"
	sed 's/^/    /' "$work/unit.log"
fi

# --- The daemon, as the unit runs it ----------------------------------------
# User warden, /run/warden warden:warden 0750 (RuntimeDirectory), the
# installed configuration.  Without systemd as init, started by hand.
if [ -e /run/warden ]; then
	echo "note: /run/warden exists; the daemon smoke test is skipped"
elif ! command -v setpriv >/dev/null 2>&1; then
	echo "note: setpriv missing; the daemon smoke test is skipped"
else
	install -d -o warden -g warden -m 0750 /run/warden
	# tests/daemon.sh runs "$WARDEN milter -f -c CONF": here setpriv,
	# which execs the installed daemon as user warden (same pid).
	printf '#!/bin/sh\nexec setpriv --reuid=warden --regid=warden --init-groups /usr/sbin/warden "$@"\n' \
	    >"$work/warden-as-warden"
	chmod 755 "$work/warden-as-warden"
	WARDEN=$work/warden-as-warden
	if daemon_start -t 300 /etc/warden/warden.conf "$work/milter.log"; then
		sock=$(stat -c '%U:%G %a' /run/warden/warden.sock 2>/dev/null)
		if [ "$sock" = "warden:warden 660" ]; then
			ok "warden milter as user warden: socket /run/warden/warden.sock warden:warden 0660"
		else
			no "warden milter: socket is \"$sock\""
		fi
		if daemon_reload -t 30; then
			ok "SIGUSR1 reloads"
		else
			no "SIGUSR1 did not reload: $DAEMON_ERROR"
		fi
		daemon_stop -t 40
		case $? in
		0) ok "SIGTERM stops it (exit 0)" ;;
		1) no "warden milter exited non-zero: $DAEMON_ERROR" ;;
		*) no "warden milter did not stop on SIGTERM: $DAEMON_ERROR" ;;
		esac
	else
		no "warden milter as user warden: $DAEMON_ERROR"
	fi
	sed 's/^/    /' "$work/milter.log"
	rm -rf /run/warden
fi

# --- Purge -----------------------------------------------------------------
if apt-get purge -y -qq warden >"$work/purge.log" 2>&1; then
	ok "apt-get purge warden"
else
	no "apt-get purge warden:"
	tail -20 "$work/purge.log" | sed 's/^/    /'
fi
left=
for f in /usr/sbin/warden /etc/warden /var/spool/warden /var/lib/warden \
    /lib/systemd/system/warden.service; do
	[ -e "$f" ] && left="$left $f"
done
if dpkg-query -W -f='${Status}' warden 2>/dev/null | grep -q -e ' installed$' -e ' config-files$'; then
	left="$left (dpkg status: $(dpkg-query -W -f='${Status}' warden))"
fi
if [ -z "$left" ]; then ok "nothing left after purge"; else no "left after purge:$left"; fi

finish
