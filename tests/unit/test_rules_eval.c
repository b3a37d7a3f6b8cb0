/*
 * test_rules_eval.c -- the SpamAssassin eval: tests Warden runs natively
 * (rules_eval.c): for each, a message it hits and one it does not (each
 * HTMLEval one checked against SpamAssassin 4.0.1); and
 * how the parser takes them (an implemented test is defined with its
 * score, an unknown one is skipped and counted, FreeMail's settings).
 */
#include "autoconfig.h"

#include "html.h"
#include "mtree.h"
#include "rules_int.h"
#include "unit.h"
#include "unit_rules.h"

static struct config *cfg;

static void
setup(void)
{
	cfg = unit_rules_config("");
}

static void
teardown(void)
{
	config_free(cfg);
	cfg = NULL;
}

static struct ruleset *
load_cf(const char *text, struct diag *d)
{
	diag_init(d);
	return rules_load_text(cfg, "t.cf", text, d);
}

/* Run the EOM rules on msg; true when rule name hit. */
static bool
hits(const struct ruleset *rs, const char *msg, const char *name)
{
	return unit_eom_hit(rs, cfg, msg, NULL, name);
}

/* ---- Each test: a message that hits, one that does not ---- */

#define RCVD_PUB "Received: from mail.example.net (mail.example.net " \
	"[203.0.113.5]) by mx.example.org (Postfix) with ESMTP id A1; " \
	"Fri, 23 Aug 2002 12:00:00 +0000\n"
#define DATE_OK "Date: Fri, 23 Aug 2002 12:00:00 +0000\n"
#define PLAIN "Content-Type: text/plain\n"
#define HTML_HDR "Subject: s\nContent-Type: text/html\n\n"

