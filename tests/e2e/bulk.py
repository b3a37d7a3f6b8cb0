#!/usr/bin/env python3
"""bulk.py -- send many messages to an SMTP server, one session each.

usage: bulk.py PORT COUNT THREADS TAG OUTFILE

Message i (0..COUNT-1) has the Subject "e2e-reload TAG-i" and goes from
sender@origin.example to rcpt@dest.example.  One line per message is
appended to OUTFILE as it finishes:

    i start end code text

start/end are time.time() at the start of the SMTP session and after the
reply to the end of DATA; code is that reply's code (or 0 and the
exception when the session failed).  Standard library only.
"""
import queue
import smtplib
import sys
import threading
import time

PORT, COUNT, THREADS = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
TAG, OUT = sys.argv[4], sys.argv[5]
out_lock = threading.Lock()
work = queue.Queue()
for i in range(COUNT):
    work.put(i)


def message(i):
    return ('From: Sender <sender@origin.example>\r\n'
            'To: Rcpt <rcpt@dest.example>\r\n'
            'Subject: e2e-reload %s-%d\r\n'
            'Date: %s\r\n'
            'Message-ID: <e2e-reload-%s-%d@origin.example>\r\n'
            '\r\n'
            'Message %d of the reload test.\r\n'
            % (TAG, i, time.strftime('%a, %d %b %Y %H:%M:%S +0000',
                                     time.gmtime()), TAG, i, i))


def send(i):
    start = time.time()
    try:
        s = smtplib.SMTP('127.0.0.1', PORT, 'client.e2e.test', timeout=60)
        try:
            s.ehlo()
            code, text = s.mail('sender@origin.example')
            if code == 250:
                code, text = s.rcpt('rcpt@dest.example')
            if code == 250:
                code, text = s.data(message(i))
        finally:
            try:
                s.quit()
            except Exception:
                pass
        text = text.decode('utf-8', 'replace')
    except Exception as e:
        code, text = 0, '%s: %s' % (type(e).__name__, e)
    end = time.time()
    with out_lock, open(OUT, 'a') as f:
        f.write('%d %.6f %.6f %d %s\n' % (i, start, end, code,
                                          ' '.join(text.split())))


def worker():
    while True:
        try:
            i = work.get_nowait()
        except queue.Empty:
            return
        send(i)


threads = [threading.Thread(target=worker) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
