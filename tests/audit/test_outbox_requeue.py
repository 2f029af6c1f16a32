"""Requeueing a dead-letter outbox event: the service refuses any other event,
and staff requeue failed events from the admin, with an admin record."""

import pytest
from django.urls import reverse

from audit import services as audit_services
from audit.errors import NotDeadLetter
from audit.models import AdminAction, OutboxEvent
from tests.factories import StaffFactory
from tests.notifications.factories import lesson_event

pytestmark = pytest.mark.django_db


def test_only_failed_events_can_be_requeued(student, teacher):
    event = lesson_event(student, teacher)
    with pytest.raises(NotDeadLetter):
        audit_services.outbox_event_requeue(event=event, actor=StaffFactory())


def test_staff_requeue_dead_letter_events_from_the_admin(client, student, teacher):
    dead = lesson_event(student, teacher)
    OutboxEvent.objects.filter(pk=dead.pk).update(status="failed", attempts=5, last_error="boom")
    fine = lesson_event(student, teacher)
    client.force_login(StaffFactory())
    url = reverse("admin:audit_outboxevent_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "requeue", "_selected_action": [str(dead.pk), str(fine.pk)]}, follow=True)
    dead.refresh_from_db()
    fine.refresh_from_db()
    assert (dead.status, dead.attempts, dead.last_error) == ("pending", 0, "")
    assert fine.status == "pending" and fine.attempts == 0
    assert AdminAction.objects.filter(action="admin.outbox.requeue").count() == 1
    assert client.get(reverse("admin:audit_outboxevent_change", args=[dead.pk])).status_code == 200
