"""E-mail verification: the link and the API token, the three policies, what
an unconfirmed account may not do, resending, changing the address."""

from __future__ import annotations

import re
import time
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import verification
from accounts.models import User
from audit.models import AuditLog, OutboxEvent
from billing.models import Payment, Product
from booking.models import Booking, WaitlistEntry
from notifications.models import Notification
from notifications.services import outbox_dispatch
from tests.clients import client_for, signed_in
from tests.factories import PASSWORD, StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot

pytestmark = pytest.mark.django_db

VERIFY_API = "/api/v1/identity/auth/verify"
RESEND_API = "/api/v1/identity/auth/verify/resend"
EMAIL_API = "/api/v1/identity/users/me/email"
LINK = re.compile(r"https?://[^/\s]+(/accounts/verify/([^/\s]+)/)")


def register(client, email="new@example.org", **extra) -> User:
    answer = client.post(
        "/api/v1/identity/auth/register",
        {"email": email, "password": PASSWORD, "full_name": "Nina New", "language": "en", **extra},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    return User.objects.get(email=email)


def mails_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def link_in(message) -> tuple[str, str]:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1), found.group(2)


def error(answer) -> str:
    return answer.json()["error"]["code"]


def test_a_new_account_gets_one_welcome_email_with_the_link_and_confirms_through_the_api(api):
    user = register(api)
    assert not user.email_verified
    outbox_dispatch()
    [message] = mails_to(user.email)
    assert message.subject == "Welcome to GuitarOnline: confirm your e-mail"
    assert "not book, buy lessons or join a waitlist" in message.body
    _path, token = link_in(message)
    html = {kind: body for body, kind in message.alternatives}["text/html"]
    assert token in html  # the HTML part carries the same working link
    assert "List-Unsubscribe" not in message.extra_headers  # essential
    # the token is nowhere in the database: the link is made when the e-mail is sent
    stored = Notification.objects.get(recipient=user, channel="email")
    assert token not in repr(stored.params) + stored.subject + stored.body + stored.link

    answer = api.post(VERIFY_API, {"token": token}, format="json")
    assert answer.status_code == 200
    assert answer.json() == {"email": user.email, "email_verified": True}
    user.refresh_from_db()
    assert user.email_verified
    assert AuditLog.objects.filter(action="identity.user.email_verified", entity_id=str(user.pk)).count() == 1

    reused = api.post(VERIFY_API, {"token": token}, format="json")
    assert reused.status_code == 400 and error(reused) == "verification_invalid"


@pytest.mark.parametrize("token", ["", "garbage", "a" * 900])
def test_a_forged_or_empty_token_is_a_clear_error(api, token):
    answer = api.post(VERIFY_API, {"token": token}, format="json")
    assert answer.status_code == 400
    assert error(answer) in ("verification_invalid", "validation_error")


def test_an_expired_token_is_refused_and_changes_nothing(api, settings):
    user = register(api)
    long_ago = time.time() - (settings.ACCOUNTS_EMAIL_VERIFICATION_HOURS * 3600 + 60)
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        token = verification.token_make(user, user.email)
    answer = api.post(VERIFY_API, {"token": token}, format="json")
    assert answer.status_code == 400 and error(answer) == "verification_expired"
    assert answer.json()["error"]["message"] == "Срок действия ссылки истёк. Запросите новую."  # the default language
    user.refresh_from_db()
    assert not user.email_verified


def test_a_token_for_another_account_state_is_refused(api):
    """Signed by us, but for an address the account no longer waits to confirm."""
    user = register(api)
    token = verification.token_make(user, "someone-else@example.org")
    assert error(api.post(VERIFY_API, {"token": token}, format="json")) == "verification_invalid"


