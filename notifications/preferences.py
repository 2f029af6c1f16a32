"""What each user chose to be told, and where.

Messages come in kinds a user may switch per channel (e-mail, in-app,
Telegram when linked): lesson reminders (and which of them), waitlist
offers, weekly-series news, moved lessons. Everything else is essential and
always goes out: the address confirmation, a password reset, receipts, a
cancelled lesson, a security warning.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from audit.services import change_record
from guitaronline.core.errors import InvalidInput
from notifications.models import Notification, NotificationSettings

REMINDERS, WAITLIST, SERIES, CHANGES = "reminders", "waitlist", "series", "changes"
KINDS = {
    REMINDERS: gettext_lazy("Lesson reminders"),
    WAITLIST: gettext_lazy("Waitlist offers"),
    SERIES: gettext_lazy("Weekly lessons: booked weeks, missed weeks, a package running low"),
    CHANGES: gettext_lazy("Moved lessons and proposals to move one"),
}
EVENT_KINDS = {
    "lesson.reminder": REMINDERS,
    "booking.waitlist.offered": WAITLIST,
    "booking.series.created": SERIES,
    "booking.series.extended": SERIES,
    "booking.rescheduled": CHANGES,
    "booking.move_proposed": CHANGES,
    "booking.move_declined": CHANGES,
    "booking.move_expired": CHANGES,
}
EMAIL, IN_APP, TELEGRAM = Notification.Channel.EMAIL, Notification.Channel.IN_APP, Notification.Channel.TELEGRAM
CHANNELS = (EMAIL, IN_APP, TELEGRAM)
CHANNEL_LABELS = {EMAIL: gettext_lazy("E-mail"), IN_APP: gettext_lazy("On the site"), TELEGRAM: "Telegram"}
REMINDER_HOURS = {24: gettext_lazy("a day before"), 1: gettext_lazy("an hour before")}
REMINDER_KINDS = {"24h": 24, "1h": 1}  # lesson.reminder's payload "kind"
# By e-mail only, never to a chat or the inbox: templates whose link carries a secret, and the
# warning that wrong passwords paused the account's logins.
EMAIL_ONLY = frozenset({"verify_email", "password_reset", "login_paused"})
UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def telegram_enabled() -> bool:
    return bool(settings.TELEGRAM_BOT_TOKEN)


def kind_of(event_type: str) -> str | None:
    """The kind a user may switch, or None for an essential message."""
    return EVENT_KINDS.get(event_type)


def wants(row: NotificationSettings | None, kind: str, channel: str) -> bool:
    return bool(((row.choices if row else {}).get(kind) or {}).get(channel, True))


def reminder_hours(row: NotificationSettings | None) -> list[int]:
    chosen = row.reminder_hours if row is not None and row.reminder_hours is not None else list(REMINDER_HOURS)
    return [hours for hours in REMINDER_HOURS if hours in chosen]


def channels(
    *, row: NotificationSettings | None, event_type: str, template: str, offered: tuple[str, ...], payload: dict
) -> list[str]:
    """The channels one message goes to: those its rule offers that the user
    keeps (all, for an essential one), plus Telegram where the account is
    linked and e-mail was offered."""
    if template in EMAIL_ONLY:
        return [EMAIL] if EMAIL in offered else []
    kind = kind_of(event_type)
    hours = REMINDER_KINDS.get(payload.get("kind", ""))
    if kind == REMINDERS and (hours is None or hours not in reminder_hours(row)):
        return []
    linked = telegram_enabled() and row is not None and row.telegram_chat_id is not None
    wanted = [*offered, *([TELEGRAM] if linked and EMAIL in offered else [])]
    return wanted if kind is None else [channel for channel in wanted if wants(row, kind, channel)]


def settings_for(users) -> dict[int, NotificationSettings]:
    """The settings rows of many users, in one query."""
    return NotificationSettings.objects.in_bulk([getattr(user, "pk", user) for user in users])


def settings_of(user) -> NotificationSettings | None:
    return NotificationSettings.objects.filter(user=user).first()


def summary(user) -> dict:
    """The user's choices, every kind and channel spelled out (the API's and the page's view)."""
    row = settings_of(user)
    offered = [EMAIL, IN_APP, *([TELEGRAM] if telegram_enabled() else [])]
    return {
        "kinds": {kind: {channel: wants(row, kind, channel) for channel in offered} for kind in KINDS},
        "reminder_hours": reminder_hours(row),
        "telegram": {
            "available": telegram_enabled(),
            "linked": bool(row and row.telegram_chat_id),
            "username": row.telegram_username if row else "",
        },
    }


def _validated(kinds: dict, hours) -> tuple[dict, list[int] | None]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, dict[str, bool]] = {}
    if not isinstance(kinds, dict):
        raise InvalidInput(details={"kinds": [_("Expected an object of kinds.")]})
    for kind, by_channel in kinds.items():
        if kind not in KINDS:
            errors.setdefault("kinds", []).append(
                _("Unknown kind of message: %(kind)s. Choose among: %(kinds)s.")
                % {"kind": kind, "kinds": ", ".join(KINDS)}
            )
            continue
        if not isinstance(by_channel, dict):
            errors.setdefault("kinds", []).append(_("%(kind)s: expected an object of channels.") % {"kind": kind})
            continue
        for channel, on in by_channel.items():
            if channel not in CHANNELS:
                errors.setdefault("kinds", []).append(
                    _("Unknown channel: %(channel)s. Choose among: %(channels)s.")
                    % {"channel": channel, "channels": ", ".join(CHANNELS)}
                )
            elif not isinstance(on, bool):
                errors.setdefault("kinds", []).append(
                    _("%(kind)s, %(channel)s: expected true or false.") % {"kind": kind, "channel": channel}
                )
            else:
                clean.setdefault(kind, {})[channel] = on
    if hours is not None:
        if not isinstance(hours, list) or any(value not in REMINDER_HOURS for value in hours):
            errors["reminder_hours"] = [
                _("Choose reminder times among: %(hours)s.") % {"hours": ", ".join(map(str, REMINDER_HOURS))}
            ]
        else:
            hours = sorted(set(hours), reverse=True)
    if errors:
        raise InvalidInput(details=errors)
    return clean, hours


@transaction.atomic
def preferences_update(*, user, kinds: dict | None = None, reminder_hours: list[int] | None = None) -> dict:
    """Change some of the user's choices; kinds and channels not named keep theirs."""
    clean, hours = _validated(kinds or {}, reminder_hours)
    row, _created = NotificationSettings.objects.select_for_update().get_or_create(user=user)
    choices = dict(row.choices)
    for kind, by_channel in clean.items():
        choices[kind] = {**choices.get(kind, {}), **by_channel}
    row.choices = choices
    if hours is not None:
        row.reminder_hours = hours
    row.save()
    change_record(
        actor=user,
        action="notifications.preferences.updated",
        entity=row,
        payload={"kinds": clean, "reminder_hours": hours},
    )
    return summary(user)


def unsubscribe_token(user, kind: str) -> str:
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str):
    """The active user and the kind an unsubscribe link names, or None if the
    link is not ours (it does not expire)."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or data.get("k") not in KINDS:
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    return (user, data["k"]) if user is not None else None


def telegram_chats(user_ids) -> dict[int, int]:
    """The chats linked to these users' accounts, in one query: user id -> chat id."""
    linked = NotificationSettings.objects.filter(user_id__in=user_ids, telegram_chat_id__isnull=False)
    return {
        user_id: chat_id
        for user_id, chat_id in linked.values_list("user_id", "telegram_chat_id")
        if chat_id is not None
    }
