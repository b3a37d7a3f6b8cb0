-- verdicts.lua -- each verdict applied through the milter: tag (flag,
-- status and Subject tag), quarantine (held with a reason, then
-- accepted), reject at end of message with the configured reply and no
-- headers, and rules with actions at MAIL FROM and at RCPT TO (which
-- refuses that recipient only).
-- config: rules = @libdir@/verdicts.rules
-- config: subject_tag = [SPAM]
-- config: quarantine_reason = held by the Warden tests
-- expect-log: action=tag score=6\.0 tests=WT_TAG
-- expect-log: action=quarantine score=12\.0 tests=WT_QUAR
-- expect-log: action=reject score=20\.0 tests=WT_REJ
-- expect-log: from=<x@bad\.example> client=.*: reject
-- expect-log: from=<sender@example\.com> nrcpt=1 .*action=accept
dofile(libdir .. "/lib.lua")

local function subject_msg(conn, subject, want)
	W.message(conn, { subject = subject, want = want })
end

local conn = W.connect()
W.client(conn)

-- Tag: X-Spam-Flag, a "Yes" status naming the rule, the Subject tagged.
subject_msg(conn, "please tag-me now", SMFIR_ACCEPT)
W.check(mt.eom_check(conn, MT_HDRADD, "X-Spam-Flag", "YES"),
    "no X-Spam-Flag: YES")
local v = mt.getheader(conn, "X-Spam-Status", 0)
W.check(v ~= nil and string.sub(v, 1, 40) ==
    "Yes, score=6.0 required=5.0 tests=WT_TAG", "status: " .. tostring(v))
W.check(mt.eom_check(conn, MT_HDRCHANGE, "Subject",
    "[SPAM] please tag-me now"), "Subject not tagged")
W.check(not mt.eom_check(conn, MT_QUARANTINE), "tagged mail quarantined")

-- Quarantine: held with the configured reason, then accepted.
subject_msg(conn, "quarantine-me", SMFIR_ACCEPT)
W.check(mt.eom_check(conn, MT_QUARANTINE), "not quarantined")
W.check(mt.eom_check(conn, MT_QUARANTINE,
    "held by the Warden tests (score, score=12.0)"),
    "quarantine reason differs")
W.check(mt.eom_check(conn, MT_HDRADD, "X-Spam-Flag", "YES"),
    "no X-Spam-Flag on quarantined mail")

-- Reject: the configured reply, nothing added.
subject_msg(conn, "reject-me", SMFIR_REPLYCODE)
-- (miltertest matches a reply only when given code, status and text)
W.check(mt.eom_check(conn, MT_SMTPREPLY, "550", "5.7.1",
    "Message rejected as spam"), "reject reply is not the configured one")
W.check(not mt.eom_check(conn, MT_HDRADD), "headers added to rejected mail")
W.check(not mt.eom_check(conn, MT_QUARANTINE), "rejected mail quarantined")

-- A rule with an action at MAIL FROM.
W.ok(mt.mailfrom(conn, "<x@bad.example>"), "mailfrom")
W.reply(conn, SMFIR_REPLYCODE, "MAIL FROM from a refused sender")
W.ok(mt.abort(conn), "abort")

-- At RCPT TO: that recipient is refused, the other one goes through.
W.ok(mt.mailfrom(conn, "<sender@example.com>"), "mailfrom")
W.reply(conn, SMFIR_CONTINUE, "mailfrom")
W.ok(mt.rcptto(conn, "<spamtrap@example.org>"), "rcptto trap")
W.reply(conn, SMFIR_REPLYCODE, "RCPT TO a spam trap")
W.ok(mt.rcptto(conn, "<rcpt@example.org>"), "rcptto")
W.reply(conn, SMFIR_CONTINUE, "RCPT TO after a refused recipient")
W.headers(conn, { { "Subject", "hello" } })
W.ok(mt.eoh(conn), "eoh")
W.body(conn, 100)
W.eom(conn, SMFIR_ACCEPT)
W.clean_status(conn)
mt.disconnect(conn)
