"""Wrong passwords for one account from one address pause that account's
logins from there, in the API and on the login pages (the site's and the
staff console's) alike, before any password is checked; the owner is not
locked out from anywhere else and is told by e-mail, once per window."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient

from audit.models import AuditLog, OutboxEvent
from notifications.models import Notification
from notifications.services import outbox_dispatch
from tests.clients import client_for
from tests.factories import PASSWORD, StudentFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/identity/auth/login"
HOME, AWAY, CAFE = "203.0.113.7", "198.51.100.9", "192.0.2.44"
WRONG = "not-the-password"
NEW_PASSWORD = "An0ther-str0ng-passphrase"
MOMENT = datetime(2027, 3, 6, 15, 0, tzinfo=UTC)  # 18:00 in Moscow


@pytest.fixture(autouse=True)
def limits(settings):
    """Three wrong passwords pause for 15 minutes; the per-IP limit stays out of the way."""
    settings.AUTH_LOGIN_ACCOUNT_FAILURES = 3
    settings.AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS = 900
    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = 1000
    return settings


def api_login(email: str, password: str, ip: str = HOME):
    return APIClient().post(
        LOGIN, {"email": email, "password": password}, format="json", REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en"
    )


def page_login(email: str, password: str, ip: str = HOME, path: str | None = None):
    client = Client(REMOTE_ADDR=ip)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client, client.post(path or reverse("accounts:login"), {"username": email, "password": password})


def fail(email: str, times: int = 3, ip: str = HOME) -> None:
    for _ in range(times):
        assert api_login(email, WRONG, ip).status_code == 401


def paused(response) -> bool:
    return response.status_code == 429 and response.json()["error"]["code"] == "login_paused"


def reset_password(user, password: str) -> None:
    """Choose a new password through the reset link's pages, as its owner would."""
    client = Client()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = reverse("accounts:password-reset-confirm", args=[uid, default_token_generator.make_token(user)])
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": password, "new_password2": password})
    assert done["Location"] == reverse("accounts:password-reset-complete")


# --- the pause ---------------------------------------------------------------------------------


def test_wrong_passwords_pause_the_account_there_even_for_the_right_one_unchecked(
    student, frozen_now, hasher_calls, django_assert_num_queries
):
    frozen_now(MOMENT)
    fail(student.email)
    checked = len(hasher_calls)

    with django_assert_num_queries(0):
        response = api_login(student.email, PASSWORD)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "login_paused"
    assert error["message"] == (
        "Too many failed logins to this account from your address: logins from here are paused. "
        "Try again in 15 minutes, or reset your password."
    )
    assert error["details"] == {"retry_after": 900}
    assert response["Retry-After"] == "900"
    assert len(hasher_calls) == checked  # the password was never checked
    student.refresh_from_db()
    assert student.last_login is None
    assert not AuditLog.objects.filter(action="identity.user.logged_in").exists()


def test_the_login_page_counts_with_the_api_and_shows_the_pause_as_a_form_error(student, hasher_calls):
    fail(student.email, times=2)
    _, wrong = page_login(student.email, WRONG)
    assert "Please enter a correct" in wrong.content.decode()
    checked = len(hasher_calls)

    client, response = page_login(student.email, PASSWORD)
    assert response.status_code == 200
    [error] = response.context["form"].non_field_errors()
    assert error == (
        "Too many failed logins to this account from your address: logins from here are paused. "
        "Try again in 15 minutes, or reset your password."
    )
    assert error in response.content.decode()
    assert f'href="{reverse("accounts:password-reset")}"' in response.content.decode()
    assert SESSION_KEY not in client.session
    assert len(hasher_calls) == checked
    assert paused(api_login(student.email, PASSWORD))


