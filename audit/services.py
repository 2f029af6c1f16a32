"""Audit trail and transactional outbox writes.

Every state-changing service calls `change_record` inside its own
transaction, so the change, its audit record and its outbox event commit or
roll back together.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from audit.models import AdminAction, AuditLog, OutboxEvent
from guitaronline.core import context


def _entity_type(entity: models.Model) -> str:
    return entity._meta.label_lower


def audit_log_write(*, actor, action: str, entity: models.Model, payload: dict[str, Any] | None = None) -> AuditLog:
    request = context.current()
    return AuditLog.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        entity_type=_entity_type(entity),
        entity_id=str(entity.pk),
        payload=payload or {},
        ip=request.ip,
        request_id=request.request_id,
    )


def outbox_event_emit(
    *, event_type: str, aggregate: models.Model, payload: dict[str, Any] | None = None
) -> OutboxEvent:
    return OutboxEvent.objects.create(
        event_type=event_type,
        aggregate_type=_entity_type(aggregate),
        aggregate_id=str(aggregate.pk),
        payload=payload or {},
    )


@transaction.atomic
def change_record(
    *, actor, action: str, entity: models.Model, payload: dict[str, Any] | None = None
) -> tuple[AuditLog, OutboxEvent]:
    """Write the audit record and the outbox event of one state change."""
    payload = payload or {}
    return (
        audit_log_write(actor=actor, action=action, entity=entity, payload=payload),
        outbox_event_emit(event_type=action, aggregate=entity, payload=payload),
    )


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
