#!/bin/sh
# learn.sh -- "warden learn" and the statistical filter, from a build
# tree, on generated mail (no corpus needed):
#
#  - 250 spam (a directory of files) and 250 ham (an mbox file and a
#    Maildir, whose tmp/ is left out) are learned; --stats counts them.
#  - With a .cf file of SpamAssassin's BAYES_* rules (inside "ifplugin
#    ...Bayes"), a new spammy message hits BAYES_99 and a new hammy one
#    BAYES_00; --explain shows the probability and the strongest tokens;
#    a message of words never learned makes the filter abstain; one of
#    more distinct words than the tokenizer's bound says how many were
#    not judged.
#  - Learning the same messages again counts nothing; one spam learned
#    as ham is moved; forgetting every spam brings the store back to the
#    counts before they were learned, and the filter abstains (too few
#    learned), which lint says.
#  - statistics = no: the Bayes rules are not loaded at all.
#  - A path that cannot be read: exit 1, named on stderr.
set -u

: "${srcdir:=$(dirname "$0")/../..}"
BUILD=$(pwd)
WARDEN=$BUILD/warden
[ -x "$WARDEN" ] || { echo "ERROR: $WARDEN is not built"; exit 99; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: no python3"; exit 77; }

T=$(mktemp -d "${TMPDIR:-/tmp}/warden-learn-test.XXXXXX") || exit 99
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

fail=0
pass() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

# Generated mail (see gen_mail.py): spam and ham with their own
# vocabularies, an mbox, a Maildir, unseen messages, and bayes.cf.
python3 "$srcdir/tests/cli/gen_mail.py" "$T" || exit 99

conf() {
	printf 'statistics = %s\nstatistics_directory = %s/store\n' "$1" "$T"
	printf 'clamav = off\nrules = %s/bayes.cf\nregex_prefilter = no\n' "$T"
	printf 'spool_directory = %s/spool\n' "$T"
}
conf yes >"$T/w.conf"
conf no >"$T/off.conf"
L() { "$WARDEN" learn -c "$T/w.conf" "$@"; }
S() { "$WARDEN" scan -c "$T/w.conf" "$@" 2>/dev/null; }

out=$(L --spam "$T/spam")
echo "$out"
case $out in
"250 messages as spam: 250 learned, 0 already known"*) pass "250 spam learned" ;;
*) bad "learning the spam directory: $out" ;;
esac
out=$(L --ham "$T/ham.mbox" "$T/Maildir")
echo "$out"
case $out in
"250 messages as ham: 250 learned"*) pass "150 ham from an mbox and 100 from a Maildir (tmp/ left out)" ;;
*) bad "learning the mbox and the Maildir: $out" ;;
esac
L --stats >"$T/stats" || bad "learn --stats failed"
grep -q "^spam learned: 250$" "$T/stats" && grep -q "^ham learned: 250$" "$T/stats" &&
    pass "--stats counts 250 and 250" || bad "--stats: $(cat "$T/stats")"
before=$(grep "^tokens:" "$T/stats")

out=$(S "$T/new-spam.eml")
case $out in *BAYES_99*) pass "a new spammy message hits BAYES_99" ;;
*) bad "new spam: $out" ;; esac
out=$(S "$T/new-ham.eml")
case $out in *BAYES_00*) pass "a new hammy message hits BAYES_00" ;;
*) bad "new ham: $out" ;; esac
out=$(S --explain "$T/new-spam.eml")
if echo "$out" | grep -q "statistics: spam probability 0\.99[0-9]* \|statistics: spam probability 1\.0000 " &&
    echo "$out" | grep -q "strongest: .*spam"; then
	pass "--explain shows the probability and the strongest tokens"
else
	bad "--explain: $out"
fi
echo "$out" | grep -q "tokens: .* past the bound" &&
    bad "--explain: tokens past the bound said of a small message: $out"