def test_the_staff_console_login_is_under_the_same_rule(staff, hasher_calls):
    fail(staff.email)
    checked = len(hasher_calls)
    client, response = page_login(staff.email, PASSWORD, path=reverse("admin:login"))
    assert response.status_code == 200
    assert "logins from here are paused" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert len(hasher_calls) == checked

    client, response = page_login(staff.email, PASSWORD, ip=AWAY, path=reverse("admin:login"))
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == staff.pk


def test_another_address_still_logs_in_with_the_right_password(student):
    fail(student.email, ip=HOME)
    assert api_login(student.email, PASSWORD, ip=AWAY).status_code == 200
    client, response = page_login(student.email, PASSWORD, ip=AWAY)
    assert response.status_code == 302
    assert int(client.session[SESSION_KEY]) == student.pk
    assert paused(api_login(student.email, PASSWORD, ip=HOME))


def test_another_account_from_the_same_address_is_unaffected(student):
    other = StudentFactory()
    fail(student.email)
    assert api_login(other.email, WRONG).status_code == 401
    assert api_login(other.email, PASSWORD).status_code == 200
    assert paused(api_login(student.email, PASSWORD))


def test_the_pause_follows_the_account_whatever_the_case_of_its_email(student):
    fail(student.email.upper())
    assert paused(api_login(student.email, PASSWORD))


def test_an_unknown_email_is_counted_and_paused_the_same_way(student, frozen_now, hasher_calls):
    frozen_now(MOMENT)
    fail("nobody@example.org")
    checked = len(hasher_calls)
    unknown = api_login("nobody@example.org", PASSWORD)
    assert len(hasher_calls) == checked
    fail(student.email)
    known = api_login(student.email, PASSWORD)

    assert paused(unknown)
    assert unknown.json() == known.json()
    assert unknown["Retry-After"] == known["Retry-After"]
    assert [event.aggregate_id for event in OutboxEvent.objects.filter(event_type="identity.login.paused")] == [
        str(student.pk)
    ]


def test_the_right_password_forgets_the_wrong_ones_of_its_address_only(student):
    fail(student.email, times=2)
    assert api_login(student.email, PASSWORD).status_code == 200
    fail(student.email, times=2)
    assert api_login(student.email, PASSWORD).status_code == 200  # four wrong in all, never three since a success

    fail(student.email, times=2, ip=HOME)
    assert api_login(student.email, PASSWORD, ip=AWAY).status_code == 200  # another address forgets its own
    fail(student.email, times=1, ip=HOME)
    assert paused(api_login(student.email, PASSWORD, ip=HOME))


def test_the_pause_ends_with_the_window(student, frozen_now):
    frozen_now(MOMENT)
    fail(student.email)
    frozen_now(MOMENT + timedelta(seconds=899))
    response = api_login(student.email, PASSWORD)
    assert paused(response)
    assert response.json()["error"]["details"] == {"retry_after": 1}
    assert "Try again in 1 minute," in response.json()["error"]["message"]

    frozen_now(MOMENT + timedelta(seconds=900))
    assert api_login(student.email, PASSWORD).status_code == 200
    fail(student.email, times=2)  # counted afresh
    assert api_login(student.email, PASSWORD).status_code == 200


def test_a_short_window_expires_in_the_store_and_the_next_pause_is_told_again(student, settings):
    settings.AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS = 1
    fail(student.email)
    assert paused(api_login(student.email, PASSWORD))
    time.sleep(1.1)
    assert api_login(student.email, PASSWORD).status_code == 200
    fail(student.email)
    assert paused(api_login(student.email, PASSWORD))

    outbox_dispatch()
    assert [email.to for email in mail.outbox] == [[student.email], [student.email]]


# --- a new password lifts the pauses ------------------------------------------------------------


