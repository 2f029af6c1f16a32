"""Signed-in devices: each browser session and each API client's chain of
refresh tokens is a device, listed with its last use and signed out one by
one, all at once ("log out everywhere"), or by a password change or reset."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import auth_sessions, services
from accounts.models import AuthSession, SessionKind, User
from accounts.tasks import clear_expired_sessions
from audit.models import AuditLog, OutboxEvent
from tests.factories import PASSWORD, StaffFactory, StudentFactory
from tests.pages import messages_of
from tests.races import race

LOGIN = "/api/v1/identity/auth/login"
REFRESH = "/api/v1/identity/auth/refresh"
LOGOUT_ALL = "/api/v1/identity/auth/logout-all"
ME = "/api/v1/identity/users/me"
DEVICES = "/api/v1/identity/users/me/sessions"
NEW_PASSWORD = "An0ther-pass-2026"

FIREFOX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)

pytestmark = pytest.mark.django_db


class App:
    """An API client signed in as a device of its own."""

    def __init__(self, user: User, *, agent: str = "GuitarOnline/2.1 okhttp/4.12", ip: str = "198.51.100.7"):
        self.client = APIClient(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip, HTTP_ACCEPT_LANGUAGE="en")
        answer = self.client.post(LOGIN, {"email": user.email, "password": PASSWORD}, format="json")
        assert answer.status_code == 200, answer.content
        self.tokens = answer.json()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {self.tokens['access']}")

    @property
    def device(self) -> str:
        return RefreshToken(self.tokens["refresh"], verify=False)["sid"]

    def me(self):
        return self.client.get(ME)

    def refresh(self):
        return APIClient().post(REFRESH, {"refresh": self.tokens["refresh"]}, format="json")


def browser(user: User, *, agent: str = FIREFOX) -> Client:
    """A browser signed in through the login page."""
    client = Client(HTTP_USER_AGENT=agent)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    answer = client.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def signed_in_page(client: Client) -> bool:
    return client.get(reverse("accounts:profile")).status_code == 200


def signed_out(answer) -> bool:
    return answer.status_code == 401 and answer.json()["error"]["code"] == "session_ended"


def live_devices(user: User) -> set[str]:
    return {str(pk) for pk in auth_sessions.live(user=user).values_list("pk", flat=True)}


# --- starting and listing --------------------------------------------------------


def test_an_api_login_is_a_device_listed_with_its_name_address_and_last_use(student):
    app = App(student, agent=IPHONE, ip="203.0.113.9")
    listed = app.client.get(DEVICES)
    assert listed.status_code == 200
    (device,) = listed.json()
    assert device["id"] == app.device
    assert device["kind"] == "api"
    assert device["device"] == "Mobile Safari on iOS"
    assert device["ip"] == "203.0.113.9"
    assert device["current"] is True
    assert device["created_at"] and device["last_used_at"]


def test_a_page_login_is_a_device_and_the_profile_lists_every_device(student):
    app = App(student)
    page = browser(student)
    profile = page.get(reverse("accounts:profile"))
    text = profile.content.decode()
    assert "Firefox on Ubuntu" in text
    assert "this device" in text
    assert "okhttp" in text  # the app, with a sign-out button of its own
    assert reverse("accounts:device-sign-out", args=[app.device]) in text
    listed = {device["device"]: device for device in app.client.get(DEVICES).json()}
    assert set(listed) == {"Firefox on Ubuntu", "okhttp"}
    assert listed["Firefox on Ubuntu"]["kind"] == "browser" and not listed["Firefox on Ubuntu"]["current"]


def test_a_refresh_keeps_the_device_and_follows_its_new_token(student):
    app = App(student)
    rotated = app.refresh()
    assert rotated.status_code == 200
    assert RefreshToken(rotated.json()["refresh"])["sid"] == app.device
    device = AuthSession.objects.get(pk=app.device)
    assert device.refresh_jti == RefreshToken(rotated.json()["refresh"])["jti"]
    assert AuthSession.objects.filter(user=student).count() == 1


def test_a_refresh_token_from_before_devices_starts_a_device(student):
    legacy = RefreshToken.for_user(student)  # no `sid`
    rotated = APIClient(HTTP_USER_AGENT="okhttp/4.9").post(REFRESH, {"refresh": str(legacy)}, format="json")
    assert rotated.status_code == 200
    device = AuthSession.objects.get(user=student)
    assert RefreshToken(rotated.json()["refresh"])["sid"] == str(device.pk)
    assert device.kind == SessionKind.API and device.user_agent == "okhttp/4.9"


def test_a_browser_session_from_before_devices_signs_in_again_once(student):
    client = Client()
    client.force_login(student)
    session = client.session
    del session[auth_sessions.SESSION_ID_KEY]
    session.save()
    answer = client.get(reverse("accounts:profile"), follow=True)
    assert answer.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "You have been signed out on this device. Log in again to go on." in messages_of(answer)


@pytest.mark.parametrize(
    ("agent", "label"),
    [
        (FIREFOX, "Firefox on Ubuntu"),
        (IPHONE, "Mobile Safari on iOS"),
        ("okhttp/4.12", "okhttp"),
        ("", "Unknown device"),
        ("\x00garbage", "Unknown device"),
    ],
)
def test_devices_are_named_after_their_program_and_system(agent, label):
    with translation.override("en"):
        assert auth_sessions.device_label(agent) == label


def test_device_names_in_russian():
    with translation.override("ru"):
        assert auth_sessions.device_label(FIREFOX) == "Firefox, Ubuntu"
        assert auth_sessions.device_label("") == "Неизвестное устройство"


# --- last use ------------------------------------------------------------------------


def test_the_last_use_is_written_at_most_once_per_touch_interval(student):
    app = App(student)
    device = AuthSession.objects.get(pk=app.device)
    AuthSession.objects.filter(pk=device.pk).update(last_used_at=device.last_used_at - timedelta(hours=3))
    with CaptureQueriesContext(connection) as first:
        assert app.me().status_code == 200
    assert not any("accounts_authsession" in query["sql"] for query in first.captured_queries)  # fresh in the cache
    cache.delete(f"auth-device:{device.pk}")  # the touch interval has passed
    with CaptureQueriesContext(connection) as touched:
        assert app.me().status_code == 200
    assert sum("accounts_authsession" in query["sql"] for query in touched.captured_queries) == 1
    device.refresh_from_db()
    assert timezone.now() - device.last_used_at < timedelta(minutes=1)
    with CaptureQueriesContext(connection) as again:
        assert app.me().status_code == 200
    assert not any("accounts_authsession" in query["sql"] for query in again.captured_queries)


# --- log out everywhere ---------------------------------------------------------


def test_logout_all_signs_out_every_device_and_kills_every_refresh_token(student):
    phone, tablet = App(student), App(student)
    page = browser(student)
    legacy = RefreshToken.for_user(student)  # a token from before devices, never used since
    other_student = App(StudentFactory())

    assert phone.client.post(LOGOUT_ALL).status_code == 204

    assert signed_out(phone.me()) and signed_out(tablet.me())
    assert phone.refresh().status_code == 401 and tablet.refresh().status_code == 401
    assert APIClient().post(REFRESH, {"refresh": str(legacy)}, format="json").status_code == 401
    assert not signed_in_page(page)
    assert live_devices(student) == set()
    assert other_student.me().status_code == 200
    record = AuditLog.objects.get(action="identity.user.logged_out_everywhere")
    assert record.payload == {"devices": 3}
    assert OutboxEvent.objects.filter(event_type="identity.user.logged_out_everywhere").count() == 1


def test_log_out_everywhere_from_the_profile_signs_out_this_browser_too(student):
    here, there = browser(student), browser(student, agent=IPHONE)
    app = App(student)
    answer = here.post(reverse("accounts:logout-everywhere"), follow=True)
    assert answer.redirect_chain[-1][0] == reverse("accounts:login")
    assert "You have been logged out on every device." in messages_of(answer)
    assert not signed_in_page(here) and not signed_in_page(there)
    assert signed_out(app.me())
    assert not Session.objects.filter(session_key__in=[here.session.session_key]).exists()


def test_an_ended_device_is_refused_at_once_even_where_the_cache_said_it_was_live(
    student, django_capture_on_commit_callbacks
):
    app = App(student)
    assert app.me().status_code == 200  # the cache now says "live"
    with django_capture_on_commit_callbacks(execute=True):
        services.auth_logout_all(user=student)
    assert cache.get(f"auth-device:{app.device}") == "ended"
    assert signed_out(app.me())


# --- one device ------------------------------------------------------------------


def test_signing_out_one_device_leaves_the_others(student):
    phone, laptop = App(student), App(student)
    assert phone.client.post(f"{DEVICES}/{laptop.device}/end").status_code == 204
    assert signed_out(laptop.me()) and laptop.refresh().status_code == 401
    assert phone.me().status_code == 200 and phone.refresh().status_code == 200
    assert AuditLog.objects.filter(action="identity.user.device_signed_out").count() == 1


@pytest.mark.parametrize("whose", ["someone_else", "ended", "garbage"])
def test_a_device_that_is_not_yours_or_not_signed_in_is_not_found(student, whose):
    app = App(student)
    if whose == "someone_else":
        target = App(StudentFactory()).device
    elif whose == "ended":
        other = App(student)
        assert app.client.post(f"{DEVICES}/{other.device}/end").status_code == 204
        target = other.device
    else:
        target = "not-a-device"
    before = AuditLog.objects.count()
    answer = app.client.post(f"{DEVICES}/{target}/end")
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "not_found"
    assert AuditLog.objects.count() == before
    assert app.me().status_code == 200


def test_the_profile_signs_out_another_device(student):
    page = browser(student)
    app = App(student)
    answer = page.post(reverse("accounts:device-sign-out", args=[app.device]), follow=True)
    assert "That device has been signed out." in messages_of(answer)
    assert signed_out(app.me())
    assert signed_in_page(page)
    someone_else = App(StudentFactory())
    answer = page.post(reverse("accounts:device-sign-out", args=[someone_else.device]))
    assert answer.status_code == 404
    assert someone_else.me().status_code == 200


def test_a_browser_signed_out_from_elsewhere_goes_to_the_login_page(student):
    page = browser(student)
    app = App(student)
    (device,) = [pk for pk in live_devices(student) if pk != app.device]
    assert app.client.post(f"{DEVICES}/{device}/end").status_code == 204
    answer = page.get(reverse("accounts:profile"))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("accounts:login"))
    assert not Session.objects.filter(session_key=page.session.session_key).exists()


def test_the_logout_page_ends_the_browser_device(student):
    page = browser(student)
    (device,) = live_devices(student)
    page.post(reverse("accounts:logout"))
    assert AuthSession.objects.get(pk=device).ended_at is not None
    assert not signed_in_page(page)


# --- passwords ----------------------------------------------------------------------


def test_a_password_change_on_the_page_keeps_this_browser_and_signs_out_the_rest(student):
    here, there = browser(student), browser(student, agent=IPHONE)
    app = App(student)
    answer = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert answer.redirect_chain == [(reverse("accounts:profile"), 302)]
    assert not signed_in_page(there)
    assert signed_out(app.me()) and app.refresh().status_code == 401
    # This browser goes on, under its session's new key, and is still listed as this device.
    profile = here.get(reverse("accounts:profile"))
    assert profile.status_code == 200
    assert "this device" in profile.content.decode()
    (device,) = AuthSession.objects.filter(user=student, ended_at__isnull=True)
    assert device.session_key == here.session.session_key
    assert AuditLog.objects.get(action="identity.user.password_changed").payload == {
        "devices_signed_out": 2,
        "usable": True,
    }


def test_a_password_reset_signs_out_every_device(student):
    page, app = browser(student), App(student)
    student.refresh_from_db()  # the token is made of the last login, among others
    uid = urlsafe_base64_encode(force_bytes(student.pk))
    token = default_token_generator.make_token(student)
    reset = Client()
    start = reset.get(reverse("accounts:password-reset-confirm", args=[uid, token]))
    assert start.status_code == 302  # Django puts the token in the session and drops it from the URL
    done = reset.post(start["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert not signed_in_page(page)
    assert signed_out(app.me()) and app.refresh().status_code == 401
    assert live_devices(student) == set()


def test_staff_setting_a_password_in_the_admin_signs_out_the_users_devices(student):
    staff = StaffFactory()
    admin = Client()
    admin.force_login(staff)
    app = App(student)
    answer = admin.post(
        reverse("admin:auth_user_password_change", args=[student.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert answer.status_code == 302, answer.content.decode()[:1500]
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    assert signed_out(app.me())
    record = AuditLog.objects.get(action="identity.user.password_changed")
    assert record.actor == staff and record.payload["devices_signed_out"] == 1


def test_staff_log_users_out_everywhere_from_the_admin(student):
    staff = StaffFactory()
    admin = Client()
    admin.force_login(staff)
    app, page = App(student), browser(student)
    bystander = App(StudentFactory())
    answer = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "log_out_everywhere", "_selected_action": [student.pk]},
        follow=True,
    )
    assert "1 user logged out everywhere." in messages_of(answer)
    assert signed_out(app.me()) and not signed_in_page(page)
    assert bystander.me().status_code == 200
    assert AuditLog.objects.get(action="identity.user.logged_out_everywhere").actor == staff
    assert signed_in_page(admin)
    change = admin.get(reverse("admin:accounts_user_change", args=[student.pk]))
    assert "okhttp" in change.content.decode()  # the devices, ended ones too, on the user's admin page


# --- races and housekeeping -------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_refresh_racing_logout_all_leaves_no_live_token(student, postgres_only):
    for _ in range(5):
        app = App(student)
        race(app.refresh, lambda: services.auth_logout_all(user=student))
        cache.delete(f"auth-device:{app.device}")
        assert live_devices(student) == set()
        assert app.refresh().status_code == 401
        usable = OutstandingToken.objects.filter(user=student, blacklistedtoken__isnull=True)
        for token in usable:  # a pair minted just before the devices ended is dead with its device
            assert APIClient().post(REFRESH, {"refresh": token.token}, format="json").status_code == 401


def test_the_daily_task_clears_what_can_sign_no_one_in(student):
    live_app = App(student)
    old_app = App(student)
    services.auth_device_end(user=student, device=old_app.device)
    long_ago = timezone.now() - timedelta(days=django_settings.AUTH_SESSION_KEEP_DAYS + 1)
    AuthSession.objects.filter(pk=old_app.device).update(created_at=long_ago, ended_at=long_ago)
    page = browser(student)
    Session.objects.update(expire_date=long_ago)  # the browser's session expired long ago
    AuthSession.objects.filter(kind=SessionKind.BROWSER).update(last_used_at=long_ago)
    OutstandingToken.objects.filter(jti=RefreshToken(old_app.tokens["refresh"], verify=False)["jti"]).update(
        expires_at=long_ago
    )

    cleared = clear_expired_sessions()

    assert cleared == {"devices": 2, "browser_sessions": 1, "refresh_tokens": 1}
    assert live_devices(student) == {live_app.device}
    assert live_app.me().status_code == 200 and live_app.refresh().status_code == 200
    assert not signed_in_page(page)
