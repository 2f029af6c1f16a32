import dataclasses
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit import services as audit_services
from audit.models import AdminAction, OutboxEvent
from notifications import rendering, services
from notifications.models import Notification
from tests.clients import signed_in
from tests.factories import StaffFactory, StudentFactory, TeacherFactory
from tests.notifications.factories import lesson_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    student = StudentFactory(language="en", timezone="Europe/Moscow", full_name="Sam Student")
    teacher = TeacherFactory(language="ru", timezone="Europe/Berlin", full_name="Анна Струнова")
    return student, teacher


def test_a_confirmed_booking_notifies_student_and_teacher_in_app_and_by_email(people):
    student, teacher = people
    event = lesson_event(student, teacher)
    result = services.outbox_dispatch()
    assert (result.events_processed, result.emails_sent) == (1, 2)
    event.refresh_from_db()
    assert event.status == "processed" and event.processed_at is not None
    assert Notification.objects.filter(channel="in_app", status="sent").count() == 2
    assert Notification.objects.filter(channel="email", status="sent").count() == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted([student.email, teacher.email])
    assert all(message.extra_headers["Message-ID"].startswith("<") for message in mail.outbox)


def test_each_email_is_in_the_recipients_language_and_time_zone(people):
    student, teacher = people
    start = datetime(2027, 3, 2, 15, 0, tzinfo=ZoneInfo("UTC"))
    lesson_event(student, teacher, start=start)
    services.outbox_dispatch()
    to_student = next(m for m in mail.outbox if m.to == [student.email])
    to_teacher = next(m for m in mail.outbox if m.to == [teacher.email])
    assert "Lesson booked" in to_student.subject
    assert "18:00" in to_student.body and "Europe/Moscow" in to_student.body  # UTC+3
    assert "Tuesday" in to_student.body and "Анна Струнова" in to_student.body
    assert "Новый урок" in to_teacher.subject
    assert "16:00" in to_teacher.body and "Europe/Berlin" in to_teacher.body  # UTC+1 in winter
    assert "вторник" in to_teacher.body and "Sam Student" in to_teacher.body


def test_a_lesson_right_after_the_dst_change_shows_the_new_offset(people):
    student, teacher = people
    # Berlin moves to summer time on Sunday 28 March 2027 at 02:00 (UTC+2 from then on)
    start = datetime(2027, 3, 28, 8, 0, tzinfo=ZoneInfo("UTC"))
    lesson_event(student, teacher, start=start)
    services.outbox_dispatch()
    to_teacher = next(m for m in mail.outbox if m.to == [teacher.email])
    assert "10:00" in to_teacher.body  # 08:00 UTC is 10:00 CEST, not 09:00 CET
    assert "28 марта" in to_teacher.body


def test_an_event_nobody_is_told_about_is_just_processed(people):
    OutboxEvent.objects.create(event_type="scheduling.slot.created", aggregate_type="x", aggregate_id="1")
    result = services.outbox_dispatch()
    assert result.events_processed == 1
    assert not Notification.objects.exists()


def test_processing_an_event_twice_never_notifies_twice(people):
    student, teacher = people
    event = lesson_event(student, teacher)
    services.outbox_process_batch()
    OutboxEvent.objects.filter(pk=event.pk).update(status="pending")  # as if a worker died before its commit
    services.outbox_process_batch()
    assert Notification.objects.count() == 4  # 2 people x 2 channels, once


def test_a_failing_event_is_retried_with_exponential_backoff_then_dead_lettered(people, settings, monkeypatch):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_MAX_RETRIES = 3
    student, teacher = people
    event = lesson_event(student, teacher)

    def broken(event, users):
        raise RuntimeError("template missing")

    monkeypatch.setitem(services.rules.RULES, "booking.confirmed", broken)
    now = timezone.now()
    expected_delays = [30, 60, 120]
    for attempt, delay in enumerate(expected_delays, start=1):
        result = services.outbox_process_batch(now=now)
        assert result.events_failed == 1
        event.refresh_from_db()
        assert (event.status, event.attempts) == ("failed", attempt)
        assert event.next_attempt_at == now + timedelta(seconds=delay)
        assert "template missing" in event.last_error
        assert services.outbox_process_batch(now=now).events_failed == 0  # not due yet
        now = event.next_attempt_at
    # dead letter: attempts reached max_retries, never claimed again
    assert services.outbox_process_batch(now=now + timedelta(days=1)).events_failed == 0
    assert not Notification.objects.exists()

    monkeypatch.undo()
    staff = StaffFactory()
    audit_services.outbox_event_requeue(event=event, actor=staff)
    event.refresh_from_db()
    assert (event.status, event.attempts, event.last_error) == ("pending", 0, "")
    assert AdminAction.objects.filter(action="admin.outbox.requeue", target_id=str(event.pk)).count() == 1
    assert services.outbox_dispatch().events_processed == 1
    assert len(mail.outbox) == 2


