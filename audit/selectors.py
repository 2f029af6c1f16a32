from django.db.models import Count, Q

from audit.models import OutboxEvent


def outbox_backlog_counts(*, max_retries: int) -> dict[str, int]:
    """Events not processed yet: pending, and failed ones split by `max_retries`
    into those that will be retried and the dead letter. Reads only those rows
    (by the status index), however many processed events the outbox keeps."""
    return OutboxEvent.objects.filter(status__in=[OutboxEvent.Status.PENDING, OutboxEvent.Status.FAILED]).aggregate(
        pending=Count("pk", filter=Q(status=OutboxEvent.Status.PENDING)),
        failed_retryable=Count("pk", filter=Q(status=OutboxEvent.Status.FAILED, attempts__lt=max_retries)),
        failed_dead_letter=Count("pk", filter=Q(status=OutboxEvent.Status.FAILED, attempts__gte=max_retries)),
    )


def outbox_counts(*, max_retries: int) -> dict[str, int]:
    """Outbox totals: the backlog (`outbox_backlog_counts`) and the processed events."""
    counts = outbox_backlog_counts(max_retries=max_retries)
    counts["processed"] = OutboxEvent.objects.filter(status=OutboxEvent.Status.PROCESSED).count()
    counts["failed"] = counts["failed_retryable"] + counts["failed_dead_letter"]
    counts["total"] = counts["pending"] + counts["processed"] + counts["failed"]
    return counts
