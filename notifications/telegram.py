"""Telegram: linking an account to a chat through the school bot, and the
Bot API calls that deliver messages.

Plain HTTPS (requests) rather than a bot framework: the school needs two
methods of the Bot API (sendMessage, setWebhook) from a synchronous worker,
and the frameworks (python-telegram-bot, aiogram) are built around an
asyncio application the site does not run.

Linking: the profile asks for a deep link, t.me/<bot>?start=<token>, whose
token is random, kept hashed, valid for TELEGRAM_LINK_MINUTES and used once.
Telegram delivers "/start <token>" to the webhook, which Telegram signs
with the secret-token header (TELEGRAM_WEBHOOK_SECRET); the chat is then
linked to the token's user. A chat serves one account at a time.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import change_record
from guitaronline.core.errors import ApplicationError, Forbidden, NotFound
from notifications import preferences
from notifications.models import NotificationSettings, TelegramLinkToken

logger = logging.getLogger(__name__)


class TelegramError(Exception):
    """The Bot API refused a call or could not be reached."""


class TelegramUnavailable(NotFound):
    code = "telegram_unavailable"
    default_message = gettext_lazy("The school has no Telegram bot.")


class Bot:
    """The Bot API over HTTPS (TELEGRAM_API_BASE: a local fake in tests)."""

    def __init__(self, token: str | None = None):
        self.token = token or settings.TELEGRAM_BOT_TOKEN
        self.http = requests.Session()

    def call(self, method: str, **fields) -> dict:
        url = f"{settings.TELEGRAM_API_BASE.rstrip('/')}/bot{self.token}/{method}"
        try:
            answer = self.http.post(url, json=fields, timeout=settings.TELEGRAM_TIMEOUT_SECONDS)
            body = answer.json()
        except (requests.RequestException, ValueError) as exc:
            raise TelegramError(f"{method}: {exc.__class__.__name__}") from exc
        if not body.get("ok"):
            raise TelegramError(f"{method}: {answer.status_code} {body.get('description', '')}"[:500])
        return body.get("result") or {}

    def send_message(self, *, chat_id: int, text: str) -> dict:
        return self.call("sendMessage", chat_id=chat_id, text=text[:4096], link_preview_options={"is_disabled": True})

    def set_webhook(self, *, url: str, secret_token: str) -> dict:
        return self.call("setWebhook", url=url, secret_token=secret_token, allowed_updates=["message"])

    def close(self) -> None:
        self.http.close()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _require_bot() -> None:
    if not preferences.telegram_enabled():
        raise TelegramUnavailable()


@transaction.atomic
def link_start(*, user, now: datetime | None = None) -> str:
    """A one-time deep link that links the user's account to the chat that opens it."""
    _require_bot()
    now = now or timezone.now()
    token = secrets.token_urlsafe(24)  # 32 characters of [A-Za-z0-9_-], as Telegram's start parameter allows
    TelegramLinkToken.objects.filter(user=user, used_at__isnull=True).delete()  # one live link per user
    TelegramLinkToken.objects.create(
        token_hash=_hash(token), user=user, expires_at=now + timedelta(minutes=settings.TELEGRAM_LINK_MINUTES)
    )
    return f"https://t.me/{settings.TELEGRAM_BOT_USERNAME}?start={token}"


@transaction.atomic
def unlink(*, user) -> bool:
    """Unlink the user's chat; False if none was linked."""
    row = NotificationSettings.objects.select_for_update().filter(user=user, telegram_chat_id__isnull=False).first()
    if row is None:
        return False
    row.telegram_chat_id, row.telegram_username, row.telegram_linked_at = None, "", None
    row.save(update_fields=["telegram_chat_id", "telegram_username", "telegram_linked_at", "updated_at"])
    change_record(actor=user, action="notifications.telegram.unlinked", entity=row)
    return True


def webhook_verified(secret_header: str | None) -> None:
    """Refuse an update that does not carry the school's secret token (a forged call)."""
    _require_bot()
    expected = settings.TELEGRAM_WEBHOOK_SECRET
    if not expected or not secret_header or not constant_time_compare(secret_header, expected):
        raise Forbidden(message=_("This request does not come from Telegram."))


@dataclass(frozen=True)
class Reply:
    chat_id: int
    text: str


def _language(update_from: dict) -> str:
    return "ru" if str(update_from.get("language_code", "")).startswith("ru") else "en"


def webhook_handle(update: dict, *, now: datetime | None = None) -> Reply | None:
    """One update from Telegram: "/start <token>" links the chat; anything
    else gets a short hint. Returns what the bot answers in the chat."""
    message = update.get("message") if isinstance(update, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None  # an update the bot does not handle (an edit, a channel post)
    chat_id = message["chat"].get("id")
    sender = message.get("from")
    if not isinstance(sender, dict):
        sender = {}
    if not isinstance(chat_id, int):
        return None
    text = message.get("text")
    if not isinstance(text, str):
        text = ""
    command, _space, token = text.strip().partition(" ")
    with translation.override(_language(sender)):
        if command != "/start" or not token.strip():
            return Reply(chat_id, _("To get GuitarOnline notifications here, open the link on your profile page."))
        try:
            user = _link(token.strip(), chat_id=chat_id, username=str(sender.get("username", ""))[:64], now=now)
        except ApplicationError as error:
            return Reply(chat_id, str(error.message))
    with translation.override(user.language):
        return Reply(
            chat_id,
            _("Done: GuitarOnline notifications for %(name)s will come to this chat. Choose which on your profile.")
            % {"name": user.full_name},
        )


class LinkInvalid(ApplicationError):
    code = "telegram_link_invalid"
    default_message = gettext_lazy(
        "This link is not valid, has expired or has already been used. Open a new one from your profile."
    )


class ChatLinkedElsewhere(ApplicationError):
    code = "telegram_chat_linked"
    status_code = 409
    default_message = gettext_lazy(
        "This Telegram account is already linked to another GuitarOnline account. Unlink it there first."
    )


@transaction.atomic
def _link(token: str, *, chat_id: int, username: str, now: datetime | None):
    now = now or timezone.now()
    link = (
        TelegramLinkToken.objects.select_for_update()
        .select_related("user")
        .filter(token_hash=_hash(token), used_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if link is None or not link.user.is_active:
        raise LinkInvalid()
    user = link.user
    if NotificationSettings.objects.filter(telegram_chat_id=chat_id).exclude(user=user).exists():
        raise ChatLinkedElsewhere()
    row, _created = NotificationSettings.objects.select_for_update().get_or_create(user=user)
    row.telegram_chat_id, row.telegram_username, row.telegram_linked_at = chat_id, username, now
    try:
        with transaction.atomic():
            row.save(update_fields=["telegram_chat_id", "telegram_username", "telegram_linked_at", "updated_at"])
    except IntegrityError as exc:  # another account linked the chat meanwhile: the constraint decides
        raise ChatLinkedElsewhere() from exc
    link.used_at = now
    link.save(update_fields=["used_at"])
    change_record(actor=user, action="notifications.telegram.linked", entity=row, payload={"username": username})
    return user
