#!/usr/bin/env python3
"""gen_mail.py DIR -- generated mail for the statistical filter's tests.

Writes, under DIR: spam/ (250 files), ham.mbox (150 messages), Maildir/
(100 messages in new/, and one spam half-written in tmp/ that must never
be learned), new-spam.eml, new-ham.eml (unseen, with the vocabulary of
their class), unknown.eml (words never learned), and bayes.cf
(SpamAssassin's BAYES_* rules as its 23_bayes.cf writes them).  Spam and
ham have their own vocabularies and share common words; every message
is different; the same DIR contents come out on every run (fixed seed).
"""
import mailbox
import os
import random
import sys

t = sys.argv[1]
r = random.Random(7)
spam_w = ("viagra lottery winner claim prize casino bonus pills pharmacy "
          "discount offer limited urgent million dollars wire transfer "
          "unclaimed inheritance crypto investment guaranteed profit").split()
ham_w = ("meeting agenda minutes project schedule review patch release "
         "kernel compile module documentation thanks regards tomorrow "
         "lunch report budget draft attached notes").split()
both = "the and for you with this that have from your will".split()


def msg(words, n, frm, subj):
    body = " ".join(r.choice(words + both) for _ in range(n))
    return ("From: %s\nTo: someone@site.example\nSubject: %s %d\n"
            "Message-ID: <%d.%d@gen.example>\n\n%s\n" %
            (frm, subj, r.randint(0, 10**9), r.randint(0, 10**9),
             r.randint(0, 10**9), body))


SPAM = ("Deals <win@prize.example>", "You won")
HAM = ("Colleague <bob@work.example>", "Project")
os.makedirs(t + "/spam")
for i in range(250):
    with open("%s/spam/%03d.eml" % (t, i), "w") as f:
        f.write(msg(spam_w, 60, *SPAM))
mb = mailbox.mbox(t + "/ham.mbox")
for i in range(150):
    mb.add(msg(ham_w, 60, *HAM))
mb.close()
md = mailbox.Maildir(t + "/Maildir", create=True)
for i in range(100):
    md.add(msg(ham_w, 60, *HAM))
with open(t + "/Maildir/tmp/half-written", "w") as f:
    f.write(msg(spam_w, 60, "x <x@x.example>", "tmp"))
with open(t + "/new-spam.eml", "w") as f:
    f.write(msg(spam_w, 60, *SPAM))
with open(t + "/new-ham.eml", "w") as f:
    f.write(msg(ham_w, 60, *HAM))
with open(t + "/unknown.eml", "w") as f:
    f.write("From: a@b.example\nSubject: zqx\n\nqwzx vbnm plok yurt snib\n")
with open(t + "/bayes.cf", "w") as f:
    f.write("""ifplugin Mail::SpamAssassin::Plugin::Bayes
body BAYES_00  eval:check_bayes('0.00', '0.01')
body BAYES_50  eval:check_bayes('0.40', '0.60')
body BAYES_99  eval:check_bayes('0.99', '1.00')
score BAYES_00 0 0 -1.9 -1.9
score BAYES_50 0 0 2.0 0.8
score BAYES_99 0 0 3.5 3.5
tflags BAYES_00 nice learn
tflags BAYES_50 learn
tflags BAYES_99 learn
endif
""")
