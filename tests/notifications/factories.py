"""Outbox events about a lesson, as booking emits them, and the notifications
the worker leaves: straight to the database."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from audit.models import OutboxEvent
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


def lesson_event(student, teacher, *, event_type="booking.confirmed", start=None, **extra) -> OutboxEvent:
    """A pending outbox event of `event_type` about a lesson of `student` with
    `teacher`, three days ahead unless `start` says otherwise."""
    start = start or timezone.now() + timedelta(days=3)
    return OutboxEvent.objects.create(
        event_type=event_type,
        aggregate_type="booking.booking",
        aggregate_id="1",
        payload={
            "student_id": student.pk,
            "teacher_id": teacher.pk,
            "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=1)).isoformat(),
            **extra,
        },
    )
