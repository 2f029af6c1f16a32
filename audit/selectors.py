from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Min, Q, QuerySet
from django.db.models.functions import Coalesce

from audit.models import OutboxEvent
from guitaronline.core import retries


def outbox_backlog_counts() -> dict[str, int]:
    """Events not processed yet: pending, and failed ones split into those
    that will be retried and the dead letter (`guitaronline.core.retries`).
    Reads only those rows (by the status index), however many processed
    events the outbox keeps."""
    return OutboxEvent.objects.filter(status__in=[OutboxEvent.Status.PENDING, OutboxEvent.Status.FAILED]).aggregate(
        pending=Count("pk", filter=Q(status=OutboxEvent.Status.PENDING)),
        failed_retryable=Count("pk", filter=retries.failed_retryable()),
        failed_dead_letter=Count("pk", filter=retries.dead_letter()),
    )


def outbox_counts() -> dict[str, int]:
    """Outbox totals: the backlog (`outbox_backlog_counts`) and the processed events."""
    counts = outbox_backlog_counts()
    counts["processed"] = OutboxEvent.objects.filter(status=OutboxEvent.Status.PROCESSED).count()
    counts["failed"] = counts["failed_retryable"] + counts["failed_dead_letter"]
    counts["total"] = counts["pending"] + counts["processed"] + counts["failed"]
    return counts


def outbox_oldest_due_age_seconds(*, now: datetime) -> float:
    """How long the oldest event the dispatcher would claim now has waited
    (0 when none is due): grows when no worker or no beat dispatches."""
    due_since = OutboxEvent.objects.retryable_due(now=now).aggregate(
        oldest=Min(Coalesce("next_attempt_at", "created_at"))
    )["oldest"]
    return max((now - due_since).total_seconds(), 0.0) if due_since else 0.0


def outbox_pending() -> QuerySet[OutboxEvent]:
    """Events not yet processed, oldest first."""
    return OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).order_by("created_at")
