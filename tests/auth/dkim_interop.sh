#!/bin/sh
# dkim_interop.sh -- messages signed by dkimpy (its API and dkimsign) and
# by OpenDKIM (libopendkim and opendkim-testmsg), keys from
# opendkim-genkey, verified by Warden (tests/auth/dkim_interop); also
# dkimpy's own test messages and keys.  Skips (77) without python3-dkim
# or opendkim-tools.
srcdir=${srcdir:-.}
PYTHON=${PYTHON:-/usr/bin/python3}
if ! "$PYTHON" -c 'import dkim, cryptography' 2>/dev/null ||
    ! command -v opendkim-genkey >/dev/null 2>&1; then
	PATH=$PATH:/usr/sbin
	command -v opendkim-genkey >/dev/null 2>&1 || {
		echo "skip: python3-dkim or opendkim-tools missing"; exit 77; }
fi
PATH=$PATH:/usr/sbin
export PATH
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dkim_interop.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
"$PYTHON" "$srcdir/tests/auth/dkim_interop.py" "$tmp" || exit 99
./tests/auth/dkim_interop "$tmp"
