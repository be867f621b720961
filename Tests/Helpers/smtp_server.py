"""An SMTP server for the tests (aiosmtpd): appends one JSON line per message received, with
its envelope, its text, the user who signed in and whether the connection was encrypted.

Usage: python3 smtp_server.py PORT OUTPUT [CERT KEY USER PASSWORD]
With a certificate, STARTTLS is required and so is sign-in (only over TLS) as USER/PASSWORD.
"""
import asyncio
import json
import ssl
import sys
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

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
            "user": session.auth_data.decode() if isinstance(session.auth_data, bytes) else None,
            "tls": bool(session.ssl),
        }
        with open(output, "a") as file:
            file.write(json.dumps(line) + "\n")
        return "250 OK"


options = {}
if len(sys.argv) > 3:
    cert, key, user, password = sys.argv[3:7]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def authenticate(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
        return AuthResult(success=ok, auth_data=data.login if ok else None)

    options = dict(tls_context=context, require_starttls=True, authenticator=authenticate, auth_require_tls=True)

controller = Controller(Handler(), hostname="127.0.0.1", port=port, **options)
controller.start()
print("listening", flush=True)
asyncio.get_event_loop().run_forever()
