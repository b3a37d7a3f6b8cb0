#!/bin/sh
# A reload (SIGUSR1) with a changed rule file while 200 messages are being
# sent (10 at a time, one SMTP session each):
#  - every message is accepted (250) and delivered exactly once;
#  - each carries the result of exactly one generation of the rule file:
#    tests=E2E_GEN1 (old) or tests=E2E_GEN2 (new), never neither or both;
#  - every session that started after Warden said the new configuration
#    was installed got E2E_GEN2, and a probe message sent then does too.
. "${E2E_SRC:-$(dirname "$0")}/lib.sh"
e2e_init reload
N=${E2E_RELOAD_MESSAGES:-200}

rules=$E2E_DIR/reload.rules
write_rules() {	# $1 = generation
	cat >"$rules.tmp" <<EOF
# Written by tests/e2e/reload.sh: generation $1.
header   E2E_GEN$1  Subject =~ /e2e-reload/
describe E2E_GEN$1  e2e: rule file generation $1
score    E2E_GEN$1  0.$1
EOF
	mv "$rules.tmp" "$rules"
}
write_rules 1
e2e_rules "$rules"
e2e_start

bulk=$E2E_DIR/bulk.txt
: >"$bulk"
$PYTHON "$E2E_SRC/bulk.py" "$E2E_SMTP_PORT" "$N" 10 "$$" "$bulk" \
    >"$E2E_DIR/bulk.log" 2>&1 &
bulk_pid=$!
E2E_PIDS="$E2E_PIDS $bulk_pid"

# Reload once a quarter of the messages are through.
i=0
while [ "$(wc -l <"$bulk")" -lt $((N / 4)) ] && [ $i -lt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
done_before=$(wc -l <"$bulk")
write_rules 2
reload_sent=$(date +%s.%N)
e2e_reload_warden
reload_rc=$?
installed=$(date +%s.%N)
done_after=$(wc -l <"$bulk")
e2e_log "reload: signalled after $done_before messages, installed after" \
    "$done_after (took $(awk "BEGIN { printf \"%.2f\", $installed - $reload_sent }") s)"
e2e_check "Warden logged the reload as installed" [ $reload_rc = 0 ]

tok=e2e-reload-probe-$$
e2e_msg "$E2E_DIR/probe.eml" "e2e-reload probe $tok"
e2e_send probe --from sender@origin.example --to rcpt@dest.example \
    --data "@$E2E_DIR/probe.eml"

wait $bulk_pid
e2e_check "the sender finished all $N messages" [ "$(wc -l <"$bulk")" = "$N" ]

f=$(e2e_wait_delivered "$tok" 30)
e2e_check "the probe sent after the reload is delivered" [ -n "$f" ]
[ -n "$f" ] && e2e_check "the probe carries the new rule (tests=E2E_GEN2)" \
    e2e_match "$(e2e_header "$f" X-Spam-Status)" 'tests=E2E_GEN2 '

# Wait for the sink to have all of them (or stop waiting after 60 s).
i=0
while [ "$(grep -l "^Subject: e2e-reload $$-" "$E2E_DIR"/sink/*.eml 2>/dev/null | wc -l)" -lt "$N" ] &&
    [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done

$PYTHON - "$bulk" "$E2E_DIR/sink" "$$" "$N" "$installed" >"$E2E_DIR/verify.out" <<'PY'
import email, email.policy, glob, os, re, sys
bulk, sink, tag, n, installed = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
sent = {}
for line in open(bulk):
    i, start, end, code, text = (line.rstrip('\n').split(' ', 4) + [''])[:5]
    sent[int(i)] = (float(start), float(end), int(code), text)
got = {}
for path in glob.glob(os.path.join(sink, '*.eml')):
    with open(path, 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.compat32)
    mm = re.match(r'e2e-reload %s-(\d+)$' % tag, str(m.get('Subject', '')))
    if mm:
        got.setdefault(int(mm.group(1)), []).append(
            ' '.join(str(v) for v in (m.get_all('X-Spam-Status') or [])))
fails = []
refused = [i for i in range(n) if i not in sent or sent[i][2] != 250]
lost = [i for i in range(n) if i not in got]
dup = [i for i in got if len(got[i]) > 1]
gen = {1: 0, 2: 0}
bad_gen, late_old = [], []
for i, st in got.items():
    s = st[0]
    g1, g2 = 'E2E_GEN1' in s, 'E2E_GEN2' in s
    if g1 == g2:
        bad_gen.append((i, s))
        continue
    gen[1 if g1 else 2] += 1
    if g1 and i in sent and sent[i][0] > installed:
        late_old.append(i)
def check(ok, msg, detail=''):
    print(('ok - ' if ok else 'not ok - ') + msg)
    if not ok and detail:
        print('#   ' + str(detail)[:2000])
    if not ok:
        fails.append(msg)
check(not refused, 'all %d messages accepted with 250 (none refused wrongly)' % n,
      [(i, sent.get(i)) for i in refused[:10]])
check(not lost, 'all %d messages delivered (none lost)' % n, lost[:20])
check(not dup, 'no message delivered twice', dup[:20])
check(not bad_gen, 'each message has exactly one of E2E_GEN1/E2E_GEN2 in X-Spam-Status',
      bad_gen[:5])
print('# generation 1: %d messages, generation 2: %d messages' % (gen[1], gen[2]))
check(gen[1] > 0, 'messages before the reload used the old rule file (E2E_GEN1)')
check(gen[2] > 0, 'messages after the reload used the new rule file (E2E_GEN2)')
check(not late_old, 'no session started after the reload was installed used the old rules',
      late_old[:20])
sys.exit(1 if fails else 0)
PY
[ $? = 0 ] || E2E_FAILED=1
cat "$E2E_DIR/verify.out"
E2E_CHECKS=$((E2E_CHECKS + $(grep -c '^\(not \)\?ok - ' "$E2E_DIR/verify.out")))
grep -q '^ok - ' "$E2E_DIR/verify.out" || E2E_FAILED=1
e2e_check "Warden logged no error" e2e_not grep -q "^warden: error" "$E2E_WLOG"
e2e_done
