"""An account a person can trust, in a real browser: register, confirm the
address from the e-mail that arrived, book a lesson, then log out everywhere,
and see another browser signed in as the same person signed out too."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from booking.models import Booking
from notifications.services import outbox_dispatch
from tests.factories import PASSWORD, TeacherFactory, make_slot, paid_package
from tests.smtp import smtp_server_fixture  # noqa: F401  (provides the `smtp_server` fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VERIFY_LINK = re.compile(r"https?://[^/\s]+/accounts/verify/[^/\s]+/")
EMAIL = "nina@example.org"


def _sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/student/")


def test_register_confirm_from_the_email_book_and_log_out_everywhere(
    browser, page, live_server, smtp_server, settings, screenshot
):
    settings.SITE_URL = live_server.url  # the links in e-mails lead to this server
    teacher = TeacherFactory(full_name="Elena Strings", language="en")
    slot = make_slot(teacher, starts_in=timedelta(days=6))

    # Register: signed in at once, but not yet able to hold a lesson.
    page.goto(f"{live_server.url}/accounts/register/")
    page.fill("input[name=full_name]", "Nina Lebedeva")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.select_option("select[name=language]", "en")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/student/")
    student = User.objects.get(email=EMAIL)
    assert not student.email_verified
    assert "Send the link again" in page.inner_text("body")
    screenshot("trust-01-registered-unconfirmed")

    # The worker sends the confirmation; the link in the e-mail opens a page with one button.
    outbox_dispatch()
    (mail,) = [mail for mail in smtp_server.messages if mail.rcpt_tos == [EMAIL]]
    link = VERIFY_LINK.search(mail.body)
    assert link, mail.body
    assert link.group(0).startswith(live_server.url)
    page.goto(link.group(0))
    screenshot("trust-02-confirm-page")
    student.refresh_from_db()
    assert not student.email_verified  # opening the link confirms nothing
    confirm_path = link.group(0).removeprefix(live_server.url)
    page.click(f"form[action='{confirm_path}'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    student.refresh_from_db()
    assert student.email_verified
    assert "Send the link again" not in page.inner_text("body")
    screenshot("trust-03-confirmed")

    # Book a lesson from the package.
    paid_package(student, lessons=4)  # as staff sell one at the desk
    page.goto(f"{live_server.url}/teachers/{teacher.pk}/?week={timezone.localdate(slot.start_at)}")
    page.click(f'form.slot__form:has(input[name=slot][value="{slot.pk}"]) button')
    page.wait_for_url(re.compile(r"/bookings/\d+/$"))
    page.click("button[data-confirm]")
    page.wait_for_load_state("networkidle")
    assert Booking.objects.get(slot=slot, student=student).status == Booking.Status.CONFIRMED
    screenshot("trust-04-booked")

    # A second browser (a phone, say) signs in as the same person.
    phone_context = browser.new_context(
        locale="en-GB",
        timezone_id="Europe/Moscow",
        viewport={"width": 390, "height": 844},
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    )
    phone = phone_context.new_page()
    _sign_in(phone, live_server, EMAIL)

    # The profile lists both; log out everywhere from it.
    page.goto(f"{live_server.url}/accounts/profile/#devices")
    devices = page.locator(".device-list .device")
    assert devices.count() == 2
    assert "Mobile Safari on iOS" in page.inner_text(".device-list")
    assert page.locator(".device-list .device .badge").count() == 1  # this device
    screenshot("trust-05-devices")
    page.click("form[action$='/devices/sign-out-all/'] button[type=submit]")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert "You have been logged out on every device." in page.inner_text(".messages")
    screenshot("trust-06-logged-out-everywhere")

    # The phone is signed out too: its next page asks it to log in.
    phone.goto(f"{live_server.url}/bookings/")
    assert phone.url.startswith(f"{live_server.url}/accounts/login/")
    screenshot("trust-07-phone-signed-out", of=phone)
    phone_context.close()
    page.goto(f"{live_server.url}/student/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
