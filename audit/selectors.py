from django.db.models import Count, Q

from audit.models import OutboxEvent


def outbox_counts(*, max_retries: int) -> dict[str, int]:
    """Outbox totals; failed events split by `max_retries` into those that will
    be retried and those left in the dead-letter state."""
    counts = OutboxEvent.objects.aggregate(
        pending=Count("pk", filter=Q(status=OutboxEvent.Status.PENDING)),
        processed=Count("pk", filter=Q(status=OutboxEvent.Status.PROCESSED)),
        failed_retryable=Count("pk", filter=Q(status=OutboxEvent.Status.FAILED, attempts__lt=max_retries)),
        failed_dead_letter=Count("pk", filter=Q(status=OutboxEvent.Status.FAILED, attempts__gte=max_retries)),
    )
    counts["failed"] = counts["failed_retryable"] + counts["failed_dead_letter"]
    counts["total"] = counts["pending"] + counts["processed"] + counts["failed"]
    return counts