def test_one_event_whose_rows_the_database_refuses_fails_alone(people, monkeypatch, postgres_only):
    """The batch's notifications go in one INSERT; when it fails, each event is
    tried on its own, so one bad event neither blocks nor loses the others."""
    student, teacher = people
    good = lesson_event(student, teacher)
    bad = lesson_event(student, teacher, event_type="test.too_long")
    later = lesson_event(student, teacher, event_type="booking.expired")

    expired = services.rules.RULES["booking.expired"]

    def too_long(event, users):  # a link over the column's 500 characters: PostgreSQL refuses the row
        return [dataclasses.replace(message, link="/" + "x" * 600) for message in expired(event, users)]

    monkeypatch.setitem(services.rules.RULES, "test.too_long", too_long)
    result = services.outbox_process_batch()

    assert (result.events_processed, result.events_failed) == (2, 1)
    statuses = dict(OutboxEvent.objects.values_list("pk", "status"))
    assert (statuses[good.pk], statuses[bad.pk], statuses[later.pk]) == ("processed", "failed", "processed")
    bad.refresh_from_db()
    assert bad.attempts == 1 and "DataError" in bad.last_error
    assert not Notification.objects.filter(event_id=bad.pk).exists()
    assert Notification.objects.filter(event_id=good.pk).count() == 4
    assert Notification.objects.filter(event_id=later.pk).exists()


def test_smtp_failures_retry_with_backoff_and_dead_letter(people, settings, monkeypatch):
    settings.OUTBOX_MAX_RETRIES = 3
    student, teacher = people
    lesson_event(student, teacher)
    services.outbox_process_batch()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens there
    now = timezone.now()
    for attempt in range(1, 4):
        result = services.email_send_due(now=now)
        assert result.emails_failed == 2
        emails = Notification.objects.filter(channel="email")
        assert {(n.status, n.attempts) for n in emails} == {("failed", attempt)}
        now = emails[0].next_attempt_at
    assert services.email_send_due(now=now + timedelta(days=1)).emails_failed == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    email = Notification.objects.filter(channel="email").first()
    services.notification_requeue(notification=email, actor=StaffFactory())
    assert services.email_send_due().emails_sent == 1
    assert len(mail.outbox) == 1


def test_an_email_claimed_by_another_worker_is_not_sent_again(people):
    student, teacher = people
    lesson_event(student, teacher)
    services.outbox_process_batch()
    first = Notification.objects.filter(channel="email").first()
    Notification.objects.filter(pk=first.pk).update(status="sending", sending_since=timezone.now())
    result = services.email_send_due()
    assert result.emails_sent == 1
    assert [m.to[0] for m in mail.outbox] != [first.recipient.email] * 2


def test_an_email_stuck_sending_becomes_a_visible_failure_not_a_resend(people, settings):
    settings.NOTIFICATION_SENDING_LEASE_SECONDS = 60
    settings.OUTBOX_MAX_RETRIES = 3
    student, teacher = people
    lesson_event(student, teacher)
    services.outbox_process_batch()
    stuck = Notification.objects.filter(channel="email").first()
    Notification.objects.filter(pk=stuck.pk).update(
        status="sending", sending_since=timezone.now() - timedelta(minutes=5)
    )
    result = services.outbox_dispatch()
    assert result.emails_unknown == 1 and result.emails_sent == 1
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.attempts >= 3
    assert "outcome unknown" in stuck.last_error
    assert len(mail.outbox) == 1


def test_reschedule_parts_are_told_once(people):
    student, teacher = people
    lesson_event(student, teacher, event_type="booking.canceled", lesson_returned=True, rescheduling=True)
    lesson_event(student, teacher, event_type="booking.confirmed", rescheduled_from=7)
    lesson_event(
        student,
        teacher,
        event_type="booking.rescheduled",
        previous_start_at=(timezone.now() + timedelta(days=2)).isoformat(),
    )
    services.outbox_dispatch()
    assert set(Notification.objects.values_list("event_type", flat=True)) == {"booking.rescheduled"}


def test_canceling_only_a_hold_tells_nobody(people):
    student, teacher = people
    lesson_event(student, teacher, event_type="booking.canceled", lesson_returned=None)
    services.outbox_dispatch()
    assert not Notification.objects.exists()


