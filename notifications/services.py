"""Outbox dispatch: events become notifications, e-mails leave once.

Phase 1 (`outbox_process_batch`) claims due events with
`SELECT ... FOR UPDATE SKIP LOCKED`, makes their notifications (unique per
event, recipient and channel; each keeps its template and parameters, see
`notifications.rendering`) on the channels each recipient keeps
(`notifications.preferences`), inserts the whole batch's in one statement and
marks the events processed in one more, all in one transaction; when the
database refuses the insert, each event is tried on its own, so one bad event
fails alone. A worker killed here rolls back: the events stay due.

Phase 2 (`email_send_due`, `telegram_send_due`) sends pending messages one
by one, e-mails over one SMTP connection per batch: a committed
compare-and-swap to `sending` first, then the SMTP or Bot API call, then
`sent`. Two workers never send one message; a worker killed during the call
leaves that one message in `sending`, which is never re-sent blindly: past the lease
it becomes a visible failure (outcome unknown) that staff can requeue.

On SQLite (the embedded default) `select_for_update` is a no-op; there the
IMMEDIATE transactions serialise the workers instead.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from accounts.models import User
from audit.errors import NotDeadLetter
from audit.models import OutboxEvent
from audit.services import admin_action_record, audit_log_write
from guitaronline.core import capabilities, retries, viewcache
from guitaronline.core.capabilities import Capability
from notifications import params, preferences, rendering, rules, telegram
from notifications.models import Notification

logger = logging.getLogger(__name__)

ADDRESS = "_address"  # a message's parameter: the e-mail address it goes to, when not the recipient's

UNKNOWN_OUTCOME = "Delivery outcome unknown: the worker stopped while sending. Check with the recipient, then requeue."


@dataclass
class DispatchResult:
    events_processed: int = 0
    events_failed: int = 0
    emails_sent: int = 0
    emails_failed: int = 0
    emails_unknown: int = 0

    def add(self, other: DispatchResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


# --- phase 1: events -> notifications -----------------------------------------


def _notifications(
    event: OutboxEvent, messages: list[rules.Message], now: datetime, choices: dict
) -> list[Notification]:
    """The rows of one event's messages: each on the channels its recipient
    keeps for its kind. The subject is rendered now (in the recipient's
    language) for staff to search by; the rest when shown or sent."""
    rows = []
    for message in messages:
        recipient = message.recipient
        with rendering.recipient_locale(recipient):  # a broken template fails the event here, not later
            subject = rendering.render(message.template, message.context, recipient=recipient, link=message.link)
        values = params.encode({**message.context, **({ADDRESS: message.to} if message.to else {})})
        for channel in preferences.channels(
            row=choices.get(recipient.pk),
            event_type=event.event_type,
            template=message.template,
            offered=message.channels,
            payload=event.payload,
        ):
            in_app = channel == rules.IN_APP
            rows.append(
                Notification(
                    recipient=recipient,
                    event_id=event.pk,
                    event_type=event.event_type,
                    channel=channel,
                    template=message.template,
                    params=values,
                    subject=subject.subject,
                    link=message.link,
                    status=Notification.Status.SENT if in_app else Notification.Status.PENDING,
                    sent_at=now if in_app else None,
                )
            )
    return rows


@transaction.atomic
def outbox_process_batch(*, batch_size: int = 100, now: datetime | None = None):
    """Claim up to `batch_size` due events and turn each into notifications."""
    now = now or timezone.now()
    events = list(
        OutboxEvent.objects.select_for_update(skip_locked=True)
        .retryable_due(now=now)
        .order_by("created_at")[:batch_size]
    )
    result = DispatchResult()
    if not events:
        return result
    users = User.objects.select_related("teacher_profile").in_bulk(rules.user_ids(events))
    choices = preferences.settings_for(users)
    rendered: list[tuple[OutboxEvent, list[Notification]]] = []
    for event in events:
        try:
            rendered.append((event, _notifications(event, rules.messages_for(event, users), now, choices)))
        except Exception as exc:  # a rule or template failed: retry later, never lose the event
            _event_failed(event, exc, now)
            result.events_failed += 1
    # their unread counts (and the parts of their pages) change when this commits
    viewcache.touched({row.recipient_id for _, rows in rendered for row in rows if row.channel == rules.IN_APP})
    try:  # the usual case: every notification of the batch in one INSERT, every event in one UPDATE
        with transaction.atomic():
            Notification.objects.bulk_create([row for _, rows in rendered for row in rows], ignore_conflicts=True)
    except Exception:  # one event's rows break the INSERT: one savepoint per event finds it
        logger.warning("outbox batch insert failed; retrying event by event", exc_info=True)
        for event, rows in rendered:
            try:
                with transaction.atomic():
                    Notification.objects.bulk_create(rows, ignore_conflicts=True)
            except Exception as exc:
                _event_failed(event, exc, now)
                result.events_failed += 1
            else:
                _event_processed([event], now)
                result.events_processed += 1
    else:
        _event_processed([event for event, _ in rendered], now)
        result.events_processed += len(rendered)
    return result


def _event_failed(event: OutboxEvent, exc: Exception, now: datetime) -> None:
    logger.exception("outbox event %s (%s) failed", event.pk, event.event_type, exc_info=exc)
    event.attempts += 1
    event.status = OutboxEvent.Status.FAILED
    event.next_attempt_at = now + retries.backoff(event.attempts)
    event.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
    event.save(update_fields=["attempts", "status", "next_attempt_at", "last_error"])


def _event_processed(events: list[OutboxEvent], now: datetime) -> None:
    OutboxEvent.objects.filter(pk__in=[event.pk for event in events]).update(
        status=OutboxEvent.Status.PROCESSED, processed_at=now, last_error=""
    )


# --- phase 2: e-mail and Telegram ----------------------------------------------


class Dropped(Exception):
    """A message that can no longer be delivered (its chat was unlinked): a
    dead letter at once, not retried."""


def _claim(notification_id, *, now: datetime) -> bool:
    """Committed compare-and-swap to `sending`: only one worker wins."""
    return bool(
        Notification.objects.filter(pk=notification_id, channel__in=Notification.OUTGOING)
        .retryable_due(now=now)
        .update(status=Notification.Status.SENDING, sending_since=now, updated_at=now)
    )


def email_message(notification: Notification, connection=None) -> EmailMultiAlternatives:
    """The e-mail of a notification: text and HTML, its Message-ID the
    notification's id, and List-Unsubscribe unless it is essential."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "guitaronline.local"
    words = rendering.email(notification)
    headers = {"Message-ID": f"<{notification.pk}@{domain}>", "X-GuitarOnline-Event": notification.event_type}
    if words.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{words.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=words.subject,
        body=words.text,
        to=[notification.params.get(ADDRESS) or notification.recipient.email],
        connection=connection,
        headers=headers,
    )
    message.attach_alternative(words.html, "text/html")
    return message


