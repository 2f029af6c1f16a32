"""Audit trail and transactional outbox writes.

Every state-changing service calls `change_record` inside its own
transaction, so the change, its audit record and its outbox event commit or
roll back together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from audit.errors import NotDeadLetter
from audit.models import AdminAction, AuditLog, IdempotencyRecord, OutboxEvent
from guitaronline.core import capabilities, context, viewcache
from guitaronline.core.capabilities import Capability
from guitaronline.core.transactions import joins_transaction, on_commit_once

logger = logging.getLogger(__name__)

# The dispatcher lives in `notifications`, which audit must not import: it is
# named, not imported.
OUTBOX_DISPATCH_TASK = "notifications.dispatch_outbox"


def _entity_type(entity: models.Model) -> str:
    return entity._meta.label_lower


def _audit_row(*, actor, action: str, entity: models.Model, payload: dict[str, Any] | None) -> AuditLog:
    request = context.current()
    return AuditLog(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        entity_type=_entity_type(entity),
        entity_id=str(entity.pk),
        payload=payload or {},
        ip=request.ip,
        request_id=request.request_id,
    )


def _event_row(*, event_type: str, aggregate: models.Model | None, payload: dict[str, Any] | None) -> OutboxEvent:
    return OutboxEvent(
        event_type=event_type,
        aggregate_type=_entity_type(aggregate) if aggregate is not None else "",
        aggregate_id=str(aggregate.pk) if aggregate is not None else "",
        payload=payload or {},
    )


def audit_log_write(*, actor, action: str, entity: models.Model, payload: dict[str, Any] | None = None) -> AuditLog:
    row = _audit_row(actor=actor, action=action, entity=entity, payload=payload)
    row.save(force_insert=True)
    return row


def outbox_kick() -> None:
    """Ask a worker to dispatch the outbox now. Never fails the caller: with
    the broker down, the beat schedule picks the events up later."""
    try:
        current_app.send_task(OUTBOX_DISPATCH_TASK)
    except Exception:  # the broker is an optimisation here, not a dependency
        logger.warning("could not kick the outbox dispatcher; the periodic task will catch up", exc_info=True)


class _OutboxKick:
    def __call__(self) -> None:
        outbox_kick()


def _kick_after_commit() -> None:
    """One kick per transaction, however many events it writes."""
    if settings.OUTBOX_KICK_ON_COMMIT:
        on_commit_once(_OutboxKick)


def outbox_event_emit(
    *, event_type: str, aggregate: models.Model | None, payload: dict[str, Any] | None = None
) -> OutboxEvent:
    """An event for the notifications worker. `aggregate` None: a request
    about no known row (a password reset asked for an address that may or
    may not be an account's: the worker finds out, not the request)."""
    event = _event_row(event_type=event_type, aggregate=aggregate, payload=payload)
    event.save(force_insert=True)
    _kick_after_commit()
    return event


# The records of the innermost `records_batched` block, when one is open.
_batch: ContextVar[list[tuple[AuditLog, OutboxEvent]] | None] = ContextVar("audit_records_batch", default=None)


@contextmanager
def records_batched() -> Iterator[None]:
    """Within the block, `change_record` keeps its audit records and outbox
    events and writes them when the block ends: one INSERT for the records
    and one for the events, in the same transaction, in the order they were
    made. For a change of many steps (a confirm takes a lesson, creates one
    and confirms; a series does that every week).

    Open it inside the transaction it belongs to. Blocks nest: an inner
    block's rows join the outer block's when it ends, and are dropped when it
    raises, as the savepoint around it rolls back the changes they describe.
    Until its block ends a record has no primary key."""
    outer = _batch.get()
    rows: list[tuple[AuditLog, OutboxEvent]] = []
    token = _batch.set(rows)
    try:
        yield
    finally:
        _batch.reset(token)
    if outer is not None:
        outer.extend(rows)
    elif rows:
        AuditLog.objects.bulk_create([record for record, _ in rows])
        OutboxEvent.objects.bulk_create([event for _, event in rows])
        _kick_after_commit()


@joins_transaction
def change_record(
    *, actor, action: str, entity: models.Model, payload: dict[str, Any] | None = None
) -> tuple[AuditLog, OutboxEvent]:
    """Write the audit record and the outbox event of one state change (or,
    inside `records_batched`, keep them for the block's end), and end the
    cached page parts of the people it touches when it commits
    (`guitaronline.core.viewcache`).

    It joins the caller's transaction (the change and its record commit
    together) without a savepoint (`joins_transaction`)."""
    payload = payload or {}
    viewcache.touched(viewcache.people(entity, payload))  # their cached page parts end with the commit
    batch = _batch.get()
    if batch is None:
        return (
            audit_log_write(actor=actor, action=action, entity=entity, payload=payload),
            outbox_event_emit(event_type=action, aggregate=entity, payload=payload),
        )
    rows = (
        _audit_row(actor=actor, action=action, entity=entity, payload=payload),
        _event_row(event_type=action, aggregate=entity, payload=payload),
    )
    batch.append(rows)
    return rows


def admin_action_record(
    *, actor, action: str, target: models.Model | None = None, payload: dict[str, Any] | None = None
) -> AdminAction:
    return AdminAction.objects.create(
        actor=actor,
        action=action,
        target_type=_entity_type(target) if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        payload=payload or {},
        ip=context.current().ip,
    )


def idempotency_records_prune(*, older_than: timedelta = timedelta(days=1), now: datetime | None = None) -> int:
    """Forget first answers older than `older_than`; their keys may be reused."""
    cutoff = (now or timezone.now()) - older_than
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def outbox_event_requeue(*, event: OutboxEvent, actor) -> OutboxEvent:
    """Staff (with `requeue_messages`) send a failed (dead-letter) event round
    again, after fixing the cause."""
    capabilities.require(actor, Capability.REQUEUE_MESSAGES)
    changed = OutboxEvent.objects.filter(pk=event.pk, status=OutboxEvent.Status.FAILED).update(
        status=OutboxEvent.Status.PENDING, attempts=0, next_attempt_at=None, last_error=""
    )
    if not changed:
        raise NotDeadLetter(details={"status": OutboxEvent.objects.get(pk=event.pk).status})
    event.refresh_from_db()
    audit_log_write(actor=actor, action="audit.outbox.requeued", entity=event, payload={"event_type": event.event_type})
    admin_action_record(actor=actor, action="admin.outbox.requeue", target=event)
    _kick_after_commit()
    return event
