"""Console e-mail for development: Django's console backend prints the
RFC 2047-encoded headers (Subject: =?utf-8?b?...?=), unreadable for Russian
text; this one prints the subject and recipients decoded first."""

from django.core.mail.backends.console import EmailBackend


class ConsoleEmailBackend(EmailBackend):
    def write_message(self, message):
        self.stream.write(f"To: {', '.join(message.recipients())}\nSubject: {message.subject}\n")
        super().write_message(message)
