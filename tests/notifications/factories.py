"""Notifications as the worker leaves them, straight to the database."""

from __future__ import annotations

import uuid

from django.utils import timezone

from notifications.models import Notification


def notify(user, subject="Lesson booked", *, read=False, channel=Notification.Channel.IN_APP) -> Notification:
    """A sent notification to `user` (in-app unless `channel` says otherwise), unread unless `read`."""
    return Notification.objects.create(
        recipient=user,
        event_id=uuid.uuid4(),
        event_type="booking.confirmed",
        channel=channel,
        subject=subject,
        body="Your lesson is on Monday.\nSee you there.",
        link="/accounts/student/",
        status=Notification.Status.SENT,
        read_at=timezone.now() if read else None,
    )
