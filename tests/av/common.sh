# common.sh -- shared by the antivirus test scripts (sourced, not run).
#
# The scripts run from the build directory (automake's harness sets
# srcdir).  Signatures are made here at test time: an .hdb line from the
# md5 and size of the EICAR string, and one from clam.exe in Debian's
# clamav-testfiles package.  Nothing is shipped and the official
# databases are never used.

set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
PROBE=$BUILD/tests/av/av_probe
WARDEN=$BUILD/warden
TESTFILES=${WARDEN_CLAMAV_TESTFILES:-/usr/share/clamav-testfiles}
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# shellcheck source=tests/daemon.sh
. "$srcdir/tests/daemon.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-av-test.XXXXXX")
CLEANUP=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	daemon_cleanup
	eval "$CLEANUP"
	rm -rf "$T"
}
daemon_trap cleanup 1

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
skip() { echo "SKIP: $*"; exit 77; }

need_testfiles() {
	[ -r "$TESTFILES/clam.exe" ] ||
	    skip "clamav-testfiles not installed ($TESTFILES/clam.exe missing; apt-get install clamav-testfiles)"
}

need_probe() {
	[ -x "$PROBE" ] || skip "$PROBE not built (built without libclamav?)"
}

need_libclamav() {
	need_probe
	"$PROBE" -B || skip "libclamav not built in (configure --without-clamav)"
}

# expect MESSAGE-FILE: the verdict (STATUS NAME) a test message must get
# with the test signatures and default limits.
expect() {
	case $(basename "$1") in
	eicar.bad.eml) echo "VIRUS Warden.Test.EICAR.UNOFFICIAL" ;;
	# Nested exactly to ClamAV's default recursion limit (17); the
	# message's MIME wrapping adds one level, so at the default the
	# heuristic says so (found, heuristic_action).
	clam_cache_emax.tgz.bad.eml)
		echo "HEURISTIC Heuristics.Limits.Exceeded.MaxRecursion" ;;
	enc.zip.eml) echo "HEURISTIC Heuristics.Encrypted.Zip" ;;
	*.bad.eml) echo "VIRUS Warden.Test.ClamExe.UNOFFICIAL" ;;
	*) echo "CLEAN -" ;;
	esac
}

# hdb_line FILE NAME: the .hdb signature of a file's whole content.
hdb_line() {
	printf '%s:%s:%s\n' "$(md5sum < "$1" | cut -d' ' -f1)" \
	    "$(wc -c < "$1" | tr -d ' ')" "$2"
}

# make_db DIR: the test signatures (EICAR, and clam.exe when present).
make_db() {
	mkdir -p "$1"
	printf '%s' "$EICAR" > "$T/eicar.com"
	hdb_line "$T/eicar.com" Warden.Test.EICAR > "$1/test.hdb"
	if [ -r "$TESTFILES/clam.exe" ]; then
		hdb_line "$TESTFILES/clam.exe" Warden.Test.ClamExe >> "$1/test.hdb"
	fi
}

# make_msg ATTACHMENT OUT [NAME]: a message with the file as a base64
# attachment.
make_msg() {
	{
		printf 'Return-Path: <sender@example.com>\r\n'
		printf 'From: Sender <sender@example.com>\r\n'
		printf 'To: <rcpt@example.org>\r\n'
		printf 'Subject: test attachment %s\r\n' "${3:-$(basename "$1")}"
		printf 'Message-ID: <%s@example.com>\r\n' "$(basename "$2")"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n'
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: multipart/mixed; boundary="=_b1"\r\n\r\n'
		printf -- '--=_b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n'
		printf 'The file is attached.\r\n\r\n'
		printf -- '--=_b1\r\nContent-Type: application/octet-stream; name="%s"\r\n' "${3:-$(basename "$1")}"
		printf 'Content-Transfer-Encoding: base64\r\n'
		printf 'Content-Disposition: attachment; filename="%s"\r\n\r\n' "${3:-$(basename "$1")}"
		base64 -w 76 < "$1" | sed 's/$/\r/'
		printf -- '--=_b1--\r\n'
	} > "$2"
}

# harmless FILE OUT: harmless bytes of the same size.
harmless() {
	head -c "$(wc -c < "$1")" /dev/zero | tr '\0' 'w' > "$2"
}

# write_conf OUT [KEY = VALUE lines on stdin]
write_conf() {
	{
		printf 'rules =\n'
		printf 'spool_directory = %s\n' "$T"
		cat
	} > "$1"
}

# field JSON KEY: a string (or null) field of warden scan --json output.
field() {
	printf '%s\n' "$1" | sed -n "s/.*\"$2\":\\(null\\|\"\\([^\"\\\\]\\|\\\\.\\)*\"\\).*/\\1/p" |
	    sed 's/^"//; s/"$//'
}
