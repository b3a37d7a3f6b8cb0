#!/bin/sh
# lists.sh -- the engine's DNS lists, through "warden scan" with the
# resolver pointed at tests/dnsd.py only (dns_resolver = 127.0.0.1:PORT):
#
#  - connect dnsbl rules: a listed client (192.0.2.2, zen 127.0.0.2) is
#    refused at connect with Postfix's words naming the list; an
#    unlisted one (192.0.2.99) goes on; return-code filters (=, [..;..],
#    &mask); an IPv6 client in nibble form; a private or trusted client
#    is never asked about;
#  - helo and envfrom dnsbl rules on domain lists;
#  - Spamhaus's error codes (127.255.255.254) are no listing, and are
#    logged once per list however many messages;
#  - a slow list (3 s) does not hold the stage past dns_timeout (1 s),
#    and the verdict line says dns=timeout; a SERVFAIL list: dns=error,
#    mail judged; a list readable only over TCP (truncated over UDP) is
#    read; the resolver down (a closed port): the message is judged,
#    dns= recorded; on_dns_error = tempfail tempfails it;
#  - dns_max_queries bounds the lookups (limit=dns_queries);
#  - SpamAssassin's stock network rules (rules = .../*.cf) hit with their
#    score set 1 scores: RCVD_IN_SBL/XBL/PBL, URIBL_DBL_SPAM, URIBL_BLACK,
#    URIBL_SBL (a domain's name server listed), and the score set is
#    0's without a resolver;
#  - --explain lists each lookup with its answer and the rules it fed;
#    lint says the network tests are on.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
. "$srcdir/tests/dnsd.sh"
dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-dns-lists.XXXXXX") || exit 99
trap 'dnsd_cleanup; rm -rf "$T"' EXIT
trap 'exit 99' HUP INT TERM

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
# check NAME COMMAND...: pass when the command succeeds
check() {
	_n=$1
	shift
	if "$@"; then pass "$_n"; else bad "$_n"; fi
}

# A list that answers after 0.2 s (under the resolver's first
# retransmission, 376 ms): what the client's lookup
# started at connect still has to wait for at the end of the message.
cat > "$T/half.zone" <<'EOF'
half.test-dnsbl.example 300 SOA ns.dnsd.invalid. hostmaster.dnsd.invalid. 1 3600 600 86400 60
[192.0.2.2].half.test-dnsbl.example 300 A 127.0.0.2
@delay half.test-dnsbl.example 0.2
EOF
dnsd_start "$srcdir/tests/data/dns/blocklists.zone" "$T/half.zone" || exit 99

SA=/usr/share/spamassassin
cat > "$T/own.rules" <<'EOF'
connect  ZEN_ANY       dnsbl:zen.spamhaus.org
connect  ZEN_SBL       dnsbl:zen.spamhaus.org=127.0.0.2
connect  ZEN_XBL_PBL   dnsbl:zen.spamhaus.org=127.0.0.[4..7;10;11]
connect  TEST_MASK     dnsbl:bl.test-dnsbl.example&0.0.0.1
helo     HELO_DBL      dnsbl:dbl.test-dnsbl.example
envfrom  FROM_DBL      dnsbl:dbl.test-dnsbl.example=127.0.1.2
EOF
cat > "$T/reject.rules" <<'EOF'
connect  ZEN_REJECT    dnsbl:zen.spamhaus.org=127.0.0.[2..11]
action   ZEN_REJECT    reject
EOF
cat > "$T/slow.rules" <<'EOF'
connect  SLOW          dnsbl:slow.test-dnsbl.example
connect  FAILING       dnsbl:servfail.test-dnsbl.example
connect  TCP_ONLY      dnsbl:tcp.test-dnsbl.example
EOF
# SpamAssassin reads .example names as domains only when told the TLD.
printf 'util_rb_tld example\n' > "$T/tld.cf"

conf() {	# RULES [extra lines]
	_r=$1
	shift
	{
		echo "clamav = off"
		echo "regex_prefilter = no"
		echo "dns_resolver = 127.0.0.1:$DNSD_PORT"
		echo "dns_timeout = 1s"
		echo "rules = $_r"
		for l in "$@"; do echo "$l"; done
	} > "$T/w.conf"
}

