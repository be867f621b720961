"""An SMTP server for the tests (aiosmtpd): appends one JSON line per message received, with
its envelope and its text, to a file.

Usage: python3 smtp_server.py PORT OUTPUT
"""
import asyncio
import json
import sys
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

port, output = int(sys.argv[1]), sys.argv[2]


class Handler:
    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        line = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "header_to": str(message["to"]),
            "body": message.get_body(("plain",)).get_content(),
        }
        with open(output, "a") as file:
            file.write(json.dumps(line) + "\n")
        return "250 OK"


controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print("listening", flush=True)
asyncio.get_event_loop().run_forever()
