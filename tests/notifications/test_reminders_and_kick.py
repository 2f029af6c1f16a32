from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from audit import services as audit_services
from audit.models import OutboxEvent
from booking import services as booking_services
from lessons.models import Lesson
from lessons.services import lesson_reminders_emit
from notifications import services
from tests.factories import StudentFactory, TeacherFactory, make_package, make_slot

pytestmark = pytest.mark.django_db


def booked_lesson(*, starts_in: timedelta, booked_ago: timedelta = timedelta(days=7)) -> Lesson:
    teacher, student = TeacherFactory(), StudentFactory()
    make_package(student)
    slot = make_slot(teacher, starts_in=timedelta(days=5))
    booking = booking_services.booking_hold(student=student, slot_id=slot.pk)
    booking = booking_services.booking_confirm(booking=booking, actor=student)
    start = timezone.now() + starts_in
    Lesson.objects.filter(pk=booking.lesson_id).update(
        start_at=start, end_at=start + timedelta(hours=1), created_at=timezone.now() - booked_ago
    )
    return Lesson.objects.get(pk=booking.lesson_id)


def reminders() -> list[tuple[int, str]]:
    return sorted(
        (int(e.aggregate_id), e.payload["kind"]) for e in OutboxEvent.objects.filter(event_type="lesson.reminder")
    )


def test_the_24_hour_and_1_hour_reminders_are_each_sent_once():
    tomorrow = booked_lesson(starts_in=timedelta(hours=23))
    soon = booked_lesson(starts_in=timedelta(minutes=50))
    later = booked_lesson(starts_in=timedelta(days=3))
    assert lesson_reminders_emit() == 2
    assert lesson_reminders_emit() == 0
    assert reminders() == [(tomorrow.pk, "24h"), (soon.pk, "1h")]
    tomorrow.refresh_from_db()
    assert tomorrow.reminded_24h_at is not None and tomorrow.reminded_1h_at is None
    # an hour before the start, the 1-hour reminder follows, once
    assert lesson_reminders_emit(now=tomorrow.start_at - timedelta(minutes=59)) == 1
    assert lesson_reminders_emit(now=tomorrow.start_at - timedelta(minutes=30)) == 0
    assert (later.pk, "24h") not in reminders()


def test_no_reminder_for_a_lesson_booked_inside_the_lead_or_canceled():
    booked_lesson(starts_in=timedelta(hours=20), booked_ago=timedelta(hours=1))
    canceled = booked_lesson(starts_in=timedelta(hours=20))
    Lesson.objects.filter(pk=canceled.pk).update(status=Lesson.Status.CANCELED)
    assert lesson_reminders_emit() == 0


def test_a_reminder_reaches_both_people_by_email():
    lesson = booked_lesson(starts_in=timedelta(minutes=40))
    OutboxEvent.objects.update(status="processed")  # the booking's own events are not under test
    lesson_reminders_emit()
    services.outbox_dispatch()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([lesson.student.email, lesson.teacher.email])


def test_one_kick_per_transaction_however_many_events(settings, django_capture_on_commit_callbacks, monkeypatch):
    settings.OUTBOX_KICK_ON_COMMIT = True
    sent = []
    monkeypatch.setattr("guitaronline.celery.app.send_task", lambda name, *a, **k: sent.append(name))
    teacher = TeacherFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        for _ in range(3):
            audit_services.outbox_event_emit(event_type="x.happened", aggregate=teacher)
    assert len(callbacks) == 1
    assert sent == ["notifications.dispatch_outbox"]


def test_no_kick_when_the_transaction_rolls_back(settings, django_capture_on_commit_callbacks, monkeypatch):
    settings.OUTBOX_KICK_ON_COMMIT = True
    sent = []
    monkeypatch.setattr("guitaronline.celery.app.send_task", lambda name, *a, **k: sent.append(name))
    teacher = TeacherFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        audit_services.outbox_event_emit(event_type="x.happened", aggregate=teacher)
        raise RuntimeError("rolled back")
    assert sent == []
    assert not OutboxEvent.objects.filter(event_type="x.happened").exists()


def test_a_broker_that_is_down_never_fails_the_request(settings, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr("guitaronline.celery.app.send_task", down)
    audit_services.outbox_kick()  # logs and returns