# A message of more distinct words than the tokenizer's bound (3,000
# tokens), its body twice: --explain says how many were left out,
# each counted once.
python3 -c '
import itertools
w = ["q" + "".join(t) for t in itertools.product("abcdefghij", repeat=4)][:2500]
body = " ".join(w) + "\n"
print("From: a@big.example\nSubject: many words\n\n" + body + body, end="")
' >"$T/big.eml"
line=$(S --explain "$T/big.eml" | grep "tokens: ")
used=$(echo "$line" | sed -n 's/^ *tokens: \([0-9]*\) used of \([0-9]*\) (\([0-9]*\) past the bound of 3000 not judged)$/\1 \2 \3/p')
set -- $used
if [ $# = 3 ] && [ "$1" = 3000 ] && [ $(($1 + $3)) = "$2" ] && [ "$3" -gt 1900 ] &&
    [ "$3" -lt 2100 ]; then
	pass "--explain says the tokens past the bound: $(echo $line)"
else
	bad "--explain of a message past the bound: '$line'"
fi
out=$(S --explain "$T/unknown.eml")
if echo "$out" | grep -q "statistics: abstained (too little known evidence" &&
    ! echo "$out" | grep -q BAYES_; then
	pass "words never learned: the filter abstains, no BAYES_* rule"
else
	bad "unknown words: $out"
fi

out=$(L --spam "$T/spam")
case $out in
"250 messages as spam: 0 learned, 250 already known"*) pass "learned again: counted once" ;;
*) bad "learning again: $out" ;;
esac
out=$(L --ham "$T/spam/000.eml")
case $out in
"1 messages as ham: 0 learned, 0 already known, 1 moved from spam"*) pass "a spam learned as ham is moved" ;;
*) bad "moving: $out" ;;
esac
out=$(L --forget "$T/spam")
case $out in
"250 messages: 250 forgotten, 0 never learned"*) pass "forgetting 250 messages" ;;
*) bad "forgetting: $out" ;;
esac
L --forget "$T/new-ham.eml" | grep -q "0 forgotten, 1 never learned" &&
    pass "forgetting a message never learned changes nothing" ||
    bad "forgetting an unknown message"
# The store is back to the 250 ham alone (the moved one forgotten too).
L --stats >"$T/stats2"
grep -q "^spam learned: 0$" "$T/stats2" && grep -q "^ham learned: 250$" "$T/stats2" ||
    bad "after forgetting: $(cat "$T/stats2")"
# Learning the ham alone from scratch gives the same tokens.
conf yes | sed "s|$T/store|$T/store2|" >"$T/w2.conf"
"$WARDEN" learn -c "$T/w2.conf" --ham "$T/ham.mbox" "$T/Maildir" >/dev/null
after=$(grep "^tokens:" "$T/stats2")
fresh=$("$WARDEN" learn -c "$T/w2.conf" --stats | grep "^tokens:")
[ "$after" = "$fresh" ] && [ "$after" != "$before" ] &&
    pass "forgetting restores the store ($after, as the ham alone gives)" ||
    bad "after forgetting: $after; the ham alone: $fresh; before: $before"
out=$(S --explain "$T/new-spam.eml")
echo "$out" | grep -q "statistics: abstained (too few messages learned)" &&
    pass "too few spam learned: the filter abstains" || bad "abstain: $out"
"$WARDEN" lint -c "$T/w.conf" | grep -q "statistical filter abstains: 0 spam and 250 ham" &&
    pass "lint says why the filter abstains" || bad "lint: $("$WARDEN" lint -c "$T/w.conf")"

out=$("$WARDEN" lint -c "$T/off.conf")
case $out in
*"statistical filter: off"*) pass "lint: statistics = no is off" ;;
*) bad "lint with statistics = no: $out" ;;
esac
"$WARDEN" scan -c "$T/off.conf" "$T/new-ham.eml" 2>/dev/null | grep -q BAYES_ &&
    bad "statistics = no: a BAYES_* rule hit" ||
    pass "statistics = no: no BAYES_* rule"

# The Subject as Warden tagged it is the Subject the sender wrote.
conf yes | sed "s|$T/store|$T/store3|" >"$T/w3.conf"
echo 'subject_tag = [SPAM] ' >>"$T/w3.conf"
sed 's/^Subject: /Subject: [SPAM] /' "$T/new-spam.eml" >"$T/tagged.eml"
"$WARDEN" learn -c "$T/w3.conf" --spam "$T/new-spam.eml" >/dev/null
out=$("$WARDEN" learn -c "$T/w3.conf" --ham "$T/tagged.eml")
case $out in
*"1 moved from spam"*) pass "a tagged copy learned as ham moves the message learned before" ;;
*) bad "tagged copy: $out" ;;
esac
# A link loop below a directory learned is not followed.
mkdir -p "$T/loop"
cp "$T/new-ham.eml" "$T/loop/"
ln -s .. "$T/loop/up"
out=$(timeout 20 "$WARDEN" learn -c "$T/w3.conf" --ham "$T/loop")
case $out in
"1 messages as ham"*) pass "a link loop below the path is not followed" ;;
*) bad "link loop: $out" ;;
esac

L --spam "$T/nonexistent" 2>"$T/err" >/dev/null
rc=$?
[ $rc = 1 ] && grep -q "nonexistent" "$T/err" &&
    pass "a path that cannot be read: exit 1, named" ||
    bad "unreadable path: exit $rc, $(cat "$T/err")"
exit $fail