cat > "$T/m.eml" <<'EOF'
From: a@sender.example
To: b@example.com
Subject: lists
Message-ID: <lists-1@sender.example>
Date: Thu, 03 Dec 2026 10:00:00 +0000

Just a message.
EOF
cat > "$T/u.eml" <<'EOF'
From: a@sender.example
To: b@example.com
Subject: links
Message-ID: <lists-2@sender.example>
Date: Thu, 03 Dec 2026 10:00:00 +0000

See http://www.spam-domain.example/offer and http://grey-domain.example/.
EOF

scan() {	# CLIENT FILE [args]: stdout and stderr in $T/out
	_c=$1
	_f=$2
	shift 2
	"$WARDEN" scan -c "$T/w.conf" --client "$_c" "$@" "$_f" > "$T/out" 2>&1
	if grep -q -e 'Sanitizer' -e 'runtime error' "$T/out"; then
		bad "sanitizer report scanning $_f from $_c"
		cat "$T/out"
	fi
}
has() { grep -q -e "$1" "$T/out"; }

# --- Warden's own rules ---
conf "$T/own.rules"
scan 192.0.2.2 "$T/m.eml" --helo mail.example.com --json
check "listed client: any code and its exact code hit" has '"ZEN_ANY","ZEN_SBL"'
check "listed client: a filter for other codes does not" \
    sh -c "! grep -q ZEN_XBL_PBL '$T/out'"
scan 192.0.2.20 "$T/m.eml" --json
check "three codes at once: the range filter hits" has '"ZEN_XBL_PBL"'
check "bit mask &0.0.0.1 on 127.0.0.3" has '"TEST_MASK"'
scan 192.0.2.99 "$T/m.eml" --json
check "unlisted client: no list rule" sh -c "! grep -q -e ZEN_ -e TEST_MASK '$T/out'"
scan 2001:db8::2 "$T/m.eml" --json
check "IPv6 client in nibble form" has '"ZEN_SBL"'
check "IPv6 name asked" test "$(dnsd_queries '^udp 2\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.0\.8\.b\.d\.0\.1\.0\.0\.2\.zen\.spamhaus\.org A$')" -ge 1
before=$(dnsd_queries 'zen\.spamhaus\.org')
scan 10.1.2.3 "$T/m.eml" --json
scan 127.0.0.1 "$T/m.eml" --json
conf "$T/own.rules" "trusted_networks = 198.51.100.0/24"
scan 198.51.100.3 "$T/m.eml" --json
check "private, loopback and trusted clients are never asked about" \
    test "$(dnsd_queries 'zen\.spamhaus\.org')" = "$before"
conf "$T/own.rules"
scan 192.0.2.99 "$T/m.eml" --helo spam-domain.example --from x@phish-domain.example --json
check "HELO name on a domain list" has '"HELO_DBL"'
check "sender domain: 127.0.1.4 is not =127.0.1.2" sh -c "! grep -q FROM_DBL '$T/out'"
scan 192.0.2.99 "$T/m.eml" --from x@Spam-Domain.example --json
check "sender domain on a domain list (any case)" has '"FROM_DBL"'

# --- A listed client refused at connect, the list named ---
conf "$T/reject.rules"
scan 192.0.2.2 "$T/m.eml" --json
check "connect reject names the list" \
    has '"reply":"554 5.7.1 Service unavailable; Client host \[192.0.2.2\] blocked using zen.spamhaus.org"'
scan 192.0.2.99 "$T/m.eml" --json
check "unlisted client accepted" has '"action":"accept"'

# --- Error codes: no listing, one log line per list ---
conf "$T/own.rules"
scan 192.0.2.254 "$T/m.eml" --json
check "127.255.255.254 is no listing" sh -c "! grep -q ZEN_ '$T/out'"
check "... and is logged with what to do" has 'zen.spamhaus.org answered 127.255.255.254: queries through a public or open resolver'
n=0
for f in 1 2 3; do cp "$T/m.eml" "$T/m$f.eml"; done
"$WARDEN" scan -c "$T/w.conf" --client 192.0.2.254 "$T/m1.eml" "$T/m2.eml" "$T/m3.eml" > "$T/out" 2>&1
n=$(grep -c 'answered 127.255.255.254' "$T/out")
check "logged once for three messages (got $n)" test "$n" = 1

