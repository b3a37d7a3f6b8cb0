-- stages.lua -- rules decide at the earliest stage: a connect rule (CIDR)
-- refuses the session with its reply (and the log line carries it, since
-- Sendmail shows its own text for a refusal at connect); a client in
-- Sendmail's no-PTR form ([address]) is "unknown" to the rules; a HELO rule refuses at HELO, and
-- the shipped GTUBE rule refuses at end of message with 550 5.7.1 and
-- the configured reply text.
-- config: rules = @libdir@/stages.rules @libdir@/../../rules/*.rules
-- config: reject_reply = 550 5.7.1 Spam is not accepted here
-- expect-log: action=reject score=1000\.0 tests=GTUBE
-- expect-log: connect from bad\.example\[203\.0\.113\.9\]: reject \(rule WS_CONN\) reply="554 5\.7\.1 Your network is not welcome"$
-- expect-log: connect from unknown\[198\.51\.100\.8\]: tempfail \(rule WS_NOPTR\) reply="450 4\.7\.25 Client host has no PTR name"$
-- expect-log: connect from unknown\[198\.51\.100\.10\]: tempfail \(rule WS_NOPTR\)
-- expect-log-count: 2 connect from unknown\[
-- expect-log: helo from .* bad-helo\.example: reject \(rule WS_HELO\)
dofile(libdir .. "/lib.lua")

-- Connect rule.
local conn = W.connect()
W.ok(mt.conninfo(conn, "bad.example", "203.0.113.9"), "conninfo")
-- A custom reply (SMFIR_REPLYCODE) rather than a plain reject: the rule's
-- text reaches the MTA.  (miltertest keeps reply texts only at EOM.)
W.reply(conn, SMFIR_REPLYCODE, "connect from a refused network")
mt.disconnect(conn)

-- Sendmail's form of a client without a PTR name: the address in
-- brackets.  It is "unknown" to the rules, as Postfix would pass it.
conn = W.connect()
W.ok(mt.conninfo(conn, "[198.51.100.8]", "198.51.100.8"), "conninfo")
W.reply(conn, SMFIR_REPLYCODE, "connect without a PTR name")
mt.disconnect(conn)

-- Sendmail's FORGED (the PTR name does not resolve back): not verified,
-- so "unknown" too, as Postfix passes it.
conn = W.connect()
W.ok(mt.macro(conn, SMFIC_CONNECT, "{client_resolve}", "FORGED"), "macro")
W.ok(mt.conninfo(conn, "forged.example.net", "198.51.100.10"), "conninfo")
W.reply(conn, SMFIR_REPLYCODE, "connect with a forged name")
mt.disconnect(conn)

-- A verified name is kept.
conn = W.connect()
W.ok(mt.macro(conn, SMFIC_CONNECT, "{client_resolve}", "OK"), "macro")
W.ok(mt.conninfo(conn, "mail.example.net", "198.51.100.9"), "conninfo")
W.reply(conn, SMFIR_CONTINUE, "connect with a verified name")
mt.disconnect(conn)

-- HELO rule.
conn = W.connect()
W.ok(mt.conninfo(conn, "client.example", "198.51.100.7"), "conninfo")
W.reply(conn, SMFIR_CONTINUE, "connect")
W.ok(mt.helo(conn, "bad-helo.example"), "helo")
W.reply(conn, SMFIR_REPLYCODE, "helo refused")
mt.disconnect(conn)

-- GTUBE at end of message, through the shipped rules.
conn = W.connect()
W.client(conn)
W.envelope(conn)
W.headers(conn, {
	{ "From", "Sender <sender@example.com>" },
	{ "To", "rcpt@example.org" },
	{ "Subject", "GTUBE" },
	{ "Date", "Sun, 22 Nov 2026 10:00:00 +0000" },
	{ "Message-ID", "<gtube@example.com>" },
})
W.ok(mt.eoh(conn), "eoh")
W.reply(conn, SMFIR_CONTINUE, "eoh")
W.ok(mt.bodystring(conn,
    "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\r\n"),
    "body")
W.reply(conn, SMFIR_CONTINUE, "body")
W.ok(mt.eom(conn), "eom")
W.reply(conn, SMFIR_REPLYCODE, "GTUBE at end of message")
W.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Spam is not accepted here"), "GTUBE reply text")
W.check(not mt.eom_check(conn, MT_HDRADD, "X-Spam-Status"),
    "a refused message gets no headers")
mt.disconnect(conn)
