#!/bin/sh
# scan.sh -- "warden scan" and "warden lint" as a first user meets them:
# from a build tree, with a config whose spool_directory and
# regex_prefilter_cache do not exist.
#
#  - A 2 MB message (larger than spool_memory_limit) is judged: exit 0,
#    an action, no tempfail, nothing about max_scan_size; the same from
#    stdin, redirected and piped, and a pipe longer than max_scan_size
#    is scanned in part (scan=partial), not refused.
#  - The unusable cache is said on scan's first line of stderr and by
#    lint (the directory, why, what to do); scan and lint use
#    $XDG_CACHE_HOME/warden, else $HOME/.cache/warden, made 0700, and a
#    second scan reads the databases the first one wrote there.  A
#    usable configured cache, or none by choice, is used silently.
#  - With no ClamAV database, scan and lint say how to get one or how to
#    go without.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
hyperscan=no
grep -q '^#define HAVE_HYPERSCAN 1' "$BUILD/autoconfig.h" && hyperscan=yes
libclamav=no
grep -q '^#define HAVE_LIBCLAMAV 1' "$BUILD/autoconfig.h" && libclamav=yes

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-cli-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
# has FILE TEXT: FILE contains TEXT (fixed string)
has() { grep -qF -- "$2" "$1"; }

# A new user's environment: nothing cached yet.
HOME=$T/home
XDG_CACHE_HOME=$T/xdg
export HOME XDG_CACHE_HOME
mkdir "$HOME"

{
	printf 'From: a@example.org\nTo: b@example.org\nSubject: big\n'
	printf 'Date: Mon, 1 Jan 2024 00:00:00 +0000\n'
	printf 'Message-ID: <big@example.org>\n\n'
	awk 'BEGIN { for (i = 0; i < 32000; i++)
	    printf "line %d of a message larger than spool_memory_limit, padded out\n", i }'
} > "$T/big.eml"
size=$(wc -c < "$T/big.eml")
[ "$size" -gt 2000000 ] || { echo "ERROR: test message of $size bytes"; exit 99; }

