"""A real SMTP server for Masthead's mail tests, in its own process.

Built on aiosmtpd. Every message it accepts is written to a maildir
(`DIR/new/`). It can misbehave on purpose:

  --tempfail N      answer "451 try again later" to the first N recipients
  --reject ADDRESS  answer "550 no such user" to this recipient, always

Usage: python3 relay.py --port PORT --maildir DIR [--tempfail N] [--reject ADDRESS]...
"""

import argparse
import mailbox
import signal
import threading

from aiosmtpd.controller import Controller


class Relay:
    def __init__(self, maildir, tempfail, rejected):
        self.box = mailbox.Maildir(maildir, create=True)
        self.tempfail_left = tempfail
        self.rejected = {a.lower() for a in rejected}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if self.tempfail_left > 0:
                self.tempfail_left -= 1
                return "451 4.3.0 Try again later"
        if address.lower() in self.rejected:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.box.add(envelope.original_content)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--tempfail", type=int, default=0)
    parser.add_argument("--reject", action="append", default=[])
    args = parser.parse_args()
    controller = Controller(
        Relay(args.maildir, args.tempfail, args.reject),
        hostname="127.0.0.1",
        port=args.port,
    )
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