def test_mandatory_an_unconfirmed_student_may_browse_but_not_hold_buy_or_wait(api):
    user = register(api)
    teacher = TeacherFactory()
    make_package(user)
    slot = make_slot(teacher)
    client = client_for(user)
    assert client.get("/api/v1/identity/users/me").json()["email_verified"] is False
    assert client.get("/api/v1/teachers").status_code == 200

    product = Product.objects.create(
        name_en="Five", name_ru="Пять", lessons=5, validity_days=60, price="5000.00", currency="RUB"
    )
    for answer in (
        client.post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json"),
        client.post("/api/v1/billing/checkout", {"product_id": product.pk}, format="json"),
        client.post("/api/v1/booking/waitlist", {"teacher_id": teacher.pk}, format="json"),
    ):
        assert answer.status_code == 403, answer.content
        assert error(answer) == "email_unverified"
    assert not Booking.objects.filter(student=user).exists()
    assert not WaitlistEntry.objects.filter(student=user).exists()
    assert not Payment.objects.filter(student=user).exists()

    verification_token = verification.token_make(user, user.email)
    assert client.post(VERIFY_API, {"token": verification_token}, format="json").status_code == 200
    assert client.post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json").status_code == 201


def test_optional_sends_the_link_but_lets_an_unconfirmed_student_hold(api, settings):
    settings.ACCOUNTS_EMAIL_VERIFICATION = "optional"
    user = register(api)
    make_package(user)
    slot = make_slot(TeacherFactory())
    assert client_for(user).post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json").status_code == 201
    outbox_dispatch()
    [message] = mails_to(user.email)
    assert "not book" not in message.body  # nothing waits for the link
    link_in(message)


def test_none_sends_no_link_and_asks_nothing(api, settings):
    settings.ACCOUNTS_EMAIL_VERIFICATION = "none"
    user = register(api)
    make_package(user)
    slot = make_slot(TeacherFactory())
    assert client_for(user).post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json").status_code == 201
    outbox_dispatch()
    [message] = mails_to(user.email)
    assert message.subject == "Welcome to GuitarOnline"
    assert not LINK.search(message.body)
    assert error(client_for(user).post(RESEND_API)) == "email_already_verified"


def test_resend_sends_a_new_link_and_a_flood_is_limited(api, settings):
    settings.ACCOUNTS_EMAIL_VERIFICATION_RESENDS_PER_HOUR = 2
    user = register(api)
    client = client_for(user)
    for _ in range(2):
        answer = client.post(RESEND_API)
        assert answer.status_code == 202 and answer.json() == {"email": user.email}
    flood = client.post(RESEND_API)
    assert flood.status_code == 429 and error(flood) == "rate_limited"
    assert OutboxEvent.objects.filter(event_type="identity.user.email_verification_requested").count() == 2
    outbox_dispatch()
    assert len(mails_to(user.email)) == 3  # the welcome and two more links, each working until one is used
    tokens = [link_in(message)[1] for message in mails_to(user.email)]
    assert api.post(VERIFY_API, {"token": tokens[-1]}, format="json").status_code == 200
    assert error(api.post(VERIFY_API, {"token": tokens[0]}, format="json")) == "verification_invalid"


def test_a_confirmed_user_asking_again_gets_a_clear_error(student):
    answer = client_for(student).post(RESEND_API)
    assert answer.status_code == 400 and error(answer) == "email_already_verified"


def test_the_link_on_a_page_asks_for_one_click_and_confirms(api):
    user = register(api)
    outbox_dispatch()
    path, _token = link_in(mails_to(user.email)[0])
    client = signed_in(user, language="en")
    page = client.get(path)
    assert page.status_code == 200 and "Confirm that new@example.org is your address." in page.content.decode()
    user.refresh_from_db()
    assert not user.email_verified  # opening the link (a mail scanner, say) confirms nothing
    done = client.post(path, follow=True)
    assert "Thank you: new@example.org is confirmed." in done.content.decode()
    user.refresh_from_db()
    assert user.email_verified
    again = client.post(path)
    assert again.status_code == 400
    assert "not valid or has already been used" in again.content.decode()


def test_pages_show_the_notice_with_a_resend_button_and_refuse_a_hold_with_a_message(api):
    user = register(api)
    make_package(user)
    teacher = TeacherFactory()
    slot = make_slot(teacher)
    client = signed_in(user, language="en")
    html = client.get(reverse("booking:teacher-detail", args=[teacher.pk])).content.decode()
    assert "Confirm your e-mail address: we sent a link to new@example.org." in html
    assert reverse("accounts:verify-resend") in html
    refused = client.post(reverse("booking:hold", args=[teacher.pk]), {"slot": slot.pk}, follow=True)
    text = refused.content.decode()
    assert "Confirm your e-mail address first" in text
    assert reverse("accounts:verify-status") in text
    assert not Booking.objects.filter(student=user).exists()

    sent = client.post(reverse("accounts:verify-resend"), {"next": reverse("accounts:profile")}, follow=True)
    assert sent.redirect_chain[-1][0] == reverse("accounts:profile")
    assert "We sent the link again to new@example.org." in sent.content.decode()