class _EmailSender:
    """One SMTP connection for a batch, opened by its first e-mail."""

    channel = Notification.Channel.EMAIL

    def __init__(self, due: list[Notification]):
        pass

    def __enter__(self):
        self.smtp = get_connection(fail_silently=False)
        return self

    def send(self, notification: Notification) -> None:
        email_message(notification, self.smtp).send()

    def __exit__(self, *exc_info) -> None:
        self.smtp.close()


class _TelegramSender:
    channel = Notification.Channel.TELEGRAM

    def __init__(self, due: list[Notification]):
        self.chats = preferences.telegram_chats({notification.recipient_id for notification in due})

    def __enter__(self):
        self.bot = telegram.Bot()
        return self

    def send(self, notification: Notification) -> None:
        chat_id = self.chats.get(notification.recipient_id)
        if chat_id is None:
            raise Dropped("The Telegram chat is no longer linked to the account.")
        self.bot.send_message(chat_id=chat_id, text=rendering.chat_text(notification))

    def __exit__(self, *exc_info) -> None:
        self.bot.close()


def _send_due(sender_class, *, batch_size: int, now: datetime | None) -> DispatchResult:
    """Send up to `batch_size` due messages of one channel, each at most once.
    Runs in autocommit: each claim is committed before its network call."""
    now = now or timezone.now()
    result = DispatchResult()
    due = list(
        Notification.objects.filter(channel=sender_class.channel)
        .retryable_due(now=now)
        .select_related("recipient")
        .order_by("created_at")[:batch_size]
    )  # loaded once; each one is still claimed by its own committed compare-and-swap below
    if not due:
        return result
    with sender_class(due) as sender:
        for notification in due:
            notification_id = notification.pk
            if not _claim(notification_id, now=now):
                continue  # another worker has it
            try:
                sender.send(notification)
            except Dropped as exc:
                _mark(
                    notification_id,
                    status=Notification.Status.FAILED,
                    attempts=Greatest(F("attempts") + 1, retries.max_retries()),
                    sending_since=None,
                    last_error=str(exc),
                )
                result.emails_failed += 1
            except Exception as exc:  # refused or unreachable: retry with backoff
                attempts = notification.attempts + 1
                _mark(
                    notification_id,
                    status=Notification.Status.FAILED,
                    attempts=attempts,
                    next_attempt_at=now + retries.backoff(attempts),
                    sending_since=None,
                    last_error=f"{exc.__class__.__name__}: {exc}"[:2000],
                )
                result.emails_failed += 1
            else:
                _mark(
                    notification_id,
                    status=Notification.Status.SENT,
                    attempts=F("attempts") + 1,
                    sent_at=timezone.now(),
                    sending_since=None,
                    last_error="",
                )
                result.emails_sent += 1
    return result


