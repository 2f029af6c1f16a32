"""Notification choices (per kind and channel, reminder times), essential
messages, multipart e-mails with List-Unsubscribe, and in-app notifications
rendered in the viewer's current language and zone."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from notifications import preferences
from notifications.models import Notification, NotificationSettings
from notifications.services import outbox_dispatch
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, TeacherFactory
from tests.notifications.factories import lesson_event

pytestmark = pytest.mark.django_db

PREFERENCES = "/api/v1/notifications/preferences"


@pytest.fixture
def people():
    return StudentFactory(), TeacherFactory()


def channels_of(user, event_type: str) -> set[str]:
    return set(Notification.objects.filter(recipient=user, event_type=event_type).values_list("channel", flat=True))


def test_defaults_are_all_on_and_the_api_spells_them_out(student):
    answer = client_for(student).get(PREFERENCES)
    assert answer.status_code == 200
    assert answer.json() == {
        "kinds": {kind: {"email": True, "in_app": True} for kind in ("reminders", "waitlist", "series", "changes")},
        "reminder_hours": [24, 1],
        "telegram": {"available": False, "linked": False, "username": ""},
    }


def test_a_kind_switched_off_by_email_still_comes_in_app_and_essentials_always_come(people):
    student, teacher = people
    answer = client_for(student).patch(
        PREFERENCES, {"kinds": {"reminders": {"email": False}}, "reminder_hours": [24]}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["kinds"]["reminders"] == {"email": False, "in_app": True}
    assert answer.json()["reminder_hours"] == [24]
    assert AuditLog.objects.filter(action="notifications.preferences.updated").count() == 1

    lesson_event(student, teacher, event_type="lesson.reminder", kind="24h", lesson_id=1)
    lesson_event(student, teacher, event_type="lesson.reminder", kind="1h", lesson_id=1)
    lesson_event(student, teacher, event_type="booking.canceled", lesson_returned=True, booking_id=3)
    client_for(student).patch(PREFERENCES, {"kinds": {"changes": {"email": False, "in_app": False}}}, format="json")
    lesson_event(student, teacher, event_type="booking.rescheduled", lesson_id=1)
    outbox_dispatch()

    reminders = Notification.objects.filter(recipient=student, event_type="lesson.reminder")
    assert [(n.channel, n.params["kind"]) for n in reminders] == [("in_app", "24h")]  # no 1 h one, no e-mail
    assert channels_of(student, "booking.canceled") == {"email", "in_app"}  # essential
    assert channels_of(student, "booking.rescheduled") == set()
    assert channels_of(teacher, "lesson.reminder") == {"email", "in_app"}  # the teacher's own choices


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"kinds": {"gossip": {"email": False}}}, "kinds", "Unknown kind of message: gossip"),
        ({"kinds": {"reminders": {"pigeon": False}}}, "kinds", "Unknown channel: pigeon"),
        ({"kinds": {"reminders": {"email": "no"}}}, "kinds", "expected true or false"),
        ({"kinds": ["reminders"]}, "kinds", "Expected an object of kinds."),
        ({"reminder_hours": [3]}, "reminder_hours", "Choose reminder times among: 24, 1."),
    ],
)
def test_bad_preferences_are_named_and_change_nothing(student, body, field, words):
    client = client_for(student)
    answer = client.patch(PREFERENCES, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "validation_error"
    assert any(words in message for message in error["details"][field]), error
    assert not NotificationSettings.objects.filter(user=student).exists()


def test_the_profile_form_saves_choices(student):
    client = signed_in(student, language="en")
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "Lesson reminders" in html and 'name="reminders__email"' in html
    assert "Telegram" not in html  # no bot: the channel is not offered
    data = {
        f"{kind}__{channel}": "on"
        for kind in preferences.KINDS
        for channel in ("email", "in_app")
        if (kind, channel) != ("waitlist", "email")
    }
    saved = client.post(reverse("notifications:preferences"), {**data, "reminder_hours": ["1"]}, follow=True)
    assert "Your notification choices have been saved." in saved.content.decode()
    summary = preferences.summary(student)
    assert summary["kinds"]["waitlist"] == {"email": False, "in_app": True}
    assert summary["reminder_hours"] == [1]
    bad = client.post(reverse("notifications:preferences"), {"reminder_hours": ["7"]}, follow=True)
    assert "Select a valid choice" in bad.content.decode()
    assert preferences.summary(student)["reminder_hours"] == [1]


def test_every_email_is_multipart_and_only_a_non_essential_one_can_be_unsubscribed(people):
    student, teacher = people
    lesson_event(student, teacher, event_type="lesson.reminder", kind="24h", lesson_id=5)
    lesson_event(student, teacher, event_type="booking.canceled", lesson_returned=True, booking_id=3)
    outbox_dispatch()
    by_event = {
        message.extra_headers["X-GuitarOnline-Event"]: message
        for message in mail.outbox
        if message.to == [student.email]
    }
    reminder, canceled = by_event["lesson.reminder"], by_event["booking.canceled"]
    for message in (reminder, canceled):
        [(html, kind)] = message.alternatives
        assert kind == "text/html" and "<html" in html and message.subject in html
        assert "http://" in message.body  # a working link in the text part too
    assert "List-Unsubscribe" not in canceled.extra_headers
    unsubscribe = reminder.extra_headers["List-Unsubscribe"].strip("<>")
    assert reminder.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe in reminder.body and unsubscribe in {body for body, _ in reminder.alternatives}.pop()

    path = unsubscribe.removeprefix("http://127.0.0.1:8000").removeprefix("http://testserver")
    page = Client().get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Lesson reminders" in page.content.decode()
    assert preferences.summary(student)["kinds"]["reminders"]["email"] is True  # opening the link changes nothing
    one_click = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert preferences.summary(student)["kinds"]["reminders"] == {"email": False, "in_app": True}

    forged = Client().get(reverse("notifications:unsubscribe", args=["not-a-token"]), HTTP_ACCEPT_LANGUAGE="en")
    assert forged.status_code == 400 and "not valid" in forged.content.decode()


def test_in_app_notifications_follow_the_viewers_current_language_and_zone(people):
    student, teacher = people
    start = timezone.now().replace(microsecond=0) + timedelta(days=3)
    lesson_event(student, teacher, start=start, lesson_id=9)
    outbox_dispatch()
    stored = Notification.objects.get(recipient=student, channel="in_app")
    assert stored.template == "booking_confirmed_student" and stored.body == ""

    def shown(user):
        [item] = client_for(user).get("/api/v1/notifications/my").json()["results"]
        return item

    first = shown(student)
    assert first["subject"].startswith("Lesson booked:")
    assert "Europe/Moscow" in first["body"]

    student.language, student.timezone = "ru", "Asia/Tokyo"
    student.save(update_fields=["language", "timezone"])
    again = shown(student)
    assert again["subject"].startswith("Вы записаны на урок:")
    assert "Asia/Tokyo" in again["body"]
    local = timezone.localtime(start, timezone=ZoneInfo("Asia/Tokyo"))
    assert f"{local:%H:%M}" in again["body"]