def test_a_password_reset_lifts_every_pause_of_the_account(student, django_capture_on_commit_callbacks):
    other = StudentFactory()
    fail(student.email, ip=HOME)
    fail(student.email, ip=AWAY)
    fail(student.email, times=2, ip=CAFE)
    fail(other.email, ip=HOME)
    assert paused(api_login(student.email, PASSWORD, ip=HOME))

    with django_capture_on_commit_callbacks(execute=True):
        reset_password(student, NEW_PASSWORD)

    assert api_login(student.email, NEW_PASSWORD, ip=HOME).status_code == 200
    assert api_login(student.email, NEW_PASSWORD, ip=AWAY).status_code == 200
    fail(student.email, times=2, ip=CAFE)  # counted afresh: two more are not three
    assert api_login(student.email, NEW_PASSWORD, ip=CAFE).status_code == 200
    assert paused(api_login(other.email, PASSWORD, ip=HOME))  # another account's pause stays
    fail(student.email, ip=HOME)
    assert paused(api_login(student.email, NEW_PASSWORD, ip=HOME))  # and the rule goes on


def test_a_password_change_lifts_the_pauses_too(student, django_capture_on_commit_callbacks):
    fail(student.email)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(student).post(
            "/api/v1/identity/users/me/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
            format="json",
        )
    assert response.status_code == 204
    assert api_login(student.email, NEW_PASSWORD).status_code == 200


# --- the owner is told -------------------------------------------------------------------------


def test_the_owner_is_told_by_email_once_per_window(student, frozen_now):
    frozen_now(MOMENT)
    fail(student.email, ip=HOME)
    fail(student.email, ip=AWAY)  # a second address reaches the limit in the same window
    assert paused(api_login(student.email, WRONG, ip=HOME))

    [event] = OutboxEvent.objects.filter(event_type="identity.login.paused")
    assert event.aggregate_id == str(student.pk)
    assert event.payload["source"] == HOME
    assert datetime.fromisoformat(event.payload["at"]) == MOMENT
    assert datetime.fromisoformat(event.payload["until"]) == MOMENT + timedelta(minutes=15)
    assert event.payload["minutes"] == 15
    [record] = AuditLog.objects.filter(action="identity.login.paused")
    assert (record.actor, record.entity_id) == (None, str(student.pk))

    outbox_dispatch()
    [notification] = Notification.objects.all()
    assert (notification.recipient, notification.channel, notification.status) == (student, "email", "sent")
    [email] = mail.outbox
    assert email.to == [student.email]
    assert email.subject == "Logins to your GuitarOnline account are paused"
    assert f"from the address {HOME}, most recently on 6 March 2027, 18:00 (Europe/Moscow)" in email.body
    assert "Logins to your account from that address are paused for 15 minutes." in email.body
    assert "If it was you, wait for the pause to end, or choose a new password with the link below." in email.body
    assert "If it was not you, nothing is needed" in email.body
    assert f"{django_settings.SITE_URL}{reverse('accounts:password-reset')}" in email.body
    assert "List-Unsubscribe" not in email.extra_headers  # a security warning always goes out


def test_the_email_is_in_the_owners_zone_and_nobody_is_told_of_an_inactive_account(frozen_now):
    frozen_now(MOMENT)
    berlin = StudentFactory(timezone="Europe/Berlin")
    gone = StudentFactory(is_active=False)
    fail(berlin.email)
    fail(gone.email)
    outbox_dispatch()
    [email] = mail.outbox
    assert email.to == [berlin.email]
    assert "6 March 2027, 16:00 (Europe/Berlin)" in email.body
    assert paused(api_login(gone.email, PASSWORD))


# --- a successful login costs no more --------------------------------------------------------------


def test_a_successful_login_after_wrong_passwords_makes_no_extra_query(student, django_assert_num_queries):
    fail(student.email, times=2)
    # the user read, last_login, the audit record, the refresh token, the device, in the service's savepoint
    with django_assert_num_queries(7):
        assert api_login(student.email, PASSWORD).status_code == 200
    fail(student.email, times=2)
    # the user read, the session (exists, insert), last_login, the device and the session's update,
    # in Django's savepoints
    with django_assert_num_queries(10):
        assert page_login(student.email, PASSWORD)[1].status_code == 302