# --- Slow, failing, TCP-only lists; the deadline holds ---
conf "$T/slow.rules"
t0=$(date +%s%N)
scan 192.0.2.2 "$T/m.eml" --explain
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check "a 3 s list holds the connect stage about dns_timeout (${ms} ms)" \
    test "$ms" -lt 2800
check "slow list: no hit, dns=timeout in the verdict line" \
    sh -c "grep -q 'dns=error\|dns=timeout' '$T/out' && ! grep -q 'tests=.*SLOW' '$T/out'"
check "SERVFAIL recorded as error (it outranks a timeout)" has 'dns=error'
check "a listing readable only over TCP is read" has 'tests=.*TCP_ONLY'
check "--explain: the slow lookup unanswered" \
    has 'slow.test-dnsbl.example A: no answer by the deadline'
check "--explain: the SERVFAIL" has 'servfail.test-dnsbl.example A: error (SERVFAIL)'
check "TCP was used" test "$(dnsd_queries '^tcp 2\.2\.0\.192\.tcp\.test-dnsbl\.example A$')" -ge 1
# A listing that refuses ends the stage at once: the slow list is not
# waited for.
cat "$T/reject.rules" "$T/slow.rules" > "$T/both.rules"
conf "$T/both.rules"
t0=$(date +%s%N)
scan 192.0.2.2 "$T/m.eml" --json
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
check "a refusing listing does not wait for a slow list (${ms} ms)" \
    sh -c "test $ms -lt 800 && grep -q 'blocked using zen.spamhaus.org' '$T/out'"
conf "$T/slow.rules" "on_dns_error = tempfail"
scan 192.0.2.2 "$T/m.eml" --json
check "on_dns_error = tempfail tempfails" has '"action":"tempfail"'

# --- The client's lookup, started at connect, waited for at the end ---
cat > "$T/half.cf" <<'EOF'
header T_HALF_LISTED eval:check_rbl('half', 'half.test-dnsbl.example.')
score  T_HALF_LISTED 0.5
EOF
conf "$T/half.cf"
scan 192.0.2.2 "$T/m.eml" --json
check "a list answering in 0.2 s is read at the end of the message" \
    has '"T_HALF_LISTED"'

# --- DNSEval on the sender's addresses ---
cat > "$T/addr.cf" <<'EOF'
util_rb_tld example
header T_FROM_HOST   eval:check_rbl_from_host('fh', 'dbl.test-dnsbl.example.')
header T_FROM_DOMAIN eval:check_rbl_from_domain('fd', 'dbl.test-dnsbl.example.')
header T_ENVFROM     eval:check_rbl_envfrom('ef', 'dbl.test-dnsbl.example.')
header T_ENVFROM_2   eval:check_rbl_sub('ef', '127.0.1.2')
header T_ENVFROM_4   eval:check_rbl_sub('ef', '127.0.1.4')
EOF
sed 's/^From: .*/From: Someone <x@mail.Wild-Spam.example>/' "$T/m.eml" > "$T/f.eml"
conf "$T/addr.cf"
scan 192.0.2.99 "$T/f.eml" --from y@phish-domain.example --json
for r in T_FROM_HOST T_FROM_DOMAIN T_ENVFROM T_ENVFROM_4; do
	check "$r hits" has "\"$r\""
done
check "check_rbl_sub with another code does not" sh -c "! grep -q T_ENVFROM_2 '$T/out'"
check "the From host asked as it is, lower case" \
    test "$(dnsd_queries '^udp mail\.wild-spam\.example\.dbl\.test-dnsbl\.example A$')" -ge 1
check "the From domain asked as its registered domain" \
    test "$(dnsd_queries '^udp wild-spam\.example\.dbl\.test-dnsbl\.example A$')" -ge 1