def email_send_due(*, batch_size: int = 100, now: datetime | None = None) -> DispatchResult:
    """Send up to `batch_size` due e-mails over one SMTP connection."""
    return _send_due(_EmailSender, batch_size=batch_size, now=now)


def telegram_send_due(*, batch_size: int = 100, now: datetime | None = None) -> DispatchResult:
    """Send up to `batch_size` due Telegram messages (none while no bot is configured)."""
    if not preferences.telegram_enabled():
        return DispatchResult()
    return _send_due(_TelegramSender, batch_size=batch_size, now=now)


def _mark(notification_id, **fields) -> None:
    """A message's outcome after its network call."""
    Notification.objects.filter(pk=notification_id).update(**fields)


def emails_expire_stale_sending(*, now: datetime | None = None) -> int:
    """E-mails left `sending` past the lease (their worker died mid-send) become
    dead-letter failures for staff to check: re-sending blindly could e-mail
    someone twice."""
    now = now or timezone.now()
    lease = timedelta(seconds=settings.NOTIFICATION_SENDING_LEASE_SECONDS)
    return Notification.objects.filter(status=Notification.Status.SENDING, sending_since__lt=now - lease).update(
        status=Notification.Status.FAILED,
        attempts=Greatest(F("attempts") + 1, retries.max_retries()),
        sending_since=None,
        last_error=UNKNOWN_OUTCOME,
    )


def outbox_dispatch(*, batch_size: int = 100, time_budget: float = 50.0):
    """Process due events and send due e-mails until none is left or the time
    budget is spent (the next kick or beat tick carries on)."""
    started = time.monotonic()
    total = DispatchResult()
    total.emails_unknown = emails_expire_stale_sending()
    while time.monotonic() - started < time_budget:
        step = outbox_process_batch(batch_size=batch_size)
        step.add(email_send_due(batch_size=batch_size))
        step.add(telegram_send_due(batch_size=batch_size))
        total.add(step)
        if not (step.events_processed or step.events_failed or step.emails_sent or step.emails_failed):
            break
    return total


# --- staff and recipients ---------------------------------------------------------


@transaction.atomic
def notification_requeue(*, notification: Notification, actor) -> Notification:
    """Staff (with `requeue_messages`) send a failed e-mail again (also one
    whose outcome is unknown)."""
    capabilities.require(actor, Capability.REQUEUE_MESSAGES)
    changed = Notification.objects.filter(
        pk=notification.pk, channel__in=Notification.OUTGOING, status=Notification.Status.FAILED
    ).update(status=Notification.Status.PENDING, attempts=0, next_attempt_at=None, last_error="")
    if not changed:
        raise NotDeadLetter()
    notification.refresh_from_db()
    audit_log_write(actor=actor, action="notifications.email.requeued", entity=notification)
    admin_action_record(actor=actor, action="admin.notification.requeue", target=notification)
    return notification


def notifications_mark_read(*, user: User, notification_ids=None, now: datetime | None = None) -> int:
    """Mark the user's own in-app notifications read (all, or the given ids)."""
    unread = Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    marked = unread.update(read_at=now or timezone.now())
    viewcache.touched({user.pk})  # the unread count
    return marked
