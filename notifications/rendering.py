"""A notification's words: rendered from its template and parameters when
it is shown or sent, never stored.

On a page or in the API it is rendered in the active language and zone (the
viewer's); an e-mail or a chat message in its recipient's. E-mails are
multipart: the text part from the template (the `text` engine escapes
nothing), the HTML part from the school's e-mail layout around it.

A link that carries a secret (an address confirmation, a password reset)
is made at the moment of sending and exists nowhere else: shown on a page,
such a message has no link.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts import verification
from accounts.models import User
from notifications import params, preferences

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Content:
    subject: str
    body: str
    link: str  # a path on the site ("" for none)

    @property
    def url(self) -> str:
        return f"{settings.SITE_URL}{self.link}" if self.link else ""


def _verify_link(user: User, values: dict) -> str:
    return reverse("accounts:verify-email", args=[verification.token_make(user, values["email"])])


def _reset_link(user: User, values: dict) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("accounts:password-reset-confirm", args=[uid, default_token_generator.make_token(user)])


SECRET_LINKS: dict[str, Callable[[User, dict], str]] = {"verify_email": _verify_link, "password_reset": _reset_link}


@contextmanager
def recipient_locale(user: User):
    """The recipient's language and zone, for what is sent to them."""
    with translation.override(user.language), timezone.override(ZoneInfo(user.timezone)):
        yield


def render(template: str, values: dict, *, recipient: User, link: str = "", secrets: bool = False) -> Content:
    """Subject, text and link of a message, in the active language and zone."""
    if template in SECRET_LINKS:
        link = SECRET_LINKS[template](recipient, values) if secrets else ""
    text = render_to_string(
        f"notifications/{template}.txt",
        {
            **values,
            "recipient": recipient,
            "tz_name": timezone.get_current_timezone_name(),
            "refund_window_hours": settings.BOOKING_REFUND_WINDOW_HOURS,
            "link": f"{settings.SITE_URL}{link}" if link else "",
        },
        using="text",  # plain text: nothing HTML-escaped
    ).strip()
    subject, _, body = text.partition("\n")
    return Content(subject.strip()[:255], body.strip(), link)


def content(notification, *, secrets: bool = False) -> Content:
    """A stored notification's words in the active language and zone. One
    stored before notifications kept their parameters has its own text."""
    if not notification.template:
        return Content(notification.subject, notification.body, notification.link)
    try:
        return render(
            notification.template,
            params.decode(notification.params),
            recipient=notification.recipient,
            link=notification.link,
            secrets=secrets,
        )
    except Exception:  # a template changed under an old row: show what was stored, never fail the page
        logger.exception("notification %s could not be rendered", notification.pk)
        return Content(notification.subject, notification.body, notification.link)


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str
    unsubscribe_url: str  # "" for an essential message


def email(notification) -> Email:
    """A notification as its e-mail: in the recipient's language and zone,
    secret link included, text and HTML, and an unsubscribe link unless it is
    essential."""
    recipient = notification.recipient
    with recipient_locale(recipient):
        words = (
            render(
                notification.template,
                params.decode(notification.params),
                recipient=recipient,
                link=notification.link,
                secrets=True,
            )
            if notification.template
            else content(notification)
        )
        kind = preferences.kind_of(notification.event_type)
        unsubscribe = ""
        if kind is not None:
            token = preferences.unsubscribe_token(recipient, kind)
            unsubscribe = settings.SITE_URL + reverse("notifications:unsubscribe", args=[token])
        text = words.body + (f"\n\n{words.url}" if words.url else "")
        if unsubscribe:
            text += "\n\n-- \n" + translation.gettext("Do not want these e-mails? Turn them off: %(url)s") % {
                "url": unsubscribe
            }
        html = render_to_string(
            "notifications/email.html",
            {
                "subject": words.subject,
                "paragraphs": [part for part in words.body.split("\n\n") if part.strip()],
                "url": words.url,
                "unsubscribe_url": unsubscribe,
                "kind": preferences.KINDS.get(kind or "", ""),
                "recipient": recipient,
                "site_url": settings.SITE_URL,
                "language": recipient.language,
            },
        )
    return Email(words.subject, text, html, unsubscribe)


def chat_text(notification) -> str:
    """A notification as a chat message (plain text), in the recipient's language and zone."""
    with recipient_locale(notification.recipient):
        words = content(notification)
    return "\n\n".join(part for part in (words.subject, words.body, words.url) if part)