def test_russian_pages_and_mail(api):
    user = register(api, email="ru@example.org", language="ru")
    outbox_dispatch()
    [message] = mails_to(user.email)
    assert message.subject == "Добро пожаловать в GuitarOnline: подтвердите почту"
    assert "Ссылка действует 72 часа и только один раз." in message.body
    html = signed_in(user, language="ru").get(reverse("accounts:profile")).content.decode()
    assert "Подтвердите адрес электронной почты: мы отправили ссылку на ru@example.org." in html


def test_changing_the_email_confirms_the_new_address_before_it_replaces_the_old(api, student):
    old = student.email
    client = client_for(student)
    wrong = client.post(EMAIL_API, {"email": "mine@example.org", "password": "nope"}, format="json")
    assert wrong.status_code == 400 and error(wrong) == "wrong_password"
    taken = client.post(EMAIL_API, {"email": StudentFactory().email.upper(), "password": PASSWORD}, format="json")
    assert taken.status_code == 409 and error(taken) == "email_taken"

    answer = client.post(EMAIL_API, {"email": "Mine@Example.org", "password": PASSWORD}, format="json")
    assert answer.status_code == 202
    assert answer.json()["email"] == old and answer.json()["pending_email"] == "mine@example.org"
    student.refresh_from_db()
    assert student.email == old and student.email_verified  # still the old one, still confirmed
    outbox_dispatch()
    [message] = mails_to("mine@example.org")
    _path, token = link_in(message)

    assert api.post(VERIFY_API, {"token": token}, format="json").status_code == 200
    student.refresh_from_db()
    assert (student.email, student.pending_email) == ("mine@example.org", "")
    outbox_dispatch()
    [warning] = mails_to(old)  # the old address hears of the change
    assert "now mine@example.org instead of" in warning.body


def test_a_second_change_kills_the_first_link(student):
    client = client_for(student)
    client.post(EMAIL_API, {"email": "first@example.org", "password": PASSWORD}, format="json")
    first = verification.token_make(User.objects.get(pk=student.pk), "first@example.org")
    client.post(EMAIL_API, {"email": "second@example.org", "password": PASSWORD}, format="json")
    assert error(Client().post(VERIFY_API, {"token": first}, content_type="application/json")) == (
        "verification_invalid"
    )


def test_an_address_taken_meanwhile_is_refused_when_confirmed(api, student):
    client_for(student).post(EMAIL_API, {"email": "wanted@example.org", "password": PASSWORD}, format="json")
    token = verification.token_make(User.objects.get(pk=student.pk), "wanted@example.org")
    StudentFactory(email="wanted@example.org")
    answer = api.post(VERIFY_API, {"token": token}, format="json")
    assert answer.status_code == 409 and error(answer) == "email_taken"
    student.refresh_from_db()
    assert student.pending_email == "wanted@example.org" and student.email != "wanted@example.org"


def test_staff_create_accounts_confirmed_or_not_and_mark_them_later():
    staff = StaffFactory()
    client = signed_in(staff, language="en")
    add = reverse("admin:accounts_user_add")
    for email, verified in (("vouched@example.org", "on"), ("unknown@example.org", "")):
        data = {
            "email": email,
            "full_name": "Added",
            "role": "student",
            "password1": "a-Long-pass-2026",
            "password2": "a-Long-pass-2026",
            "usable_password": "true",
        }
        if verified:
            data["email_verified"] = verified
        answer = client.post(add, data)
        assert answer.status_code == 302, answer.content.decode()[:2000]
    assert User.objects.get(email="vouched@example.org").email_verified
    unknown = User.objects.get(email="unknown@example.org")
    assert not unknown.email_verified
    outbox_dispatch()
    assert len(mails_to("unknown@example.org")) == 1 and not mails_to("vouched@example.org")

    changelist = reverse("admin:accounts_user_changelist")
    client.post(changelist, {"action": "mark_email_verified", "_selected_action": [unknown.pk]})
    unknown.refresh_from_db()
    assert unknown.email_verified
