"""A real SMTP server on loopback for tests that send e-mail end to end.

Import the fixture into a test module (`from tests.smtp import smtp_server_fixture`)
and ask for `smtp_server`: Django's SMTP backend then talks to an aiosmtpd
server on 127.0.0.1, and `smtp_server.messages` holds what it received.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""


@dataclass
class RecordingHandler:
    """aiosmtpd handler that keeps every message it accepts."""

    messages: list[ReceivedMail] = field(default_factory=list)
    delay: float = 0.0  # seconds to spend on each message, to make a batch take a while
    port: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(
                ReceivedMail(mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), message=message)
            )
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(settings):
    """Start an SMTP server on a free loopback port and send Django's mail to it."""
    port = _free_port()
    handler = RecordingHandler(port=port)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()
