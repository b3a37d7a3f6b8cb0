#!/usr/bin/env python3
"""sink.py -- a tiny SMTP server that stores every message it is given.

usage: sink.py PORT DIR [BANNER]

Listens on 127.0.0.1:PORT and answers any SMTP client (Postfix's smtp
client in the end-to-end tests) with success.  Each message accepted at
the end of DATA is written to DIR/NNNNNN.eml (the DATA bytes, dot-unstuffed,
CRLF kept) with its envelope in DIR/NNNNNN.env ("from ADDR" and "rcpt ADDR"
lines).  The .env file is written first and the .eml file appears by
rename(), so a reader never sees half a message.  Standard library only,
socket level (no smtpd/aiosmtpd, which Python 3.12 no longer ships).
"""
import os
import socket
import socketserver
import sys
import threading

PORT = int(sys.argv[1])
DIR = sys.argv[2]
BANNER = sys.argv[3] if len(sys.argv) > 3 else ''
counter = 0
counter_lock = threading.Lock()


def next_name():
    global counter
    with counter_lock:
        counter += 1
        return os.path.join(DIR, '%06d' % counter)


class Handler(socketserver.StreamRequestHandler):
    timeout = 120

    def reply(self, line):
        self.wfile.write(line.encode('ascii') + b'\r\n')
        self.wfile.flush()

    def handle(self):
        self.reply('220 sink.e2e.test ESMTP e2e sink %s' % BANNER)
        mail_from, rcpts = None, []
        while True:
            line = self.rfile.readline(65536)
            if not line:
                return
            cmd = line.decode('latin-1').rstrip('\r\n')
            verb = cmd[:4].upper()
            if verb in ('EHLO', 'HELO'):
                if verb == 'EHLO':
                    self.wfile.write(b'250-sink.e2e.test\r\n250-8BITMIME\r\n'
                                     b'250-PIPELINING\r\n250 SIZE 104857600\r\n')
                    self.wfile.flush()
                else:
                    self.reply('250 sink.e2e.test')
            elif verb == 'MAIL':
                mail_from, rcpts = cmd[10:].strip(), []
                self.reply('250 2.1.0 Ok')
            elif verb == 'RCPT':
                rcpts.append(cmd[8:].strip())
                self.reply('250 2.1.5 Ok')
            elif verb == 'DATA':
                if mail_from is None or not rcpts:
                    self.reply('503 5.5.1 need MAIL and RCPT')
                    continue
                self.reply('354 End data with <CR><LF>.<CR><LF>')
                data = []
                while True:
                    l = self.rfile.readline(1 << 20)
                    if not l:
                        return
                    if l in (b'.\r\n', b'.\n'):
                        break
                    if l.startswith(b'.'):
                        l = l[1:]
                    data.append(l)
                base = next_name()
                with open(base + '.env', 'w') as f:
                    f.write('from %s\n' % mail_from)
                    for r in rcpts:
                        f.write('rcpt %s\n' % r)
                with open(base + '.tmp', 'wb') as f:
                    f.write(b''.join(data))
                os.rename(base + '.tmp', base + '.eml')
                self.reply('250 2.0.0 Ok: stored as %s' %
                           os.path.basename(base))
                mail_from, rcpts = None, []
            elif verb == 'RSET':
                mail_from, rcpts = None, []
                self.reply('250 2.0.0 Ok')
            elif verb == 'NOOP':
                self.reply('250 2.0.0 Ok')
            elif verb == 'QUIT':
                self.reply('221 2.0.0 Bye')
                return
            else:
                self.reply('502 5.5.2 command not implemented')


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    os.makedirs(DIR, exist_ok=True)
    srv = Server(('127.0.0.1', PORT), Handler)
    srv.serve_forever()


if __name__ == '__main__':
    main()
