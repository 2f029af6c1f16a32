"""The feed link: shown and replaced on the profile page and through the API,
by the staff admin for a leaked link; the old URL is dead at once."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from accounts import services as account_services
from accounts.models import User
from audit.models import AdminAction, AuditLog, OutboxEvent
from tests.clients import client_for, signed_in
from tests.factories import StaffFactory, StudentFactory, book, in_days, slot_at
from tests.lessons.calendar_helpers import feed_path, fetch_feed

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/identity/users/me/calendar"
ROTATE_URL = "/api/v1/identity/users/me/calendar/rotate"


def token_of(user) -> str:
    return User.objects.values_list("calendar_token", flat=True).get(pk=user.pk)


# --- the token -----------------------------------------------------------------------


def test_every_user_has_an_own_unguessable_token(new_york_student, berlin_teacher):
    tokens = {token_of(new_york_student), token_of(berlin_teacher), token_of(StudentFactory())}
    assert len(tokens) == 3
    assert all(len(token) == 43 for token in tokens)  # secrets.token_urlsafe(32): 256 bits


def test_rotation_kills_the_old_url_at_once_and_the_new_one_works(berlin_teacher, new_york_student):
    lesson = book(new_york_student, slot_at(berlin_teacher, in_days(4))).lesson
    old_path = feed_path(new_york_student)
    assert Client().get(old_path).status_code == 200

    account_services.user_calendar_token_rotate(user=new_york_student)
    new_york_student.refresh_from_db()

    assert Client().get(old_path).status_code == 404
    assert feed_path(new_york_student) != old_path
    assert [str(e["UID"]).split("@")[0] for e in fetch_feed(new_york_student).walk("VEVENT")] == [f"lesson-{lesson.pk}"]
    record = AuditLog.objects.get(action="identity.user.calendar_token_rotated")
    assert (record.actor_id, record.entity_id) == (new_york_student.pk, str(new_york_student.pk))
    assert token_of(new_york_student) not in str(record.payload)
    assert not OutboxEvent.objects.filter(event_type="identity.user.calendar_token_rotated").exists()


# --- API -----------------------------------------------------------------------------------


def test_api_gives_the_feed_url(settings, new_york_student):
    settings.SITE_URL = "https://school.example"
    response = client_for(new_york_student).get(API_URL)
    assert response.status_code == 200
    assert response.json() == {"url": f"https://school.example/calendar/{token_of(new_york_student)}.ics"}


def test_api_rotate_gives_a_new_url_and_the_old_one_is_404(new_york_student):
    api = client_for(new_york_student)
    old = api.get(API_URL).json()["url"]
    response = api.post(ROTATE_URL)
    assert response.status_code == 200
    new = response.json()["url"]
    assert new != old
    assert new.endswith(f"/calendar/{token_of(new_york_student)}.ics")
    assert api.get(API_URL).json() == {"url": new}
    assert Client().get(old.removeprefix("http://127.0.0.1:8000")).status_code == 404
    assert Client().get(new.removeprefix("http://127.0.0.1:8000")).status_code == 200


def test_api_rotate_honours_the_idempotency_key(new_york_student):
    api = client_for(new_york_student)
    first = api.post(ROTATE_URL, HTTP_IDEMPOTENCY_KEY="rotate-1")
    token = token_of(new_york_student)
    repeat = api.post(ROTATE_URL, HTTP_IDEMPOTENCY_KEY="rotate-1")
    assert repeat.json() == first.json()
    assert repeat["Idempotent-Replayed"] == "true"
    assert token_of(new_york_student) == token
    assert AuditLog.objects.filter(action="identity.user.calendar_token_rotated").count() == 1


@pytest.mark.parametrize(("method", "url"), [("get", API_URL), ("post", ROTATE_URL)])
def test_api_needs_a_signed_in_user(api, new_york_student, method, url):
    token = token_of(new_york_student)
    response = getattr(api, method)(url)
    assert response.status_code == 401
    assert set(response.json()) == {"error"}
    assert token_of(new_york_student) == token


def test_api_rotate_changes_only_the_callers_token(new_york_student, berlin_teacher):
    other = token_of(berlin_teacher)
    client_for(new_york_student).post(ROTATE_URL)
    assert token_of(berlin_teacher) == other


def test_api_get_only_reads(new_york_student):
    token = token_of(new_york_student)
    assert client_for(new_york_student).post(API_URL).status_code == 405
    assert client_for(new_york_student).get(ROTATE_URL).status_code == 405
    assert token_of(new_york_student) == token


def test_the_api_teacher_shows_the_booking_rules(api, berlin_teacher, settings):
    settings.BOOKING_MIN_NOTICE_HOURS = 3
    body = api.get(f"/api/v1/teachers/{berlin_teacher.pk}").json()
    assert (body["min_notice_hours"], body["buffer_minutes"]) == (3, 0)
    berlin_teacher.teacher_profile.min_notice_hours, berlin_teacher.teacher_profile.buffer_minutes = 12, 20
    berlin_teacher.teacher_profile.save()
    body = api.get(f"/api/v1/teachers/{berlin_teacher.pk}").json()
    assert (body["min_notice_hours"], body["buffer_minutes"]) == (12, 20)


# --- the profile page ---------------------------------------------------------------------


def test_the_profile_page_shows_the_link_and_the_rotate_form(new_york_student):
    html = signed_in(new_york_student).get(reverse("accounts:profile")).content.decode()
    assert f'value="{new_york_student.get_calendar_feed_url()}"' in html
    assert f'action="{reverse("accounts:calendar-rotate")}"' in html
    assert "Replace the link" in html


def test_the_profile_rotate_form_needs_csrf(new_york_student):
    client = Client(enforce_csrf_checks=True)
    client.force_login(new_york_student)
    token = token_of(new_york_student)
    assert client.post(reverse("accounts:calendar-rotate")).status_code == 403
    assert token_of(new_york_student) == token

    client.get(reverse("accounts:profile"))  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    old_path = feed_path(new_york_student)
    response = client.post(reverse("accounts:calendar-rotate"), {"csrfmiddlewaretoken": csrf})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:profile") + "#calendar"
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Your calendar link has been replaced. The old link no longer works: subscribe again with the new one."
    ]
    assert token_of(new_york_student) != token
    assert Client().get(old_path).status_code == 404
    new_york_student.refresh_from_db()
    assert new_york_student.get_calendar_feed_url() in client.get(reverse("accounts:profile")).content.decode()


def test_the_rotate_page_refuses_get_and_visitors(new_york_student):
    token = token_of(new_york_student)
    assert signed_in(new_york_student).get(reverse("accounts:calendar-rotate")).status_code == 405
    response = Client().post(reverse("accounts:calendar-rotate"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert token_of(new_york_student) == token


# --- the admin ------------------------------------------------------------------------------


def test_staff_replace_a_leaked_link_from_the_admin(new_york_student, berlin_teacher):
    staff = StaffFactory()
    old_path, others = feed_path(new_york_student), token_of(berlin_teacher)
    response = signed_in(staff).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "rotate_calendar_links", "_selected_action": [new_york_student.pk]},
    )
    assert response.status_code == 302
    assert Client().get(old_path).status_code == 404
    assert token_of(berlin_teacher) == others
    assert AdminAction.objects.filter(actor=staff, action="admin.user.calendar_token_rotate").count() == 1
    record = AuditLog.objects.get(action="identity.user.calendar_token_rotated")
    assert record.actor_id == staff.pk and record.payload == {"by_staff": True}
