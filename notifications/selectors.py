from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from audit.selectors import outbox_counts
from guitaronline.core import retries, viewcache
from guitaronline.core.errors import NotFound
from notifications.models import Notification


def notifications_for_user(*, user, unread: bool | None = None) -> QuerySet[Notification]:
    """The user's in-app notifications, newest first."""
    inbox = Notification.objects.filter(recipient=user, channel=Notification.Channel.IN_APP)
    if unread is True:
        inbox = inbox.filter(read_at__isnull=True)
    elif unread is False:
        inbox = inbox.filter(read_at__isnull=False)
    return inbox.order_by("-created_at", "-pk")


def notification_for_user(*, user, notification_id) -> Notification:
    try:
        return notifications_for_user(user=user).get(pk=notification_id)
    except (Notification.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound() from exc


def delivery_metrics() -> dict:
    """Notification totals by status and channel, e-mail failures split into
    retryable and dead-letter, and the outbox queue (SPEC §3)."""
    email = Q(channel=Notification.Channel.EMAIL)
    counts = Notification.objects.aggregate(
        total=Count("pk"),
        pending=Count("pk", filter=Q(status=Notification.Status.PENDING)),
        sending=Count("pk", filter=Q(status=Notification.Status.SENDING)),
        sent=Count("pk", filter=Q(status=Notification.Status.SENT)),
        failed=Count("pk", filter=Q(status=Notification.Status.FAILED)),
        email_total=Count("pk", filter=email),
        email_failed_retryable=Count("pk", filter=email & retries.failed_retryable()),
        email_failed_dead_letter=Count("pk", filter=email & retries.dead_letter()),
        in_app_total=Count("pk", filter=Q(channel=Notification.Channel.IN_APP)),
        in_app_unread=Count("pk", filter=Q(channel=Notification.Channel.IN_APP, read_at__isnull=True)),
    )
    return {
        "max_retries": retries.max_retries(),
        "notifications": {key: counts[key] for key in ("total", "pending", "sending", "sent", "failed")},
        "email": {
            "total": counts["email_total"],
            "failed_retryable": counts["email_failed_retryable"],
            "failed_dead_letter": counts["email_failed_dead_letter"],
        },
        "in_app": {"total": counts["in_app_total"], "unread": counts["in_app_unread"]},
        "outbox": outbox_counts(),
    }


def unread_count(*, user) -> int:
    """The user's unread in-app notifications, kept until a notification of
    theirs is made, read or changed (`guitaronline.core.viewcache`)."""
    count = notifications_for_user(user=user, unread=True).count
    return viewcache.value("unread-count", owner=user.pk, keys=[], compute=lambda: (count(), None))


def failed_notifications_count() -> int:
    return Notification.objects.filter(status=Notification.Status.FAILED).count()