# --- The resolver down ---
port=$("$DNSD_PYTHON" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$T/w.conf" <<EOF
clamav = off
regex_prefilter = no
dns_resolver = 127.0.0.1:$port
dns_timeout = 1s
rules = $T/own.rules
EOF
scan 192.0.2.2 "$T/m.eml" --explain
check "resolver down: the message is judged (accept)" has 'm.eml: accept'
check "resolver down: recorded in the verdict line" has 'dns=\(timeout\|error\)'

# --- The per-connection cap ---
conf "$T/own.rules" "dns_max_queries = 2"
scan 192.0.2.2 "$T/m.eml" --helo spam-domain.example --explain
check "dns_max_queries reached is recorded as a limit" has 'limit=dns_queries'

# --- SpamAssassin's network rules, score set 1 ---
if [ -d "$SA" ] && ls "$SA"/*.cf >/dev/null 2>&1; then
	conf "$SA/*.cf $T/tld.cf"
	scan 192.0.2.20 "$T/u.eml" --json
	for r in RCVD_IN_SBL RCVD_IN_XBL RCVD_IN_PBL URIBL_DBL_SPAM \
	    URIBL_BLACK URIBL_GREY URIBL_SBL; do
		check "stock rule $r hits" has "\"$r\""
	done
	scan 192.0.2.20 "$T/u.eml" --explain
	s1=$(sed -n 's/^  RCVD_IN_SBL  *header  *\([0-9.-]*\).*/\1/p' "$T/out")
	check "RCVD_IN_SBL scores set 1's 2.60 (got $s1)" test "$s1" = 2.60
	check "--explain names the rules a lookup fed" \
	    has '20.2.0.192.zen.spamhaus.org A: .*127.0.0.11.* for .*RCVD_IN_SBL'
	# SpamAssassin's registry boundaries (20_aux_tlds.cf): each URI
	# host asked as its registered domain.
	cat > "$T/uri.cf" <<'EOF2'
urirhssub  T_URI_TEST  bl.test-dnsbl.example.  A  127.0.0.4
body       T_URI_TEST  eval:check_uridnsbl('T_URI_TEST')
tflags     T_URI_TEST  net
score      T_URI_TEST  0.01
EOF2
	cat > "$T/r.eml" <<'EOF2'
From: a@sender.example
To: b@example.com
Subject: reduction
Message-ID: <lists-3@sender.example>
Date: Thu, 03 Dec 2026 10:00:00 +0000

http://www.shop.foo.co.uk/a http://a.b.c.example.com.au/
http://deep.host.under.bar.de/ https://x.k12.ca.us/ http://sub.nope.invalidtld/
http://203.0.113.9/path http://10.0.0.1/
EOF2
	conf "$SA/*.cf $T/uri.cf"
	scan 192.0.2.99 "$T/r.eml" --json
	for n in foo.co.uk example.com.au bar.de x.k12.ca.us; do
		check "URI host reduced to $n" \
		    test "$(dnsd_queries "^udp $(echo "$n" | sed 's/\./\\./g')\.bl\.test-dnsbl\.example A$")" -ge 1
	done
	check "a host under an unknown TLD is not asked" \
	    test "$(dnsd_queries 'invalidtld')" = 0
	check "an address host is asked reversed, a private one not" \
	    sh -c "test \"\$(grep -c '9\.113\.0\.203\.bl\.test-dnsbl' '$DNSD_LOG')\" -ge 1 && ! grep -q '1\.0\.0\.10\.bl' '$DNSD_LOG'"
	check "an address host listed (203.0.113.x: 127.0.0.4) hits" \
	    has '"T_URI_TEST"'
	conf "$SA/*.cf $T/tld.cf"
	"$WARDEN" lint -c "$T/w.conf" > "$T/lint" 2>&1
	check "lint says the network tests are on" \
	    grep -q 'network tests: on' "$T/lint"
	# Without a resolver: no lookup, no network rule, set 0.
	cat > "$T/w.conf" <<EOF
clamav = off
regex_prefilter = no
rules = $SA/*.cf $T/tld.cf
EOF
	before=$(dnsd_queries .)
	scan 192.0.2.20 "$T/u.eml" --json
	check "no resolver: no network rule" sh -c "! grep -q -e RCVD_IN_SBL -e URIBL_ '$T/out'"
	check "no resolver: no query" test "$(dnsd_queries .)" = "$before"
	"$WARDEN" lint -c "$T/w.conf" > "$T/lint" 2>&1
	check "lint says the network tests are off and why" \
	    grep -q 'network tests: off' "$T/lint"
else
	echo "note: $SA not installed: SpamAssassin's network rules not checked"
fi

exit $fail
