#!/bin/sh
# spamassassin.sh -- tests/data/dns/blocklists.zone is a faithful model of
# the real lists: SpamAssassin's stock rules (20_dnsbl_tests.cf,
# 25_uribl.cf, 20_mailspike.cf, 25_dnswl.cf), asking tests/dnsd.py
# (dns_server 127.0.0.1:PORT) instead of the Internet, hit as they would
# on the real listings:
#
#  - a message relayed by 192.0.2.20 (zen: SBL, XBL and PBL at once) and,
#    before it, by 198.51.100.2 (bl.spamcop.net, whose TXT says
#    "spamcop"), with links to www.spam-domain.example (dbl 127.0.1.2,
#    uribl black), phish-domain.example (dbl phish, surbl PH) and
#    grey-domain.example (uribl grey): RCVD_IN_SBL, RCVD_IN_XBL,
#    RCVD_IN_PBL, RCVD_IN_BL_SPAMCOP_NET, URIBL_DBL_SPAM, URIBL_DBL_PHISH,
#    URIBL_BLACK, URIBL_GREY, URIBL_PH_SURBL;
#  - a message relayed by the allowlisted 198.51.100.30 (list.dnswl.org
#    127.0.15.2) hits RCVD_IN_DNSWL_MED, and no blocklist rule.
#
# Skips (77) without spamassassin or a python3 with dnslib.  Nothing
# leaves the machine: SpamAssassin's resolver only asks tests/dnsd.py.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
. "$srcdir/tests/dnsd.sh"
dnsd_python || { echo "SKIP: $DNSD_ERROR"; exit 77; }
command -v spamassassin >/dev/null 2>&1 ||
    { echo "SKIP: spamassassin is not installed (Debian: apt-get install spamassassin)"; exit 77; }
ls /etc/spamassassin/*.pre >/dev/null 2>&1 ||
    { echo "SKIP: no /etc/spamassassin/*.pre (SpamAssassin's plugin list)"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-dns-sa.XXXXXX") || exit 99
trap 'dnsd_cleanup; rm -rf "$T"' EXIT
trap 'exit 99' HUP INT TERM

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

dnsd_start "$srcdir/tests/data/dns/blocklists.zone" || exit 99

# SpamAssassin's plugins as installed, no site or user configuration.
mkdir "$T/site" "$T/home"
cp /etc/spamassassin/*.pre "$T/site/"

# sa MESSAGE: the names of the rules that hit, one a line.
sa() {
	HOME=$T/home spamassassin -t --siteconfigpath="$T/site" \
	    --cf="dns_server 127.0.0.1:$DNSD_PORT" --cf="dns_available yes" \
	    --cf="trusted_networks 192.0.2.53" --cf="internal_networks 192.0.2.53" \
	    --cf="use_bayes 0" --cf="util_rb_tld example" --cf="rbl_timeout 10" \
	    <"$1" 2>"$1.err" | tee "$1.out" |
	    sed -n 's/^ *-\{0,1\}[0-9][0-9]*\.[0-9] \([A-Z][A-Z0-9_]*\) .*/\1/p' | sort -u
}

cat >"$T/spam.eml" <<'EOM'
Received: from mx.spam-domain.example (mx.spam-domain.example [192.0.2.20])
	by mail.example.com (Postfix) with ESMTP id 4AB12345
	for <user@example.com>; Mon, 1 Jan 2024 00:00:05 +0000
Received: from relay.example.net (relay.example.net [198.51.100.2])
	by mx.spam-domain.example (Postfix) with ESMTP id 99887766
	for <user@example.com>; Mon, 1 Jan 2024 00:00:00 +0000
From: "Offers" <offers@spam-domain.example>
To: user@example.com
Subject: your account
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <20240101000000.12345@spam-domain.example>

Visit http://www.spam-domain.example/offer and http://phish-domain.example/login
and http://grey-domain.example/ today.
EOM

cat >"$T/ham.eml" <<'EOM'
Received: from mx.sender.example (mx.sender.example [198.51.100.30])
	by mail.example.com (Postfix) with ESMTP id 4AB12346
	for <user@example.com>; Mon, 1 Jan 2024 00:00:05 +0000
From: "Sender" <news@sender.example>
To: user@example.com
Subject: the minutes of the meeting
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <20240101000000.12346@sender.example>

The minutes are at http://example.com/minutes as agreed.
EOM

hits=$(sa "$T/spam.eml")
list=$(printf '%s\n' "$hits" | tr '\n' ' ')
for rule in RCVD_IN_SBL RCVD_IN_XBL RCVD_IN_PBL RCVD_IN_BL_SPAMCOP_NET \
    URIBL_DBL_SPAM URIBL_DBL_PHISH URIBL_BLACK URIBL_GREY URIBL_PH_SURBL; do
	if printf '%s\n' "$hits" | grep -qx "$rule"; then
		pass "the spam hits $rule"
	else
		bad "the spam does not hit $rule (hits: $list)"
	fi
done
if [ "$(dnsd_queries '^udp 20\.2\.0\.192\.zen\.spamhaus\.org A$')" -ge 1 ]; then
	pass "SpamAssassin asked tests/dnsd.py for 192.0.2.20 in zen"
else
	bad "no zen query for 192.0.2.20 in the log: $(cat "$DNSD_LOG")"
fi

hits=$(sa "$T/ham.eml")
list=$(printf '%s\n' "$hits" | tr '\n' ' ')
if printf '%s\n' "$hits" | grep -qx RCVD_IN_DNSWL_MED; then
	pass "the allowlisted sender hits RCVD_IN_DNSWL_MED"
else
	bad "the allowlisted sender does not hit RCVD_IN_DNSWL_MED (hits: $list)"
fi
if printf '%s\n' "$hits" | grep -Eq '^(RCVD_IN_(SBL|XBL|PBL|BL_SPAMCOP_NET)|URIBL_)'; then
	bad "the allowlisted sender hits a blocklist rule: $list"
else
	pass "and no blocklist rule"
fi

if [ $fail != 0 ]; then
	echo "SpamAssassin's report and errors:"
	cat "$T/spam.eml.out" "$T/spam.eml.err" "$T/ham.eml.out" "$T/ham.eml.err"
	echo "queries:"
	cat "$DNSD_LOG"
fi
dnsd_stop || bad "dnsd_stop: $DNSD_ERROR"
exit $fail