def test_cancel_email_says_whether_the_lesson_came_back(people):
    student, teacher = people
    lesson_event(student, teacher, event_type="booking.canceled", lesson_returned=False)
    services.outbox_dispatch()
    body = next(m for m in mail.outbox if m.to == [student.email]).body
    assert "not returned" in body and "24 hours" in body


def test_messages_link_to_the_lesson_or_the_booking(people):
    student, teacher = people
    lesson_event(student, teacher, lesson_id=41)
    lesson_event(student, teacher, event_type="booking.canceled", lesson_returned=True, booking_id=7)
    services.outbox_dispatch()
    links = {(n.event_type, n.recipient_id, n.link) for n in Notification.objects.filter(channel="in_app")}
    assert ("booking.confirmed", student.pk, "/lessons/41/") in links
    assert ("booking.confirmed", teacher.pk, "/lessons/41/") in links
    assert ("booking.canceled", student.pk, "/bookings/7/") in links
    assert ("booking.canceled", teacher.pk, "/teacher/") in links


def test_names_and_words_are_never_html_escaped_in_text(people):
    student, _teacher = people
    teacher = TeacherFactory(full_name="Dan O'Brien & Co <Guitars>")
    lesson_event(student, teacher)
    services.outbox_dispatch()
    [email] = [message for message in mail.outbox if message.to == [student.email]]
    assert "Dan O'Brien & Co <Guitars>" in email.body and "&amp;" not in email.body and "&#x27;" not in email.body
    [html] = [body for body, kind in email.alternatives if kind == "text/html"]
    assert "Dan O&#x27;Brien &amp; Co &lt;Guitars&gt;" in html and "<Guitars>" not in html  # HTML escapes it
    in_app = Notification.objects.get(recipient=student, channel="in_app")
    assert "Dan O'Brien & Co <Guitars>" in in_app.content.body
    page = signed_in(student).get(reverse("notifications:list")).content.decode()
    assert "Dan O&#x27;Brien &amp; Co &lt;Guitars&gt;" in page and "<Guitars>" not in page  # the page escapes it


def test_a_russian_date_inside_a_sentence_never_follows_a_preposition_in_the_nominative(people):
    student = StudentFactory(language="ru", timezone="Europe/Moscow")
    saturday = datetime(2027, 3, 6, 15, 0, tzinfo=ZoneInfo("UTC"))  # 18:00 in Moscow
    for template in ("booking_canceled_student", "booking_canceled_teacher"):
        context = {"start": saturday, "teacher_name": "Анна", "student_name": "Олег", "lesson_returned": True}
        with rendering.recipient_locale(student):
            body = rendering.render(template, context, recipient=student).body
        assert "суббота, 6 марта 2027, 18:00" in body
        assert not any(f"{word} суббота" in body for word in ("на", "в", "во")), body


WEEKDAYS_RU = ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье")


def test_no_russian_message_puts_a_weekday_in_the_nominative_after_a_word(people):
    """Every notification template, rendered in Russian about a Saturday: a
    weekday name mid-sentence stands after a colon, a dash or a bracket,
    never after a preposition or a noun ("на суббота", "урок суббота")."""
    student = StudentFactory(language="ru", timezone="Europe/Moscow", full_name="Олег")
    saturday = datetime(2027, 3, 6, 15, 0, tzinfo=ZoneInfo("UTC"))
    context = {
        "start": saturday,
        "end": saturday + timedelta(hours=1),
        "previous_start": saturday - timedelta(days=1),
        "new_start": saturday + timedelta(days=7),
        "expires": saturday + timedelta(days=1),
        "teacher_name": "Анна",
        "student_name": "Олег",
        "name": "Олег",
        "lesson_returned": True,
        "booked": [saturday, saturday + timedelta(days=7)],
        "not_booked": [{"date": saturday.date(), "reason": "taken"}],
        "local_time": saturday.time(),
        "lessons_left": 1,
        "lessons_total": 5,
        "lessons_returned": 1,
        "amount": "5000.00",
        "currency": "RUB",
        "payment_id": 1,
        "email": "oleg@example.org",
        "previous": "old@example.org",
        "hours": 72,
        "minutes": 180,
        "kind": "24h",
        "reason": "Болею",
        "message": "Извините",
        "at": saturday,
        "address": "203.0.113.7",
    }
    after_a_word = re.compile(rf"[а-яё]+ ({'|'.join(WEEKDAYS_RU)})\b")
    templates = sorted(path.stem for path in (settings.BASE_DIR / "templates" / "notifications").glob("*.txt"))
    assert len(templates) >= 30
    for template in templates:
        with rendering.recipient_locale(student):
            words = rendering.render(template, context, recipient=student)
        text = f"{words.subject}\n{words.body}"
        assert not after_a_word.search(text), (template, text)