cat > "$T/w.conf" <<EOT
rules = $srcdir/rules/*.rules
spool_directory = $T/no-spool
regex_prefilter_cache = $T/no-cache
clamav = off
EOT

# --- 1. A large stored message needs no spool ------------------------------

"$WARDEN" scan -c "$T/w.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 0 ] && has "$T/out" "$T/big.eml: accept " &&
    ! has "$T/err" max_scan_size && ! has "$T/out" tempfail; then
	pass "a $size-byte message without a spool directory is judged: $(cat "$T/out")"
else
	bad "scan of $size bytes: exit $rc: $(cat "$T/out" "$T/err")"
fi

"$WARDEN" scan -c "$T/w.conf" - < "$T/big.eml" > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 0 ] && has "$T/out" "-: accept "; then
	pass "the same message on stdin from a file is judged"
else
	bad "scan of stdin from a file: exit $rc: $(cat "$T/out" "$T/err")"
fi
# shellcheck disable=SC2002
cat "$T/big.eml" | "$WARDEN" scan -c "$T/w.conf" - > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 0 ] && has "$T/out" "-: accept "; then
	pass "the same message through a pipe is judged"
else
	bad "scan of a pipe: exit $rc: $(cat "$T/out" "$T/err")"
fi

# A pipe longer than max_scan_size: only its head is kept and scanned.
{ cat "$T/w.conf"; echo "max_scan_size = 100k"; } > "$T/small.conf"
# shellcheck disable=SC2002
cat "$T/big.eml" | "$WARDEN" scan -c "$T/small.conf" --explain - \
    > "$T/out" 2> "$T/err"
rc=$?
if [ $rc = 0 ] && has "$T/out" "-: accept " &&
    has "$T/err" "larger than max_scan_size 102400" &&
    has "$T/err" " scan=partial " && ! has "$T/err" "error="; then
	pass "a pipe past max_scan_size is scanned in part"
else
	bad "pipe past max_scan_size: exit $rc: $(cat "$T/out" "$T/err")"
fi

# --- 2. The prefilter cache ------------------------------------------------

if [ $hyperscan = yes ]; then
	ucache=$XDG_CACHE_HOME/warden
	"$WARDEN" scan -c "$T/w.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
	first=$(head -n 1 "$T/err")
	case $first in
	"warden scan: regex_prefilter_cache $T/no-cache: No such file or directory; using $ucache instead (to use the configured cache, make $T/no-cache a directory you can write, or set regex_prefilter_cache in $T/w.conf)")
		pass "scan's first line on stderr: $first" ;;
	*)	bad "scan's first line on stderr: $first" ;;
	esac
	# The runs of part 1 already made it: this one found it there.
	mode=$(stat -c %a "$ucache" 2> /dev/null)
	ls "$ucache"/prefilter-*.hsdb > "$T/files1" 2> /dev/null
	if [ "$mode" = 700 ] && [ -s "$T/files1" ]; then
		pass "per-user cache $ucache (mode $mode): $(wc -l < "$T/files1") database(s)"
	else
		bad "per-user cache $ucache: mode '$mode', files: $(ls -la "$ucache" 2>&1)"
	fi
	# A second run reads the databases: the files are not written
	# again (a write replaces the file, with a new inode).
	ls -i "$ucache" > "$T/inodes1"
	"$WARDEN" scan -c "$T/w.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
	ls -i "$ucache" > "$T/inodes2"
	if cmp -s "$T/inodes1" "$T/inodes2" && has "$T/out" "accept "; then
		pass "the second scan reuses the per-user cache"
	else
		bad "the cache changed on the second run: $(cat "$T/inodes1" "$T/inodes2")"
	fi
	[ -e "$T/no-cache" ] && bad "the configured cache was created"

	# Without XDG_CACHE_HOME: $HOME/.cache/warden.
	env -u XDG_CACHE_HOME "$WARDEN" scan -c "$T/w.conf" "$T/big.eml" \
	    > "$T/out" 2> "$T/err"
	if has "$T/err" "using $HOME/.cache/warden instead" &&
	    [ "$(stat -c %a "$HOME/.cache/warden")" = 700 ] &&
	    ls "$HOME"/.cache/warden/prefilter-*.hsdb > /dev/null 2>&1; then
		pass "without XDG_CACHE_HOME the cache is $HOME/.cache/warden"
	else
		bad "HOME fallback: $(cat "$T/err"); $(ls -la "$HOME/.cache" 2>&1)"
	fi

	# No home to fall back to: say what it costs and what to do.
	env -u XDG_CACHE_HOME -u HOME "$WARDEN" scan -c "$T/w.conf" \
	    "$T/big.eml" > "$T/out" 2> "$T/err"
	first=$(head -n 1 "$T/err")
	case $first in
	"warden scan: regex_prefilter_cache $T/no-cache: No such file or directory, and no per-user cache "*": the regex prefilter is compiled again on every run "*"make $T/no-cache a directory you can write, or set regex_prefilter_cache in $T/w.conf")
		pass "no per-user cache: said so" ;;
	*)	bad "no per-user cache: $first" ;;
	esac

	# lint says it as a warning, and is still clean.
	"$WARDEN" lint -c "$T/w.conf" > "$T/out" 2>&1
	rc=$?
	if [ $rc = 0 ] && has "$T/out" "warning: regex_prefilter_cache $T/no-cache: No such file or directory; using $ucache instead"; then
		pass "lint names the unusable cache"
	else
		bad "lint: exit $rc: $(cat "$T/out")"
	fi

	# A configured cache that is a file, and one that is not writable.
	: > "$T/cache-file"
	sed "s|^regex_prefilter_cache = .*|regex_prefilter_cache = $T/cache-file|" \
	    "$T/w.conf" > "$T/file.conf"
	"$WARDEN" scan -c "$T/file.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
	if has "$T/err" "regex_prefilter_cache $T/cache-file: Not a directory; using $ucache"; then
		pass "a cache that is a file: said so"
	else
		bad "a cache that is a file: $(cat "$T/err")"
	fi
	if [ "$(id -u)" != 0 ]; then
		mkdir -m 0500 "$T/ro-cache"
		sed "s|^regex_prefilter_cache = .*|regex_prefilter_cache = $T/ro-cache|" \
		    "$T/w.conf" > "$T/ro.conf"
		"$WARDEN" scan -c "$T/ro.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
		if has "$T/err" "regex_prefilter_cache $T/ro-cache: Permission denied; using $ucache"; then
			pass "a read-only cache: said so"
		else
			bad "a read-only cache: $(cat "$T/err")"
		fi
	fi

	# A usable cache, or none by choice: nothing to say, no fallback.
	mkdir "$T/cache"
	sed "s|^regex_prefilter_cache = .*|regex_prefilter_cache = $T/cache|" \
	    "$T/w.conf" > "$T/ok.conf"
	rm -rf "$ucache"
	"$WARDEN" scan -c "$T/ok.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
	if [ ! -s "$T/err" ] && [ ! -e "$ucache" ] &&
	    ls "$T"/cache/prefilter-*.hsdb > /dev/null 2>&1; then
		pass "a usable configured cache is used, silently"
	else
		bad "usable cache: $(cat "$T/err"); $(ls -la "$T/cache" "$ucache" 2>&1)"
	fi
	sed "s|^regex_prefilter_cache = .*|regex_prefilter_cache =|" \
	    "$T/w.conf" > "$T/none.conf"
	"$WARDEN" scan -c "$T/none.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
	if [ ! -s "$T/err" ] && [ ! -e "$ucache" ] && has "$T/out" "accept "; then
		pass "no cache by choice: nothing said, no fallback"
	else
		bad "empty regex_prefilter_cache: $(cat "$T/err")"
	fi
else
	echo "note: built without Hyperscan: no prefilter cache to check"
fi

# --- 3. No ClamAV database -------------------------------------------------

if [ $libclamav = yes ]; then
	hint="to get ClamAV's database, install clamav-freshclam; to scan without one, set clamav = optional or clamav = off in warden.conf"
	mkdir "$T/db"
	for db in "$T/db" "$T/no-db"; do
		case $db in
		*/no-db) what="cannot open the database directory: No such file or directory" ;;
		*) what="no signatures: the directory holds no database files" ;;
		esac
		printf 'clamav = on\nclamav_database = %s\nregex_prefilter_cache =\n' \
		    "$db" > "$T/av.conf"
		"$WARDEN" scan -c "$T/av.conf" "$T/big.eml" > "$T/out" 2> "$T/err"
		rc=$?
		"$WARDEN" lint -c "$T/av.conf" > "$T/lint" 2>&1
		lrc=$?
		if [ $rc = 2 ] && [ $lrc = 1 ] && has "$T/err" "$db: $what" &&
		    has "$T/err" "$hint" && has "$T/lint" "$db: $what" &&
		    has "$T/lint" "$hint"; then
			pass "$db: $what: scan and lint say what to do"
		else
			bad "$db: scan exit $rc: $(cat "$T/err"); lint exit $lrc: $(cat "$T/lint")"
		fi
	done
else
	echo "note: built without libclamav: no database message to check"
fi

exit $fail
