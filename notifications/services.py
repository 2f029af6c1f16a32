"""Outbox dispatch: events become notifications, e-mails leave once.

Phase 1 (`outbox_process_batch`) claims due events with
`SELECT ... FOR UPDATE SKIP LOCKED`, renders their notifications (unique per
event, recipient and channel), inserts the whole batch's in one statement and
marks the events processed in one more, all in one transaction; when the
database refuses the insert, each event is tried on its own, so one bad event
fails alone. A worker killed here rolls back: the events stay due.

Phase 2 (`email_send_due`) sends pending e-mails one by one: a committed
compare-and-swap to `sending` first, then the SMTP call, then `sent`. Two
workers never send one e-mail; a worker killed during the SMTP call leaves
that one e-mail in `sending`, which is never re-sent blindly: past the lease
it becomes a visible failure (outcome unknown) that staff can requeue.

On SQLite (the embedded default) `select_for_update` is a no-op; there the
IMMEDIATE transactions serialise the workers instead.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import User
from audit.errors import NotDeadLetter
from audit.models import OutboxEvent
from audit.services import admin_action_record, audit_log_write
from guitaronline.core import capabilities, retries
from guitaronline.core.capabilities import Capability
from notifications import rules
from notifications.models import Notification

logger = logging.getLogger(__name__)

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


def render(message: rules.Message) -> tuple[str, str]:
    """Subject and text of a message in its recipient's language and time zone."""
    recipient = message.recipient
    with translation.override(recipient.language), timezone.override(ZoneInfo(recipient.timezone)):
        text = render_to_string(
            f"notifications/{message.template}.txt",
            {
                **message.context,
                "recipient": recipient,
                "tz_name": recipient.timezone,
                "refund_window_hours": settings.BOOKING_REFUND_WINDOW_HOURS,
                "link": f"{settings.SITE_URL}{message.link}" if message.link else "",
            },
            using="text",  # plain text: nothing HTML-escaped
        ).strip()
    subject, _, body = text.partition("\n")
    return subject.strip()[:255], body.strip()


def _notifications(event: OutboxEvent, messages: list[rules.Message], now: datetime) -> list[Notification]:
    rows = []
    for message in messages:
        subject, body = render(message)
        for channel in message.channels:
            in_app = channel == rules.IN_APP
            rows.append(
                Notification(
                    recipient=message.recipient,
                    event_id=event.pk,
                    event_type=event.event_type,
                    channel=channel,
                    subject=subject,
                    body=body,
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
    rendered: list[tuple[OutboxEvent, list[Notification]]] = []
    for event in events:
        try:
            rendered.append((event, _notifications(event, rules.messages_for(event, users), now)))
        except Exception as exc:  # a rule or template failed: retry later, never lose the event
            _event_failed(event, exc, now)
            result.events_failed += 1
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


# --- phase 2: e-mail ------------------------------------------------------------


def _claim(notification_id, *, now: datetime) -> bool:
    """Committed compare-and-swap to `sending`: only one worker wins."""
    return bool(
        Notification.objects.filter(pk=notification_id, channel=Notification.Channel.EMAIL)
        .retryable_due(now=now)
        .update(status=Notification.Status.SENDING, sending_since=now, updated_at=now)
    )


def _message(notification: Notification, smtp) -> EmailMessage:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "guitaronline.local"
    return EmailMessage(
        subject=notification.subject,
        body=notification.body + (f"\n\n{settings.SITE_URL}{notification.link}" if notification.link else ""),
        to=[notification.recipient.email],
        connection=smtp,
        headers={"Message-ID": f"<{notification.pk}@{domain}>", "X-GuitarOnline-Event": notification.event_type},
    )


def email_send_due(*, batch_size: int = 100, now: datetime | None = None):
    """Send up to `batch_size` due e-mails, each at most once. Runs in autocommit:
    each claim is committed before its SMTP call."""
    now = now or timezone.now()
    result = DispatchResult()
    due = list(
        Notification.objects.filter(channel=Notification.Channel.EMAIL)
        .retryable_due(now=now)
        .select_related("recipient")
        .order_by("created_at")[:batch_size]
    )  # loaded once; each one is still claimed by its own committed compare-and-swap below
    if not due:
        return result
    smtp = get_connection(fail_silently=False)  # opened by the first send; a refusal fails that e-mail
    try:
        for notification in due:
            notification_id = notification.pk
            if not _claim(notification_id, now=now):
                continue  # another worker has it
            try:
                _message(notification, smtp).send()
            except Exception as exc:  # SMTP refused or unreachable: retry with backoff
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
    finally:
        smtp.close()
    return result


def _mark(notification_id, **fields) -> None:
    """An e-mail's outcome after its SMTP call."""
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
        pk=notification.pk, channel=Notification.Channel.EMAIL, status=Notification.Status.FAILED
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
    return unread.update(read_at=now or timezone.now())