static const struct {
	const char *rule;	/* the definition of T */
	const char *hit;	/* a message T hits */
	const char *miss;	/* one it does not */
} cases[] = {
	/* HeaderEval */
	{ "header T eval:check_for_shifted_date('6', '12')",
	  RCVD_PUB "Date: Fri, 23 Aug 2002 20:00:00 +0000\nSubject: s\n\nx\n",
	  RCVD_PUB DATE_OK "Subject: s\n\nx\n" },
	/* A Received header folded inside its date. */
	{ "header T eval:check_for_shifted_date('6', '12')",
	  "Received: from a (b.example [203.0.113.5]) by mx.example.org\n"
	  "    (8.11.6/8.11.6) with ESMTP id g7; Fri, 23 Aug 2002 12:00:00\n"
	  "    +0000\nDate: Fri, 23 Aug 2002 20:00:00 +0000\n\nx\n",
	  "Received: from a (b.example [203.0.113.5]) by mx.example.org\n"
	  "    (8.11.6/8.11.6) with ESMTP id g7; Fri, 23 Aug 2002 12:00:00\n"
	  "    +0000\nDate: Fri, 23 Aug 2002 12:00:00 +0000\n\nx\n" },
	{ "header T eval:check_for_shifted_date('undef', '-96')",
	  RCVD_PUB "Date: Mon, 12 Aug 2002 12:00:00 +0000\nSubject: s\n\nx\n",
	  RCVD_PUB DATE_OK "Subject: s\n\nx\n" },
	{ "header T eval:check_outlook_message_id()",
	  RCVD_PUB "Date: Thu, 22 Aug 2002 06:06:40 +0000\n"
	  "Message-Id: <0000deadbeef$00000000$00000000@pc>\n\nx\n",
	  RCVD_PUB "Date: Thu, 22 Aug 2002 06:06:40 +0000\n"
	  "Message-Id: <000001c249a2$00000000$00000000@pc>\n\nx\n" },
	{ "header T eval:check_equal_from_domains()",
	  "Return-Path: <b@other.example.org>\nFrom: a@example.com\n\nx\n",
	  "Return-Path: <b@mail.example.com>\nFrom: a@example.com\n\nx\n" },
	{ "header T eval:check_for_matching_env_and_hdr_from()",
	  "Return-Path: <a@example.com>\nFrom: A <a@example.com>\n\nx\n",
	  "Return-Path: <b@example.com>\nFrom: A <a@example.com>\n\nx\n" },
	{ "header T eval:check_for_forged_yahoo_received_headers()",
	  RCVD_PUB "From: x@yahoo.com\n\nx\n",
	  "Received: from [192.0.2.9] by web7.mail.yahoo.com via HTTP; "
	  "Fri, 23 Aug 2002 12:00:00 +0000\nFrom: x@yahoo.com\n\nx\n" },
	{ "header T eval:check_for_forged_gmail_received_headers()",
	  RCVD_PUB "From: x@gmail.com\n\nx\n",
	  RCVD_PUB "X-Received: by 10.1.2.3 with SMTP id abc; Fri, 23 Aug "
	  "2002 12:00:00 +0000\nFrom: x@gmail.com\n\nx\n" },
	{ "header T eval:check_for_forged_hotmail_received_headers()",
	  "Received: from hotmail.com (unknown [203.0.113.5]) by "
	  "mx.example.org (Postfix) with SMTP id A1; Fri, 23 Aug 2002 "
	  "12:00:00 +0000\nFrom: x@hotmail.com\n\nx\n",
	  RCVD_PUB "From: x@hotmail.com\n\nx\n" },
	{ "header T eval:check_for_no_hotmail_received_headers()",
	  RCVD_PUB "From: x@hotmail.com\n\nx\n",
	  RCVD_PUB "From: x@example.com\n\nx\n" },
	{ "header T eval:check_for_forged_eudoramail_received_headers()",
	  RCVD_PUB "From: x@eudoramail.com\n\nx\n",
	  RCVD_PUB "From: x@example.com\n\nx\n" },
	{ "header T eval:check_for_forged_juno_received_headers()",
	  RCVD_PUB "From: x@juno.com\n\nx\n",
	  RCVD_PUB "From: x@example.com\n\nx\n" },
	{ "header T eval:check_for_fake_aol_relay_in_rcvd()",
	  "Received: from rly-xa01.mx.aol.com ([203.0.113.5]) by "
	  "mx.example.org with SMTP; Fri, 23 Aug 2002 12:00:00 +0000\n\nx\n",
	  RCVD_PUB "\nx\n" },
	{ "header T eval:gated_through_received_hdr_remover()",
	  "From: a@example.com\n\nx\n",
	  RCVD_PUB "From: a@example.com\n\nx\n" },
	{ "header T eval:check_for_missing_to_header()",
	  "From: a@example.com\nSubject: s\n\nx\n",
	  "From: a@example.com\nTo: b@example.com\n\nx\n" },
	{ "header T eval:similar_recipients('0.65', 'undef')",
	  "To: aa1@x.example, aa2@x.example, aa3@x.example, aa4@x.example, "
	  "aa5@x.example\n\nx\n",
	  "To: al@a.example, bob@b.example, carl@c.example, dan@d.example, "
	  "eve@e.example\n\nx\n" },
	{ "header T eval:sorted_recipients()",
	  "To: a@x.example, b@x.example, c@x.example, d@x.example, "
	  "e@x.example, f@x.example, g@x.example\n\nx\n",
	  "To: g@x.example, b@x.example, c@x.example, d@x.example, "
	  "e@x.example, f@x.example, a@x.example\n\nx\n" },
	{ "header T eval:subject_is_all_caps()",
	  "Subject: THIS IS ALL IN CAPITALS\n\nx\n",
	  "Subject: This is not in capitals\n\nx\n" },
	{ "header T eval:check_for_to_in_subject('user')",
	  "To: bob@example.com\nSubject: bob, look at this\n\nx\n",
	  "To: bob@example.com\nSubject: look at this\n\nx\n" },
	{ "header T eval:check_for_to_in_subject('address')",
	  "To: bob@example.com\nSubject: for bob@example.com\n\nx\n",
	  "To: bob@example.com\nSubject: for bob\n\nx\n" },
	{ "header T eval:check_header_count_range('Subject', '2', '999')",
	  "Subject: one\nSubject: two\n\nx\n",
	  "Subject: one\n\nx\n" },
	{ "header T eval:check_illegal_chars('From', '0.20', '2')",
	  "From: \x80\x81\x82\x83 <a@b.x>\n\nx\n",
	  "From: Ann <a@b.example>\n\nx\n" },
	{ "header T eval:check_messageid_not_usable()",
	  RCVD_PUB "List-Unsubscribe: <mailto:list-unsubscribe@x.example>\n"
	  "\nx\n",
	  RCVD_PUB "Subject: s\n\nx\n" },
	{ "header T eval:check_unresolved_template()",
	  "X-Campaign: %RND_NUMBER\n\nx\n",
	  "X-Campaign: 100% sure\n\nx\n" },
	{ "header T eval:check_ratware_name_id()",
	  "Message-Id: <ABCDEFGHIJKLMNOPQRSTUVWXYZAB.bob@x.example>\n"
	  "From: \"Bob\" <bob@x.example>\n\nx\n",
	  "Message-Id: <abc@x.example>\nFrom: \"Bob\" <bob@x.example>\n\nx\n" },
	{ "header T eval:check_ratware_envelope_from()",
	  "Return-Path: <example.com.bob@spam.example>\n"
	  "To: bob@example.com\n\nx\n",
	  "Return-Path: <ann@spam.example>\nTo: bob@example.com\n\nx\n" },
	{ "header T eval:check_for_msn_groups_headers()",
	  "Return-Path: <mylist-bounce@groups.msn.com>\n"
	  "Received: from mail pickup service by p12.groups.msn.com with "
	  "Microsoft SMTPSVC; Fri, 23 Aug 2002 12:00:00 +0000\n"
	  "To: <mylist@groups.msn.com>\n"
	  "Message-Id: <mylist-123@groups.msn.com>\n\nx\n",
	  "To: <mylist@groups.msn.com>\n" RCVD_PUB "\nx\n" },
	{ "header T eval:check_for_forged_gw05_received_headers()",
	  RCVD_PUB "Received: from host1 by gwia with ESMTP; Thu, 22 Aug "
	  "2002 09:23:38 -0400\n\nx\n",
	  RCVD_PUB "Received: from host1 by gw.example.com with ESMTP; Thu, "
	  "22 Aug 2002 09:23:38 -0400\n\nx\n" },
	{ "header T eval:received_within_months('12', 'undef')",
	  RCVD_PUB DATE_OK "\nx\n",
	  "Date: Thu, 01 Jan 2037 00:00:00 +0000\n\nx\n" },
	{ "header T eval:check_for_faraway_charset_in_headers()",
	  NULL,
	  "Subject: =?koi8-r?B?8NLJ18XU?=\n\nx\n" },
	/* SpamAssassin 4 keeps these for old rules; they never hit. */
	{ "header T eval:check_for_unique_subject_id()",
	  NULL, "Subject: offer 12345 ABCDEF\n\nx\n" },
	{ "header T eval:check_for_illegal_ip()",
	  NULL, RCVD_PUB "\nx\n" },
	{ "body T eval:check_for_faraway_charset()",
	  NULL, "Content-Type: text/plain; charset=koi8-r\n\n\xf0\xd2\xc9"
	  "\xd7\xc5\xd4\n" },
	/* RelayEval */
	{ "header T eval:check_all_trusted()",
	  "Received: from a (b.example [10.0.0.1]) by mx.example.org "
	  "(Postfix) with ESMTP id A1; Fri, 23 Aug 2002 12:00:00 +0000\n\nx\n",
	  RCVD_PUB "\nx\n" },
	{ "header T eval:check_no_relays()",
	  "Subject: s\n\nx\n",
	  RCVD_PUB "\nx\n" },
	{ "header T eval:check_relays_unparseable()",
	  "Received: from foo (bar baz) by mx.example.org; Fri, 23 Aug "
	  "2002 12:00:00 +0000\n\nx\n",
	  RCVD_PUB "\nx\n" },
	/* From in the domain, a relay from and to hosts in it (checked
	 * against SpamAssassin 4.0.1) */
	{ "header T eval:check_for_from_domain_in_received_headers("
	  "'example.com', 'true')",
	  "Received: from mx.example.com (mx.example.com [192.0.2.1]) by "
	  "mail.example.com (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 "
	  "00:00:00 +0000\nFrom: a@example.com\n\nx\n",
	  "Received: from mx.example.com (mx.example.com [192.0.2.1]) by "
	  "mail.example.com (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 "
	  "00:00:00 +0000\nFrom: a@example.net\n\nx\n" },
	{ "header T eval:check_for_from_domain_in_received_headers("
	  "'example.com', 'false')",
	  "Received: from mx.example.net (mx.example.net [192.0.2.1]) by "
	  "mail.example.com (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 "
	  "00:00:00 +0000\nFrom: a@example.com\n\nx\n",
	  "Received: from mx.example.com (mx.example.com [192.0.2.1]) by "
	  "mail.example.com (Postfix) with ESMTP id 1; Mon, 1 Jan 2024 "
	  "00:00:00 +0000\nFrom: a@example.com\n\nx\n" },
	{ "header T eval:check_for_no_rdns_dotcom_helo()",
	  "Received: from hotmail.com (unknown [203.0.113.5]) by "
	  "mx.example.org (Postfix) with SMTP id A1; Fri, 23 Aug 2002 "
	  "12:00:00 +0000\n\nx\n",
	  "Received: from hotmail.com (mail.example.net [203.0.113.5]) by "
	  "mx.example.org (Postfix) with SMTP id A1; Fri, 23 Aug 2002 "
	  "12:00:00 +0000\n\nx\n" },
	{ "header T eval:helo_ip_mismatch()",
	  "Received: from 198.51.100.7 (unknown [203.0.113.5]) by "
	  "mx.example.org (Postfix) with SMTP id A1; Fri, 23 Aug 2002 "
	  "12:00:00 +0000\n\nx\n",
	  "Received: from 203.0.113.9 (unknown [203.0.113.5]) by "
	  "mx.example.org (Postfix) with SMTP id A1; Fri, 23 Aug 2002 "
	  "12:00:00 +0000\n\nx\n" },
	{ "header T eval:check_for_numeric_helo()",
	  "Received: from 198.51.100.7 (unknown [203.0.113.5]) by "
	  "mx.example.org (Postfix) with SMTP id A1; Fri, 23 Aug 2002 "
	  "12:00:00 +0000\n\nx\n",
	  RCVD_PUB "\nx\n" },
	{ "header T eval:check_for_forged_received_ip_helo()",
	  "Received: from 198.51.100.7 (unknown [203.0.113.5]) by "
	  "mx.example.org (Postfix) with SMTP id A1; Fri, 23 Aug 2002 "
	  "12:00:00 +0000\n\nx\n",
	  RCVD_PUB "\nx\n" },
	{ "header T eval:check_for_sender_no_reverse()",
	  RCVD_PUB "\nx\n",
	  "Received: from a (unknown [203.0.113.5]) by mx.example.org "
	  "(Postfix) with SMTP id A1; Fri, 23 Aug 2002 12:00:00 +0000\n\nx\n" },
	{ "header T eval:check_for_forged_received_trail()",
	  "Received: from a (x.one.example [203.0.113.1]) by mx.mine.example "
	  "(Postfix) with SMTP id A1; Fri, 23 Aug 2002 12:00:00 +0000\n"
	  "Received: from b (y.two.example [203.0.113.2]) by z.three.example "
	  "(Postfix) with SMTP id A2; Fri, 23 Aug 2002 12:00:00 +0000\n"
	  "Received: from c (w.four.example [203.0.113.3]) by q.five.example "
	  "(Postfix) with SMTP id A3; Fri, 23 Aug 2002 12:00:00 +0000\n\nx\n",
	  "Received: from a (x.one.example [203.0.113.1]) by mx.mine.example "
	  "(Postfix) with SMTP id A1; Fri, 23 Aug 2002 12:00:00 +0000\n"
	  "Received: from b (y.two.example [203.0.113.2]) by z.one.example "
	  "(Postfix) with SMTP id A2; Fri, 23 Aug 2002 12:00:00 +0000\n"
	  "Received: from c (w.four.example [203.0.113.3]) by q.two.example "
	  "(Postfix) with SMTP id A3; Fri, 23 Aug 2002 12:00:00 +0000\n\nx\n" },
	/* MIMEEval */
	{ "body T eval:check_for_mime_html_only()",
	  "Content-Type: text/html\n\n<p>x</p>\n",
	  PLAIN "\nx\n" },
	{ "body T eval:check_for_mime_html()",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\nx\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n",
	  PLAIN "\nx\n" },
	{ "rawbody T eval:check_for_mime('mime_qp_long_line')",
	  PLAIN "Content-Transfer-Encoding: quoted-printable\n\n"
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "456789012345678\n",
	  PLAIN "Content-Transfer-Encoding: quoted-printable\n\nshort=20line\n" },
	{ "rawbody T eval:check_for_mime('mime_base64_encoded_text')",
	  PLAIN "Content-Transfer-Encoding: base64\n\naGVsbG8K\n",
	  PLAIN "\nhello\n" },
	{ "body T eval:check_for_ascii_text_illegal()",
	  PLAIN "\ncaf\xe9\n",
	  PLAIN "\ncafe\n" },
	{ "body T eval:check_abundant_unicode_ratio('0.02')",
	  PLAIN "\n&#x4E00;&#x4E01;&#x4E02; ab\n",
	  PLAIN "\nplain text only\n" },
	{ "body T eval:check_qp_ratio('0.1')",
	  PLAIN "Content-Transfer-Encoding: quoted-printable\n\n"
	  "=41=42=43=44=45=46\n",
	  PLAIN "Content-Transfer-Encoding: quoted-printable\n\nabcdef\n" },
	{ "body T eval:check_mime_multipart_ratio('0.0', '0.5')",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\nx\n--b\nContent-Type: text/html\n\n<p>a much longer "
	  "html part than the text part</p>\n--b--\n",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\nthe same length as html\n--b\nContent-Type: text/html\n\n"
	  "<p>the same length</p>\n--b--\n" },
	{ "header T eval:check_msg_parse_flags('missing_head_body_separator')",
	  "Subject: s\nTo: a@b.example\n",
	  "Subject: s\n\nx\n" },
	{ "body T eval:check_msg_parse_flags('mime_epilogue_exists')",
	  "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n" PLAIN
	  "\nx\n--b--\nan epilogue\n",
	  "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n" PLAIN
	  "\nx\n--b--\n" },
	{ "body T eval:check_msg_parse_flags('missing_mime_head_body_"
	  "separator')",
	  "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n" PLAIN
	  "x\n--b--\n",
	  "Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\n" PLAIN
	  "\nx\n--b--\n" },
	{ "body T eval:check_base64_length('79')",
	  "Content-Type: application/octet-stream\n"
	  "Content-Transfer-Encoding: base64\n\n"
	  "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB"
	  "QUFBQUFBQUFBQUFB\n",
	  "Content-Type: application/octet-stream\n"
	  "Content-Transfer-Encoding: base64\n\nQUFB\n" },
	{ "body T eval:check_ma_non_text()",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\nx\n--b\nContent-Type: application/octet-stream\n\nx\n"
	  "--b--\n",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\nx\n--b\nContent-Type: text/html\n\n<p>x</p>\n--b--\n" },
	{ "body T eval:check_for_uppercase('75', '100')",
	  "Subject: s\n\nTHIS WHOLE MESSAGE IS WRITTEN IN CAPITAL LETTERS SO "
	  "THAT IT SHOUTS AT THE READER WHO HAS TO READ ALL OF IT, LINE AFTER "
	  "LINE, WORD AFTER WORD, UNTIL THE VERY END OF THE TEXT WHICH COMES "
	  "ONLY AFTER TWO HUNDRED CHARACTERS OR SO.\n",
	  "Subject: s\n\nThis whole message is written in small letters so "
	  "that it does not shout at the reader who has to read all of it, "
	  "line after line, word after word, until the very end of the text "
	  "which comes only after two hundred characters or so.\n" },
	/* BodyEval */
	{ "body T eval:multipart_alternative_difference('99', '100')",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\nhello there\n--b\nContent-Type: text/html\n\n"
	  "<p>buy cheap pills</p>\n--b--\n",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\nhello there\n--b\nContent-Type: text/html\n\n"
	  "<p>hello there</p>\n--b--\n" },
	{ "body T eval:multipart_alternative_difference_count('3', '1')",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\none two three four five six seven eight nine\n--b\n"
	  "Content-Type: text/html\n\n<p>one two</p>\n--b--\n",
	  "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n"
	  PLAIN "\none two\n--b\nContent-Type: text/html\n\n"
	  "<p>one two</p>\n--b--\n" },
	{ "body T eval:check_body_length('20')",
	  "Subject: s\n\nshort\n",
	  "Subject: s\n\na body much longer than twenty bytes\n" },
	{ "body T eval:check_blank_line_ratio('0', '50', '1')",
	  "Subject: s\n\na\nb\nc\n",
	  "Subject: s\n\na\n\n\n\n\n" },
	{ "body T eval:tvd_vertical_words('0', '10')",
	  "Subject: s\n\nabcdefghijklmnop\n",
	  "Subject: s\n\na b c d e f g h i j k\n" },
	{ "body T eval:plaintext_body_length('10', '20')",
	  PLAIN "\nfifteen bytes.\n",
	  PLAIN "\nfar more than twenty bytes of text\n" },
	{ "body T eval:plaintext_sig_length('10')",
	  PLAIN "\nhi\n-- \nAnn Example, Example Corp\n",
	  PLAIN "\nhi, no signature here at all\n" },
	{ "body T eval:plaintext_body_sig_ratio('0', '1')",
	  PLAIN "\nhi\n-- \nAnn Example, Example Corp\n",
	  PLAIN "\na long body, longer than its signature\n-- \nAnn\n" },
	{ "body T eval:check_stock_info('2')",
	  PLAIN "\nTicker: ABCD\nTarget price: 5\nSector: mining\n",
	  PLAIN "\nHello: there, nothing to see\n" },
	/* HTMLEval, the rules as in SpamAssassin's stock 20_html_tests.cf */
	{ "body T eval:html_test('html')",
	  HTML_HDR "<p>x</p>\n",
	  "Subject: s\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "<p>x</p>\n" },
	{ "body T eval:html_test('font_low_contrast')",
	  HTML_HDR "<font color=\"#fefefe\">hidden text</font>\n",
	  HTML_HDR "<font color=\"#000000\">seen text</font>\n" },
	{ "body T eval:html_test('font_invalid_color')",
	  HTML_HDR "<font color=\"fff\">x</font>\n",
	  HTML_HDR "<font color=\"#fff\">x</font>\n" },
	{ "body T eval:html_test('font_face_bad')",
	  HTML_HDR "<font face=\"123\">x</font>\n",
	  HTML_HDR "<font face=\"Arial, Helvetica\">x</font>\n" },
	{ "body T eval:html_test('form_action_mailto')",
	  HTML_HDR "<form action=\"mailto:a@example.com\"><input type=submit></for"
	  "m>\n",
	  HTML_HDR "<form action=\"http://example.com/\"><input type=submit></form"
	  ">\n" },
	{ "body T eval:html_test('embeds')",
	  HTML_HDR "<embed src=\"x.swf\">\n",
	  HTML_HDR "<img src=\"x.gif\">\n" },
	{ "body T eval:html_range('max_size', '6', 'inf')",
	  HTML_HDR "<font size=\"7\">big</font>\n",
	  HTML_HDR "<font size=\"6\">big</font>\n" },
	{ "body T eval:html_range('max_size', '5', '6')",
	  HTML_HDR "<font size=\"+3\">big</font>\n",
	  HTML_HDR "<font size=\"+4\">big</font>\n" },
	{ "body T eval:html_range('closed_extra_ratio', '0.09', 'inf')",
	  HTML_HDR "<p>x</p></b></i>\n",
	  HTML_HDR "<p><b>x</b></p>\n" },
	{ "body T eval:html_range('bad_tag_ratio','0.40','0.50')",
	  HTML_HDR "<foo>a<bar>b<p>c<b>d\n",
	  HTML_HDR "<foo>a<p>b<b>c<i>d\n" },
	{ "body T eval:html_range('non_element_ratio','0.30','0.40')",
	  HTML_HDR "<foo>a<p>b</p><b>c</b>\n",
	  HTML_HDR "<p>a</p><b>b</b>\n" },
	{ "body T eval:html_range('obfuscation_ratio','.5','.6')",
	  HTML_HDR "a<b>b</b>c<br> <i>d</i>e\n",
	  HTML_HDR "hello <b>world</b>\n" },
	{ "body T eval:html_range('length', '0', '1024')",
	  HTML_HDR "<p>short</p>\n",
	  HTML_HDR "<p>01234567890123456789012345678901234567890123456789012345678"
	  "90123456789012345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890123456789012"
	  "34567890123456789012345678901234567890123456789012345678901234"
	  "56789012345678901234567890123456789012345678901234567890123456"
	  "78901234567890123456789012345678901234567890123456789012345678"
	  "9012345678901234567890123456789</p><p>012345678901234567890123"
	  "45678901234567890123456789012345678901234567890123456789012345"
	  "67890123456789012345678901234567890123456789012345678901234567"
	  "89012345678901234567890123456789012345678901234567890123456789"
	  "01234567890123456789012345678901234567890123456789012345678901"
	  "23456789012345678901234567890123456789012345678901234567890123"
	  "45678901234567890123456789012345678901234567890123456789012345"
	  "6789</p><p>012345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890123456789012"
	  "34567890123456789012345678901234567890123456789012345678901234"
	  "56789012345678901234567890123456789012345678901234567890123456"
	  "78901234567890123456789012345678901234567890123456789012345678"
	  "90123456789012345678901234567890123456789012345678901234567890"
	  "123456789012345678901234567890123456789</p>\n" },
	{ "body T eval:html_eval('length', '< 384')",
	  HTML_HDR "<p>short</p>\n",
	  HTML_HDR "<p>01234567890123456789012345678901234567890123456789012345678"
	  "90123456789012345678901234567890123456789012345678901234567890"
	  "12345678901234567890123456789012345678901234567890123456789012"
	  "34567890123456789012345678901234567890123456789012345678901234"
	  "56789012345678901234567890123456789012345678901234567890123456"
	  "78901234567890123456789012345678901234567890123456789012345678"
	  "9012345678901234567890123456789</p>\n" },
	{ "body T eval:html_tag_balance('body', '!= 0')",
	  HTML_HDR "<html><body>x</html>\n",
	  HTML_HDR "<html><body>x</body></html>\n" },
	{ "body T eval:html_tag_balance('center', '!= 0')",
	  HTML_HDR "<center>x\n",
	  HTML_HDR "<center>x</center>\n" },
	{ "body T eval:html_tag_exists('bgsound')",
	  HTML_HDR "<bgsound src=\"x.wav\">x\n",
	  HTML_HDR "<p>x</p>\n" },
	{ "body T eval:html_tag_exists('meta')",
	  HTML_HDR "<head><meta name=\"a\" content=\"b\"></head>x\n",
	  HTML_HDR "<head><title>t</title></head>x\n" },
	{ "body T eval:html_image_only('0000','0400')",
	  HTML_HDR "<img src=\"x.gif\">\n",
	  HTML_HDR "<p>no image</p>\n" },
	{ "body T eval:html_image_only('0400','0800')",
	  HTML_HDR "<img src=\"x.gif\"><p>0123456789012345678901234567890123456789"
	  "01234567890123456789012345678901234567890123456789012345678901"
	  "23456789012345678901234567890123456789012345678901234567890123"
	  "45678901234567890123456789012345678901234567890123456789012345"
	  "67890123456789012345678901234567890123456789012345678901234567"
	  "89012345678901234567890123456789012345678901234567890123456789"
	  "01234567890123456789012345678901234567890123456789</p>\n",
	  HTML_HDR "<img src=\"x.gif\">\n" },
	{ "body T eval:html_image_ratio('0.000','0.002')",
	  HTML_HDR "<img src=\"x.gif\" width=\"100\" height=\"100\">ab\n",
	  HTML_HDR "<img src=\"x.gif\" width=\"10\" height=\"10\">abcdef\n" },
	{ "body T eval:html_text_match('comment', '<!-- saved from url=\\(\\d{4}\\)')",
	  HTML_HDR "<!-- saved from url=(0022)http://internet.e-mail -->x\n",
	  HTML_HDR "<!-- a comment -->x\n" },
	{ "body T eval:html_text_match('comment', '<!(?!-).{0,6}>')",
	  HTML_HDR "<!x>y\n",
	  HTML_HDR "<!-- x -->y\n" },
	{ "body T eval:html_text_match('anchor', '<img>')",
	  HTML_HDR "<a href=\"http://example.com/\"><img src=\"x.gif\"></a>\n",
	  HTML_HDR "<a href=\"http://example.com/\">text</a>\n" },
	{ "body T eval:html_text_match('title', '.{120}')",
	  HTML_HDR "<title>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxx</title>\n",
	  HTML_HDR "<title>xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xx</title>\n" },
	{ "body T eval:html_text_match('script', '(?i)DOCUMENT\\.WRITE')",
	  HTML_HDR "<script>document.write(\"x\")</script>\n",
	  HTML_HDR "<script>alert(\"x\")</script>\n" },
	{ "body T eval:html_text_not_match('anchor', 'click')",
	  HTML_HDR "<a href=\"http://a.example/\">click here</a><a href=\"http://b"
	  ".example/\">buy</a>\n",
	  HTML_HDR "<a href=\"http://a.example/\">click here</a>\n" },
	{ "body T eval:html_title_subject_ratio('3.5')",
	  "Subject: Hi\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<title>a very long title for a short subject</title>\n",
	  "Subject: Hi\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<title>Hi there</title>\n" },
	{ "body T eval:check_iframe_src()",
	  HTML_HDR "<iframe src=\"http://example.com/f\"></iframe>\n",
	  HTML_HDR "<iframe>x</iframe>\n" },
	/* SpamAssassin's results never carry the charsets: it never hits */
	{ "body T eval:html_charset_faraway()",
	  NULL,
	  "Subject: s\n"
	  "Content-Type: text/html; charset=\"koi8-r\"\n"
	  "\n"
	  "<html><head><meta http-equiv=\"Content-Type\" content=\"text/h"
	  "tml; charset=koi8-r\"></head><body>\360\322\311\327\305\324</b"
	  "ody></html>\n" },
	/* The regex is taken as it is (compile_regexp without stripping): no
	 * /delimiters/ or flags */
	{ "body T eval:html_text_match('script', '/document\\.write/')",
	  HTML_HDR "<script>var re = /document.write/;</script>\n",
	  HTML_HDR "<script>document.write(\"x\")</script>\n" },
	{ "body T eval:html_text_match('script', '/DOCUMENT\\.WRITE/i')",
	  NULL,
	  HTML_HDR "<script>document.write(\"x\")</script>\n" },
	/* The Subject as get() returns it, "ab\n": three characters */
	{ "body T eval:html_title_subject_ratio('2')",
	  "Subject: ab\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<title>abcdefg</title>\n",
	  "Subject: ab\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<title>abcdef</title>\n" },
	/* A base64 HTML part */
	{ "body T eval:html_test('font_low_contrast')",
	  "Subject: s\n"
	  "Content-Type: text/html\n"
	  "Content-Transfer-Encoding: base64\n"
	  "\n"
	  "PGZvbnQgY29sb3I9IiNmZmZmZmYiPmhpZGRlbiB0ZXh0PC9mb250Pg==\n",
	  "Subject: s\n"
	  "Content-Type: text/html\n"
	  "Content-Transfer-Encoding: base64\n"
	  "\n"
	  "PGZvbnQgY29sb3I9IiMwMDAwMDAiPnNlZW4gdGV4dDwvZm9udD4=\n" },
	/* ISO-8859-1: a character per byte, counted as characters */
	{ "body T eval:html_text_match('title', '^caf.$')",
	  "Subject: s\n"
	  "Content-Type: text/html; charset=iso-8859-1\n"
	  "\n"
	  "<title>caf\351</title>\n",
	  "Subject: s\n"
	  "Content-Type: text/html; charset=iso-8859-1\n"
	  "\n"
	  "<title>caf\351\351</title>\n" },
	{ "body T eval:html_title_subject_ratio('2')",
	  "Subject: ab\n"
	  "Content-Type: text/html; charset=iso-8859-1\n"
	  "\n"
	  "<title>\351\351\351\351\351\351\351</title>\n",
	  "Subject: ab\n"
	  "Content-Type: text/html; charset=iso-8859-1\n"
	  "\n"
	  "<title>\351\351\351\351\351\351</title>\n" },
	/* Two HTML parts, only the second hits */
	{ "body T eval:html_tag_exists('bgsound')",
	  "Subject: s\n"
	  "Content-Type: multipart/alternative; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<p>plain</p>\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<bgsound src=\"x.wav\">x\n"
	  "--b--\n",
	  "Subject: s\n"
	  "Content-Type: multipart/alternative; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<p>plain</p>\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<p>x</p>\n"
	  "--b--\n" },
	{ "body T eval:html_test('font_low_contrast')",
	  "Subject: s\n"
	  "Content-Type: multipart/alternative; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<p>x</p>\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<font color=\"#ffffff\">hidden</font>\n"
	  "--b--\n",
	  "Subject: s\n"
	  "Content-Type: multipart/alternative; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<p>x</p>\n"
	  "--b\n"
	  "Content-Type: text/html\n"
	  "\n"
	  "<p>y</p>\n"
	  "--b--\n" },
	/* An application/octet-stream attachment named *.html is HTML */
	{ "body T eval:html_test('embeds')",
	  "Subject: s\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "see the attachment\n"
	  "--b\n"
	  "Content-Type: application/octet-stream; name=\"x.html\"\n"
	  "Content-Disposition: attachment; filename=\"x.html\"\n"
	  "\n"
	  "<embed src=\"x.swf\">\n"
	  "--b--\n",
	  "Subject: s\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "see the attachment\n"
	  "--b\n"
	  "Content-Type: application/octet-stream; name=\"x.txt\"\n"
	  "Content-Disposition: attachment; filename=\"x.txt\"\n"
	  "\n"
	  "<embed src=\"x.swf\">\n"
	  "--b--\n" },
	{ "body T eval:html_test('html')",
	  "Subject: s\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "see the attachment\n"
	  "--b\n"
	  "Content-Type: application/octet-stream; name=\"x.html\"\n"
	  "Content-Disposition: attachment; filename=\"x.html\"\n"
	  "\n"
	  "<p>x</p>\n"
	  "--b--\n",
	  "Subject: s\n"
	  "Content-Type: multipart/mixed; boundary=\"b\"\n"
	  "\n"
	  "--b\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "see the attachment\n"
	  "--b\n"
	  "Content-Type: application/octet-stream; name=\"x.bin\"\n"
	  "Content-Disposition: attachment; filename=\"x.bin\"\n"
	  "\n"
	  "<p>x</p>\n"
	  "--b--\n" },
};

START_TEST(test_eval_case)
{
	struct diag d;
	struct ruleset *rs;
	char *text = xasprintf("%s\nscore T 1\n", cases[_i].rule);

	rs = load_cf(text, &d);
	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert_msg(g_hash_table_lookup(rs->byname, "T") != NULL,
	    "%s: not defined", cases[_i].rule);
	/* No hit message: the test never hits with Warden's settings
	 * (ok_locales "all"), as in SpamAssassin's defaults. */
	if (cases[_i].hit != NULL)
		ck_assert_msg(hits(rs, cases[_i].hit, "T"), "%s: no hit",
		    cases[_i].rule);
	ck_assert_msg(!hits(rs, cases[_i].miss, "T"), "%s: hit",
	    cases[_i].rule);
	rules_free(rs);
	diag_free(&d);
	free(text);
}
END_TEST

/* ---- FreeMail ---- */

static const char freemail_rules[] =
    "header FM_FROM eval:check_freemail_from()\n"
    "header FM_EF_DIGIT eval:check_freemail_header('EnvelopeFrom', '\\d@')\n"
    "header FM_REPLYTO eval:check_freemail_replyto('replyto')\n"
    "header FM_REPLY eval:check_freemail_replyto('reply')\n"
    "header FM_BODY eval:check_freemail_body()\n"
    "freemail_domains gmail.com yahoo.* aol.co*.*\n"
    "freemail_domains bad/domain\n"
    "freemail_welcomelist vip@gmail.com\n";

START_TEST(test_freemail)
{
	struct diag d;
	struct ruleset *rs = load_cf(freemail_rules, &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(unit_list_has(&d.warnings, "freemail_domains: invalid"));
	/* An exact domain, wildcards, the welcomelist. */
	ck_assert(hits(rs, "From: a@gmail.com\n\nx\n", "FM_FROM"));
	ck_assert(hits(rs, "From: a@yahoo.fr\n\nx\n", "FM_FROM"));
	ck_assert(hits(rs, "From: a@aol.co.uk\n\nx\n", "FM_FROM"));
	ck_assert(!hits(rs, "From: a@yahoo.mail.fr\n\nx\n", "FM_FROM"));
	ck_assert(!hits(rs, "From: a@example.com\n\nx\n", "FM_FROM"));
	ck_assert(!hits(rs, "From: vip@gmail.com\n\nx\n", "FM_FROM"));
	/* Default welcomelist: role accounts. */
	ck_assert(!hits(rs, "From: support@gmail.com\n\nx\n", "FM_FROM"));
	ck_assert(hits(rs, "Return-Path: <bob7@gmail.com>\n\nx\n",
	    "FM_EF_DIGIT"));
	ck_assert(!hits(rs, "Return-Path: <bob@gmail.com>\n\nx\n",
	    "FM_EF_DIGIT"));
	ck_assert(!hits(rs, "Return-Path: <bob7@example.com>\n\nx\n",
	    "FM_EF_DIGIT"));
	ck_assert(hits(rs, "From: a@gmail.com\nReply-To: b@yahoo.de\n\nx\n",
	    "FM_REPLYTO"));
	ck_assert(!hits(rs, "From: a@gmail.com\nReply-To: a@gmail.com\n\nx\n",
	    "FM_REPLYTO"));
	/* 'reply': a different freemail address in the body. */
	ck_assert(hits(rs, "From: a@gmail.com\nContent-Type: text/plain\n\n"
	    "write to other@yahoo.com now\n", "FM_REPLY"));
	ck_assert(!hits(rs, "From: a@gmail.com\nContent-Type: text/plain\n\n"
	    "write to a@gmail.com now\n", "FM_REPLY"));
	ck_assert(hits(rs, "Content-Type: text/plain\n\nmail me at "
	    "x@gmail.com\n", "FM_BODY"));
	ck_assert(!hits(rs, "Content-Type: text/plain\n\nmail me at "
	    "x@example.com\n", "FM_BODY"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- The parser ---- */

START_TEST(test_define)
{
	struct diag d;
	struct ruleset *rs = load_cf(
	    "header IMPL eval:check_for_missing_to_header()\n"
	    "score IMPL 2.5\n"
	    "describe IMPL no To\n"
	    "header UNKNOWN eval:check_something_warden_lacks()\n"
	    "header BADARGS eval:check_for_shifted_date('1')\n"
	    "header NOTCALL eval:check_for_shifted_date('1', \n"
	    "uri WRONGKIND eval:check_for_uppercase('1', '2')\n"
	    "header REPL eval:check_for_missing_to_header()\n"
	    "header REPL eval:check_something_warden_lacks()\n"
	    "header NET rbleval:check_rbl('x', 'y.')\n"
	    "meta M IMPL && !UNKNOWN\n"
	    "score M 1\n", &d);
	struct rule *r;

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	r = g_hash_table_lookup(rs->byname, "IMPL");
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(r->eval);
	ck_assert(r->score == 2.5);
	ck_assert_str_eq(r->describe, "no To");
	ck_assert_ptr_null(g_hash_table_lookup(rs->byname, "UNKNOWN"));
	ck_assert_ptr_null(g_hash_table_lookup(rs->byname, "BADARGS"));
	ck_assert_ptr_null(g_hash_table_lookup(rs->byname, "NOTCALL"));
	ck_assert_ptr_null(g_hash_table_lookup(rs->byname, "WRONGKIND"));
	/* A later definition Warden lacks replaces the earlier one. */
	ck_assert_ptr_null(g_hash_table_lookup(rs->byname, "REPL"));
	ck_assert_uint_eq(rs->neval, 1);
	ck_assert(hits(rs, "Subject: s\n\nx\n", "IMPL"));
	ck_assert(hits(rs, "Subject: s\n\nx\n", "M"));
	ck_assert(!hits(rs, "To: a@b.example\n\nx\n", "M"));
	rules_summary(rs, &d);
	ck_assert(unit_list_has(&d.notes, "skipped 5 eval: rules"));
	ck_assert(unit_list_has(&d.notes, "skipped 1 network tests"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* A present plugin's block is loaded, its tests run; an absent one's
 * block is skipped. */
START_TEST(test_plugin_block)
{
	struct diag d;
	struct ruleset *rs = load_cf(
	    "ifplugin Mail::SpamAssassin::Plugin::HeaderEval\n"
	    "  header MISSING_HEADERS eval:check_for_missing_to_header()\n"
	    "endif\n"
	    "ifplugin Mail::SpamAssassin::Plugin::HTMLEval\n"
	    "  body HTML_MESSAGE eval:html_test('html')\n"
	    "endif\n"
	    "ifplugin Mail::SpamAssassin::Plugin::WardenLacksThis\n"
	    "  body ABSENT eval:check_for_missing_to_header()\n"
	    "endif\n"
	    "score MISSING_HEADERS 0.915\n"
	    "score HTML_MESSAGE 0.001\n", &d);

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	ck_assert(hits(rs, "Subject: s\n\nx\n", "MISSING_HEADERS"));
	ck_assert_ptr_nonnull(g_hash_table_lookup(rs->byname, "HTML_MESSAGE"));
	ck_assert(hits(rs, HTML_HDR "<p>x</p>\n", "HTML_MESSAGE"));
	ck_assert(!hits(rs, "Subject: s\n\nx\n", "HTML_MESSAGE"));
	ck_assert_ptr_null(g_hash_table_lookup(rs->byname, "ABSENT"));
	rules_summary(rs, &d);
	ck_assert(unit_list_has(&d.notes, "skipped 1 if/ifplugin blocks"));
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* Hostile input: deep and broken MIME, huge headers, no crash. */
START_TEST(test_hostile)
{
	struct diag d;
	struct ruleset *rs = load_cf(
	    "body A eval:check_for_mime_html_only()\n"
	    "body B eval:multipart_alternative_difference('0', '100')\n"
	    "body C eval:check_msg_parse_flags('mime_epilogue_exists')\n"
	    "header D eval:check_for_shifted_date('undef', 'undef')\n"
	    "header E eval:similar_recipients('0', 'undef')\n", &d);
	struct buf m;

	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	buf_init(&m, 0);
	buf_puts(&m, "Date: 99 Foo 99999 99:99:99 +9999\nTo: ");
	for (int i = 0; i < 2000; i++)
		buf_printf(&m, "u%d@h%d.example, ", i, i);
	buf_puts(&m, "\n");
	for (int i = 0; i < 300; i++)
		buf_printf(&m, "Content-Type: multipart/alternative; "
		    "boundary=\"b%d\"\n\n--b%d\n", i, i);
	buf_puts(&m, "Content-Transfer-Encoding: base64\n\n!!!!\n");
	(void)hits(rs, m.p, "A");
	(void)hits(rs, "", "A");
	(void)hits(rs, "\n\n\n", "A");
	(void)hits(rs, "Content-Type: multipart/mixed; boundary=\n\n--\n--\n",
	    "A");
	buf_free(&m);
	rules_free(rs);
	diag_free(&d);
}
END_TEST

/* ---- PCRE2 limits: the configured ones, recorded in the results ---- */

/* Rules from text under a config from conf; the caller frees both. */
static struct ruleset *
load_with(const char *conf, const char *text, struct config **c)
{
	struct diag d;
	struct ruleset *rs;

	*c = unit_rules_config(conf);
	diag_init(&d);
	rs = rules_load_text(*c, "t.cf", text, &d);
	ck_assert_msg(rs != NULL, "%s", d.errors.n ? d.errors.v[0] : "");
	diag_free(&d);
	return rs;
}

/*
 * A rule's own regex over hostile HTML (html_text_match): '^(a+)+$'
 * against 30 a's and a b backtracks 2^30 times.  The configured limit
 * stops it, and the results say so.
 */
START_TEST(test_limit_html_text_match)
{
	struct config *c;
	struct ruleset *rs = load_with("pcre2_match_limit = 5000\n",
	    "body T eval:html_text_match('title', '^(a+)+$')\nscore T 1\n"
	    "body N eval:html_text_not_match('title', '^(a+)+$')\n"
	    "score N 1\n", &c);
	struct results res;

	results_init(&res);
	unit_eom_run(rs, c, HTML_HDR "<title>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"
	    "</title>\n", NULL, &res);
	ck_assert_msg(unit_pcre2_limit(&res), "limit: %s",
	    res.limit ? res.limit : "none");
	/* A limit counts as no match, as for any rule regex. */
	ck_assert(!results_has_hit(&res, "T"));
	ck_assert(results_has_hit(&res, "N"));
	results_free(&res);
	rules_free(rs);
	config_free(c);
}
END_TEST

/*
 * A built-in regex of an eval: test (check_for_forged_juno_received_
 * headers): "from.*juno.com.*[IP].*by" over a Received header with 40
 * such hops and no "by" after them takes some 20000 steps with JIT, far
 * more without; the configured 5000 stops it and the results say so.
 */
START_TEST(test_limit_builtin)
{
	struct config *c;
	struct ruleset *rs = load_with("pcre2_match_limit = 5000\n",
	    "header T eval:check_for_forged_juno_received_headers()\n"
	    "score T 1\n", &c);
	struct results res;
	struct buf m;

	buf_init(&m, 0);
	buf_puts(&m, "Received: from by");
	for (int i = 0; i < 40; i++)
		buf_puts(&m, " x.juno.com [192.0.2.1]");
	buf_puts(&m, "\nFrom: a@juno.com\nX-Originating-IP: 192.0.2.1\n"
	    "Subject: s\n\nx\n");
	results_init(&res);
	unit_eom_run(rs, c, m.p, NULL, &res);
	ck_assert_msg(unit_pcre2_limit(&res), "limit: %s",
	    res.limit ? res.limit : "none");
	results_free(&res);
	buf_free(&m);
	rules_free(rs);
	config_free(c);
}
END_TEST

/*
 * The HTML analysis's font face check runs under the configured limit:
 * a face of 3000 "a " and a "!" takes some 12000 steps to refuse.  It is
 * bad either way; the results say the limit was reached.
 */
START_TEST(test_limit_font_face)
{
	struct config *c;
	struct ruleset *rs = load_with("pcre2_match_limit = 5000\n",
	    "body T eval:html_test('font_face_bad')\nscore T 1\n", &c);
	struct results res;
	struct buf m;

	buf_init(&m, 0);
	buf_puts(&m, HTML_HDR "<font face=\"");
	for (int i = 0; i < 3000; i++)
		buf_puts(&m, "a ");
	buf_puts(&m, "!\">x</font>\n");
	results_init(&res);
	unit_eom_run(rs, c, m.p, NULL, &res);
	ck_assert(results_has_hit(&res, "T"));
	ck_assert_msg(unit_pcre2_limit(&res), "limit: %s",
	    res.limit ? res.limit : "none");
	results_free(&res);
	buf_free(&m);
	rules_free(rs);
	config_free(c);
}
END_TEST

/*
 * FreeMail's regex argument runs under the configured limit, not a
 * fixed one: '^(?:(a+)+z|a)' against 14 a's needs some 40000 steps
 * before its second branch matches, against 20 a's some 2.6 million.
 */
START_TEST(test_limit_freemail)
{
	static const char rules[] =
	    "header T eval:check_freemail_header('From', '^(?:(a+)+z|a)')\n"
	    "score T 1\n"
	    "freemail_domains gmail.com\n";
	struct config *c;
	struct ruleset *rs = load_with("pcre2_match_limit = 5000\n", rules,
	    &c);
	struct results res;

	results_init(&res);
	unit_eom_run(rs, c, "From: aaaaaaaaaaaaaa@gmail.com\n\nx\n", NULL,
	    &res);
	ck_assert(!results_has_hit(&res, "T"));
	ck_assert_msg(unit_pcre2_limit(&res), "limit: %s",
	    res.limit ? res.limit : "none");
	results_free(&res);
	rules_free(rs);
	config_free(c);

	rs = load_with("pcre2_match_limit = 10000000\n", rules, &c);
	results_init(&res);
	unit_eom_run(rs, c, "From: aaaaaaaaaaaaaaaaaaaa@gmail.com\n\nx\n",
	    NULL, &res);
	ck_assert(results_has_hit(&res, "T"));
	ck_assert_ptr_null(res.limit);
	results_free(&res);
	rules_free(rs);
	config_free(c);
}
END_TEST

/*
 * One MIME tree per message, read by every rule kind and every eval:
 * test: a message carried in a message/rfc822 part is split into its
 * parts for all of them alike, as SpamAssassin splits it.
 */
START_TEST(test_one_tree)
{
	static const char rules[] =
	    "body B /inner words/\n"
	    "rawbody RB /<p>inner words/\n"
	    "body NB /<p>/\n"
	    "uri U /inner\\.example/\n"
	    "mimeheader MH Content-Type =~ /text\\/html/\n"
	    "filename F /^inner\\.zip$/\n"
	    "body M64 eval:check_for_mime('mime_base64_count')\n"
	    "body HT eval:html_test('html')\n"
	    "body E eval:check_msg_parse_flags('mime_epilogue_exists')\n";
	struct config *c;
	struct ruleset *rs = load_with("", rules, &c);
	struct results res;
	unsigned long before;

	before = mtree_parses();
	results_init(&res);
	/* "inner words" is base64 in the attached message's HTML part:
	 * "<p>inner words http://inner.example/</p>" */
	unit_eom_run(rs, c, "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=o\n\n--o\n"
	    "Content-Type: text/plain\n\nouter\n--o\n"
	    "Content-Type: message/rfc822\n\n"
	    "Subject: inner\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=i\n\n--i\n"
	    "Content-Type: text/html\nContent-Transfer-Encoding: base64\n\n"
	    "PHA+aW5uZXIgd29yZHMgaHR0cDovL2lubmVyLmV4YW1wbGUvPC9wPg==\n--i\n"
	    "Content-Type: application/zip; name=\"inner.zip\"\n\nPK\n"
	    "--i--\nmore after the end\n--o--\n",
	    NULL, &res);
	ck_assert(results_has_hit(&res, "B"));
	ck_assert(results_has_hit(&res, "RB"));	/* the source, decoded */
	ck_assert(!results_has_hit(&res, "NB"));	/* rendered */
	ck_assert(results_has_hit(&res, "U"));
	ck_assert(results_has_hit(&res, "MH"));
	ck_assert(results_has_hit(&res, "F"));
	ck_assert(results_has_hit(&res, "M64"));
	ck_assert(results_has_hit(&res, "HT"));
	ck_assert(results_has_hit(&res, "E"));
	ck_assert_uint_eq(mtree_parses() - before, 1);
	results_free(&res);
	rules_free(rs);
	config_free(c);
}
END_TEST

/*
 * One analysis per HTML part per message: the body rules' rendering and
 * the HTML tests share it.  A part the MIME walk and SpamAssassin's
 * splitter see differently is analysed apart, never confused.
 */
START_TEST(test_html_once)
{
	static const char rules[] =
	    "body B /I \xe2\x99\xa5 it/\n"	/* I &hearts; it, UTF-8 */
	    "body T eval:html_test('html')\n"
	    "body R eval:html_range('max_size', 5, 99)\n";
	struct config *c;
	struct ruleset *rs = load_with("", rules, &c);
	struct results res;
	unsigned long before;

	before = html_analyses();
	results_init(&res);
	unit_eom_run(rs, c, "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
	    "Content-Type: text/html\n\n<p>I &hearts; it</p>\n--b\n"
	    "Content-Type: text/html\n\n<font size=7>big</font>\n--b--\n",
	    NULL, &res);
	ck_assert(results_has_hit(&res, "B"));
	ck_assert(results_has_hit(&res, "T"));
	ck_assert(results_has_hit(&res, "R"));
	ck_assert_uint_eq(html_analyses() - before, 2);
	results_free(&res);

	/* A .html attachment is HTML to SpamAssassin, not to the walk:
	 * the HTML tests analyse it themselves. */
	before = html_analyses();
	results_init(&res);
	unit_eom_run(rs, c, "Subject: s\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: text/plain\n\nplain\n--b\n"
	    "Content-Type: application/octet-stream; name=\"a.html\"\n\n"
	    "<font size=7>big</font>\n--b--\n", NULL, &res);
	ck_assert(results_has_hit(&res, "R"));
	ck_assert_uint_eq(html_analyses() - before, 1);
	results_free(&res);
	rules_free(rs);
	config_free(c);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rules_eval");
	TCase *tc = tcase_create("eval");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_eval_case, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_freemail);
	tcase_add_test(tc, test_define);
	tcase_add_test(tc, test_plugin_block);
	tcase_add_test(tc, test_hostile);
	tcase_add_test(tc, test_limit_html_text_match);
	tcase_add_test(tc, test_limit_builtin);
	tcase_add_test(tc, test_limit_font_face);
	tcase_add_test(tc, test_limit_freemail);
	tcase_add_test(tc, test_html_once);
	tcase_add_test(tc, test_one_tree);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
