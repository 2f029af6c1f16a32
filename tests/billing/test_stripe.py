"""Buying lessons through Stripe, end to end against a fake Stripe: a real
HTTP server on loopback (`tests.fakes.stripe`) that the official library
talks to, with a hosted Checkout page, and that notifies the app (with
`live_server`) with events signed as Stripe signs them; or the tests post
the events themselves, signed, forged or stale."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import OutboxEvent
from billing import payments, stripe_provider
from billing.models import LessonPackage, Payment, PaymentEvent, Product
from billing.stripe_provider import StripeProvider, from_minor, idempotency_key, to_minor
from guitaronline.guards import payment_provider_problems
from tests.billing.helpers import assert_error, checkout, db_state
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, staff_in
from tests.fakes.stripe import FakeStripe, sign
from tests.pages import text
from tests.races import race_n

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = "/api/v1/billing/checkout"
WEBHOOK = "/api/v1/billing/webhooks/stripe"

Status = Payment.Status
Result = PaymentEvent.Result


# --- the world --------------------------------------------------------------------------


@pytest.fixture
def stripe(settings):
    """The fake Stripe, and the site set to take payments through it."""
    fake = FakeStripe().start()
    settings.BILLING_PAYMENT_PROVIDER = "stripe"
    settings.STRIPE_SECRET_KEY = fake.secret_key
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = fake.api_base
    yield fake
    fake.stop()


@pytest.fixture
def calling_back(stripe, live_server, settings):
    """The fake Stripe sending its events to the running site."""
    settings.SITE_URL = live_server.url
    stripe.webhook_url = live_server.url + WEBHOOK
    return stripe


@pytest.fixture
def product(db):
    return Product.objects.create(
        name_en="Ten lessons",
        name_ru="Десять уроков",
        lessons=10,
        validity_days=90,
        price=Decimal("150.00"),
        currency="EUR",
    )


def deliver(stripe: FakeStripe, event_type: str, obj: dict, *, signature: str | None = None, body: bytes | None = None):
    """Post an event to the webhook as Stripe would (signed; no login, no CSRF token)."""
    body = stripe.event(event_type, obj) if body is None else body
    return APIClient(enforce_csrf_checks=True).post(
        WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature or sign(body)
    )


def paid(stripe: FakeStripe, student, product) -> Payment:
    payment = checkout(student, product)
    session = stripe.pay(payment.provider_reference)
    assert deliver(stripe, "checkout.session.completed", session).json() == {"result": "fulfilled"}
    payment.refresh_from_db()
    return payment


# --- checkout ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_checkout_opens_a_checkout_session_with_our_payment_id(student, student_api, product, stripe, settings):
    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    (call,) = stripe.calls_to("POST", "/v1/checkout/sessions")
    assert response.json()["checkout_url"] == stripe.session(payment.provider_reference)["url"]
    assert call.body["mode"] == "payment"
    assert call.body["client_reference_id"] == str(payment.pk)
    assert call.body["metadata"] == {"payment_id": str(payment.pk)}
    assert call.body["payment_intent_data"] == {"metadata": {"payment_id": str(payment.pk)}}
    assert call.body["line_items"][0]["price_data"]["unit_amount"] == "15000"  # cents, from the product
    assert call.body["line_items"][0]["price_data"]["currency"] == "eur"
    assert call.body["success_url"] == f"{settings.SITE_URL}/payments/{payment.pk}/"
    assert call.headers["idempotency-key"] == idempotency_key(payment, "checkout")
    assert call.headers["authorization"] == f"Bearer {stripe.secret_key}"


@pytest.mark.django_db
def test_the_checkout_page_sends_the_student_to_stripe(student, product, stripe):
    response = signed_in(student).post(reverse("billing:checkout", args=[product.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{stripe.url}/pay/cs_test_")


@pytest.mark.django_db
def test_a_retried_call_never_opens_a_second_session(student, product, stripe):
    payment = checkout(student, product)
    again = StripeProvider().create_checkout(payment, return_url=payments.return_url(payment))
    assert again.reference == payment.provider_reference and len(stripe.sessions) == 1


@pytest.mark.django_db
def test_the_api_checkout_answers_with_the_payment_and_stripes_page(student_api, product, stripe):
    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert response.status_code == 201, response.content
    payment = Payment.objects.get()
    body = response.json()
    assert (body["payment_id"], body["status"], body["provider"]) == (payment.pk, "pending", "stripe")
    assert body["checkout_url"] == payment.checkout_url == f"{stripe.url}/pay/{payment.provider_reference}"
    assert payment.provider_reference.startswith("cs_test_")


@pytest.mark.django_db
def test_a_zero_decimal_currency_goes_to_stripe_in_whole_units(student, stripe):
    yen = Product.objects.create(
        name_en="Five lessons", name_ru="Пять уроков", lessons=5, validity_days=60, price=Decimal("9000"),
        currency="JPY",
    )  # fmt: skip
    payment = checkout(student, yen)
    (call,) = stripe.calls_to("POST", "/v1/checkout/sessions")
    assert call.body["line_items"][0]["price_data"]["unit_amount"] == "9000"
    assert call.body["line_items"][0]["price_data"]["product_data"] == {"name": "Five lessons"}

    session = stripe.pay(payment.provider_reference)

    assert deliver(stripe, "checkout.session.completed", session).json() == {"result": "fulfilled"}
    payment.refresh_from_db()
    assert (payment.status, payment.package.price, payment.package.currency) == (
        Status.SUCCEEDED, Decimal("9000"), "JPY"
    )  # fmt: skip


@pytest.mark.django_db
def test_checkout_with_a_wrong_secret_key_is_refused_by_stripe_and_writes_nothing(
    student_api, product, stripe, settings
):
    settings.STRIPE_SECRET_KEY = "sk_test_not_the_accounts_key"
    before = db_state()

    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert_error(response, 503, "payment_provider_unavailable")
    assert db_state() == before
    assert stripe.sessions == {}
    assert [call.headers["authorization"] for call in stripe.calls] == ["Bearer sk_test_not_the_accounts_key"]


def test_minor_units_follow_the_currency():
    assert to_minor(Decimal("150.00"), "EUR") == 15000 and to_minor(Decimal("1500"), "JPY") == 1500
    assert from_minor(15000, "usd") == Decimal("150") and from_minor(None, "EUR") is None


# --- paying, and what Stripe tells us ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_paying_on_stripes_page_fulfils_once_and_the_return_page_shows_the_receipt(
    student, product, calling_back, settings
):
    body = client_for(student).post(CHECKOUT, {"product_id": product.pk}, format="json").json()
    payment = Payment.objects.get(pk=body["payment_id"])

    request = urllib.request.Request(body["checkout_url"], method="POST", data=b"")

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(Stay).open(request, timeout=60)
    except urllib.error.HTTPError as answer:
        back = answer
    assert back.code == 303 and back.headers["Location"] == f"{settings.SITE_URL}/payments/{payment.pk}/"
    assert [(d.type, d.status) for d in calling_back.deliveries] == [("checkout.session.completed", 200)]
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert (payment.package.lessons_total, payment.package.currency) == (10, "EUR")
    shown = text(signed_in(student).get(urlsplit(back.headers["Location"]).path))
    assert "Payment received. Thank you!" in shown and "150.00 EUR" in shown


@pytest.mark.django_db
def test_replayed_and_duplicate_events_create_one_package(student, product, stripe):
    payment = checkout(student, product)
    session = stripe.pay(payment.provider_reference)
    body = stripe.event("checkout.session.completed", session)

    first = deliver(stripe, "", {}, body=body)
    replay = deliver(stripe, "", {}, body=body)
    another_event = deliver(stripe, "checkout.session.completed", session)  # Stripe's own retry, a new event id

    assert [r.json()["result"] for r in (first, replay, another_event)] == ["fulfilled", "fulfilled", "ignored"]
    assert LessonPackage.objects.filter(student=student).count() == 1
    assert PaymentEvent.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("forgery", ["wrong secret", "stale", "no signature", "tampered"])
def test_an_event_not_signed_by_stripe_is_400_and_records_nothing(student, product, stripe, forgery):
    payment = checkout(student, product)
    session = stripe.pay(payment.provider_reference)
    body = stripe.event("checkout.session.completed", session)
    signature = {
        "wrong secret": sign(body, "whsec_someone_else"),
        "stale": sign(body, timestamp=int(time.time()) - 3600),
        "no signature": "",
        "tampered": sign(body),
    }[forgery]
    if forgery == "tampered":
        body = body.replace(b'"paid"', b'"paid" ')
    before = db_state(payment)

    response = APIClient().post(WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature)

    assert_error(response, 400, "webhook_rejected")
    assert db_state(payment) == before


@pytest.mark.django_db
def test_another_amount_is_recorded_as_a_mismatch_and_never_fulfils(client, student, product, stripe):
    payment = checkout(student, product)
    session = stripe.pay(payment.provider_reference, amount_total=150)

    response = deliver(stripe, "checkout.session.completed", session)

    assert response.json() == {"result": "mismatch"}
    assert not LessonPackage.objects.exists()
    event = PaymentEvent.objects.get()
    assert event.detail == "amount 1.5 instead of 150.00"
    client.force_login(staff_in("finance"))
    assert "amount 1.5 instead of 150.00" in text(client.get(reverse("admin:billing_paymentevent_changelist")))


@pytest.mark.django_db
def test_an_event_for_an_unknown_payment_changes_nothing(stripe):
    session = {"id": "cs_test_elsewhere", "object": "checkout.session", "payment_status": "paid",
               "amount_total": 100, "currency": "eur", "metadata": {"payment_id": "999999"}}  # fmt: skip
    response = deliver(stripe, "checkout.session.completed", session)
    assert response.json() == {"result": "unknown_payment"}
    assert not Payment.objects.exists() and not LessonPackage.objects.exists()


@pytest.mark.django_db
def test_an_expired_session_closes_the_payment(student, product, stripe):
    payment = checkout(student, product)
    session = stripe.expire(payment.provider_reference)
    assert deliver(stripe, "checkout.session.expired", session).json() == {"result": "failed"}
    payment.refresh_from_db()
    assert payment.status == Status.FAILED


@pytest.mark.django_db
def test_stripes_page_shows_the_product_and_a_pay_button(student, product, stripe):
    payment = checkout(student, product)
    with urllib.request.urlopen(payment.checkout_url, timeout=10) as page:
        html = page.read().decode()
    assert "Ten lessons: 150.00 EUR" in html and "<button>Pay</button>" in html


@pytest.mark.django_db
def test_a_delayed_payment_fulfils_when_stripe_says_it_succeeded(student, product, stripe):
    payment = checkout(student, product)
    unpaid = {**stripe.session(payment.provider_reference), "status": "complete"}  # a bank debit, still on its way

    assert deliver(stripe, "checkout.session.completed", unpaid).json() == {"result": "ignored"}
    payment.refresh_from_db()
    assert payment.status == Status.PENDING and not LessonPackage.objects.exists()

    session = stripe.pay(payment.provider_reference)
    assert deliver(stripe, "checkout.session.async_payment_succeeded", session).json() == {"result": "fulfilled"}
    payment.refresh_from_db()
    assert (payment.status, payment.package.lessons_total) == (Status.SUCCEEDED, 10)


@pytest.mark.django_db
def test_a_delayed_payment_that_fails_closes_the_payment(student, product, stripe):
    payment = checkout(student, product)
    session = {**stripe.session(payment.provider_reference), "status": "complete"}

    assert deliver(stripe, "checkout.session.async_payment_failed", session).json() == {"result": "failed"}

    payment.refresh_from_db()
    assert payment.status == Status.FAILED and not LessonPackage.objects.exists()


@pytest.mark.django_db
def test_events_out_of_order_create_one_package_and_never_undo_a_payment(student, product, stripe):
    payment = checkout(student, product)
    session = stripe.pay(payment.provider_reference)
    expired = {**session, "status": "expired", "payment_status": "unpaid"}

    answers = [
        deliver(stripe, "checkout.session.async_payment_succeeded", session),
        deliver(stripe, "checkout.session.completed", session),
        deliver(stripe, "checkout.session.expired", expired),
    ]

    assert [answer.json()["result"] for answer in answers] == ["fulfilled", "ignored", "ignored"]
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    assert LessonPackage.objects.filter(student=student).count() == 1


@pytest.mark.django_db
def test_a_payment_paid_after_its_session_was_closed_here_is_still_fulfilled(student, product, stripe):
    payment = checkout(student, product)
    stripe.expire(payment.provider_reference)
    assert deliver(stripe, "checkout.session.expired", stripe.session(payment.provider_reference)).json() == {
        "result": "failed"
    }
    paid_late = {**stripe.session(payment.provider_reference), "status": "complete", "payment_status": "paid"}

    assert deliver(stripe, "checkout.session.completed", paid_late).json() == {"result": "fulfilled"}
    payment.refresh_from_db()
    assert (payment.status, payment.package.lessons_total) == (Status.SUCCEEDED, 10)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body", [b"not json", b"", b"[]", b"{}", b'{"id": "evt_1", "type": "checkout.session.completed"}', b'"evt"']
)
def test_a_signed_body_that_is_not_an_event_is_400_and_records_nothing(stripe, body):
    before = db_state()
    response = APIClient().post(WEBHOOK, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body))
    assert_error(response, 400, "webhook_rejected")
    assert db_state() == before


@pytest.mark.django_db
def test_an_event_stripe_sends_that_we_do_not_use_is_kept_and_changes_nothing(student, product, stripe):
    payment = checkout(student, product)
    before = db_state(payment)
    intent = {"id": "pi_elsewhere", "object": "payment_intent", "metadata": {"payment_id": str(payment.pk)}}

    # an event we do not read names no payment of ours: kept as such
    assert deliver(stripe, "payment_intent.created", intent).json() == {"result": "unknown_payment"}

    after = db_state(payment)
    assert after.pop("PaymentEvent") == before.pop("PaymentEvent") + 1
    assert after == before


# --- lost events: the reconciliation and the return page --------------------------------------------


@pytest.mark.django_db
def test_reconciliation_settles_what_stripe_says_and_expires_the_abandoned(product, stripe):
    lost, abandoned, expired = (checkout(StudentFactory(), product) for _ in range(3))
    stripe.pay(lost.provider_reference)
    stripe.expire(expired.provider_reference)
    now = timezone.now()

    assert payments.payments_reconcile(now=now + timedelta(minutes=11)) == {
        "fulfilled": 1,
        "failed": 1,
        "unchanged": 1,
    }
    assert payments.payments_reconcile(now=now + timedelta(minutes=61)) == {"expired": 1}
    for payment in (lost, abandoned, expired):
        payment.refresh_from_db()
    assert (lost.status, lost.package.lessons_total) == (Status.SUCCEEDED, 10)
    assert (abandoned.status, expired.status) == (Status.EXPIRED, Status.FAILED)


@pytest.mark.django_db
def test_the_return_page_asks_stripe_when_the_event_is_late(student, product, stripe):
    payment = checkout(student, product)
    stripe.pay(payment.provider_reference)
    shown = text(signed_in(student).get(reverse("billing:payment-detail", args=[payment.pk])))
    assert "Payment received. Thank you!" in shown
    assert LessonPackage.objects.filter(student=student).count() == 1


@pytest.mark.django_db
def test_reconciliation_asks_again_when_stripe_does_not_answer(student, product, stripe):
    payment = checkout(student, product)
    stripe.pay(payment.provider_reference)
    stripe.go_down("error")

    assert payments.payments_reconcile(now=timezone.now() + timedelta(minutes=61)) == {"provider_unavailable": 1}

    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    stripe.come_back()
    assert payments.payments_reconcile(now=timezone.now() + timedelta(minutes=61)) == {"fulfilled": 1}


@pytest.mark.django_db
def test_the_return_page_says_processing_while_stripe_does_not_answer(student, product, stripe):
    payment = checkout(student, product)
    stripe.pay(payment.provider_reference)
    stripe.go_down("refuse")

    page = signed_in(student).get(reverse("billing:payment-detail", args=[payment.pk]))

    assert page.status_code == 200 and "waiting for the payment service" in text(page)
    payment.refresh_from_db()
    assert payment.status == Status.PENDING


# --- refunds -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_finance_refunds_through_stripe_and_the_lessons_left_are_canceled(student, product, stripe, finance_api):
    payment = paid(stripe, student, product)

    response = finance_api.post(f"/api/v1/billing/payments/{payment.pk}/refund", {}, format="json")

    assert response.status_code == 200, response.content
    (call,) = stripe.calls_to("POST", "/v1/refunds")
    assert call.body["amount"] == "15000" and call.body["payment_intent"].startswith("pi_")
    assert call.headers["idempotency-key"] == idempotency_key(payment, "refund")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Status.REFUNDED, Decimal("150.00"))
    assert payment.package.status == LessonPackage.Status.CANCELED


@pytest.mark.django_db
def test_a_refund_above_what_was_paid_is_400_and_stripe_is_not_asked(student, product, stripe, finance_api):
    payment = paid(stripe, student, product)
    LessonPackage.objects.filter(pk=payment.package_id).update(lessons_left=5)
    response = finance_api.post(f"/api/v1/billing/payments/{payment.pk}/refund", {"amount": "150.01"}, format="json")
    assert_error(response, 400, "refund_too_large")
    assert stripe.calls_to("POST", "/v1/refunds") == []


@pytest.mark.django_db
def test_a_refund_stripe_refuses_changes_nothing(student, product, stripe, finance_api):
    payment = paid(stripe, student, product)
    stripe.refund_in_dashboard(payment.provider_reference, 15000, notify=False)  # already all given back there
    before = db_state(payment, payment.package)
    response = finance_api.post(f"/api/v1/billing/payments/{payment.pk}/refund", {}, format="json")
    error = assert_error(response, 502, "payment_provider_error")
    assert "Stripe refused the refund" in error["message"]
    assert db_state(payment, payment.package) == before


@pytest.mark.django_db
def test_a_refund_made_in_stripes_dashboard_reaches_us(student, product, stripe, live_server, settings):
    stripe.webhook_url = live_server.url + WEBHOOK
    payment = paid(stripe, student, product)
    LessonPackage.objects.filter(pk=payment.package_id).update(lessons_left=4)

    delivery = stripe.refund_in_dashboard(payment.provider_reference, 5000)

    assert (delivery.status, delivery.body) == (200, '{"result":"refunded"}')
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Status.REFUNDED, Decimal("50.00"))
    assert payment.package.status == LessonPackage.Status.CANCELED


@pytest.mark.django_db
def test_a_refund_while_stripe_is_down_is_503_and_changes_nothing(student, product, stripe, finance_api):
    payment = paid(stripe, student, product)
    stripe.go_down("refuse")
    before = db_state(payment, payment.package)

    response = finance_api.post(f"/api/v1/billing/payments/{payment.pk}/refund", {}, format="json")

    error = assert_error(response, 503, "payment_provider_unavailable")
    assert error["details"] == {"provider": "stripe"}
    assert db_state(payment, payment.package) == before


@pytest.mark.django_db
def test_a_refund_stripe_refuses_is_told_in_russian_to_a_russian_finance_officer(student, product, stripe):
    payment = paid(stripe, student, product)
    stripe.refund_in_dashboard(payment.provider_reference, 15000, notify=False)
    officer = staff_in("finance")
    officer.language = "ru"
    officer.save(update_fields=["language"])

    response = client_for(officer).post(f"/api/v1/billing/payments/{payment.pk}/refund", {}, format="json")

    error = assert_error(response, 502, "payment_provider_error")
    reason = "Refund amount (15000) is greater than unrefunded amount on charge."  # Stripe's own words
    assert error["message"] == f"Stripe отказал в возврате: {reason}"
    assert error["details"] == {"provider": "stripe", "reason": reason}


@pytest.mark.django_db
def test_a_dashboard_refund_whose_charge_names_our_payment_needs_no_call(student, product, stripe):
    payment = paid(stripe, student, product)
    stripe.refund_in_dashboard(payment.provider_reference, 15000, notify=False)
    charge = stripe.charge(payment.provider_reference, refunded=15000, metadata={"payment_id": str(payment.pk)})
    calls = len(stripe.calls)

    assert deliver(stripe, "charge.refunded", charge).json() == {"result": "refunded"}

    assert len(stripe.calls) == calls
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Status.REFUNDED, Decimal("150.00"))


@pytest.mark.django_db
@pytest.mark.parametrize("intent", ["none", "unknown to stripe", "not ours"])
def test_a_refunded_charge_that_is_not_ours_is_kept_and_changes_nothing(student, product, stripe, intent):
    payment = paid(stripe, student, product)
    charge = stripe.charge(payment.provider_reference, refunded=15000)
    if intent == "none":
        charge["payment_intent"] = None
    elif intent == "unknown to stripe":
        charge["payment_intent"] = "pi_deleted_long_ago"
    else:
        stripe.intents[charge["payment_intent"]]["metadata"] = {"order": "shop-42"}
    before = db_state(payment, payment.package)

    assert deliver(stripe, "charge.refunded", charge).json() == {"result": "unknown_payment"}

    after = db_state(payment, payment.package)
    assert after.pop("PaymentEvent") == before.pop("PaymentEvent") + 1
    assert after == before


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["refuse", "error"])
def test_a_dashboard_refund_stripe_cannot_confirm_now_is_503_and_processed_later(student, product, stripe, how):
    payment = paid(stripe, student, product)
    charge = stripe.charge(payment.provider_reference, refunded=15000)
    body = stripe.event("charge.refunded", charge)
    stripe.go_down(how)
    before = db_state(payment, payment.package)

    response = deliver(stripe, "", {}, body=body)

    assert_error(response, 503, "payment_provider_unavailable")
    assert db_state(payment, payment.package) == before
    stripe.come_back()
    assert deliver(stripe, "", {}, body=body).json() == {"result": "refunded"}  # Stripe's next attempt
    payment.refresh_from_db()
    assert payment.status == Status.REFUNDED


# --- Stripe down -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["refuse", "error"])
def test_when_stripe_is_down_the_checkout_is_503_and_nothing_is_half_written(student, product, stripe, how):
    stripe.go_down(how)
    before = db_state()
    response = client_for(student).post(CHECKOUT, {"product_id": product.pk}, format="json")
    error = assert_error(response, 503, "payment_provider_unavailable")
    assert error["details"] == {"provider": "stripe"}
    assert db_state() == before


@pytest.mark.django_db
def test_a_stripe_that_hangs_is_not_answering(student_api, product, stripe, monkeypatch):
    monkeypatch.setattr(stripe_provider, "TIMEOUT", (1, 0.5))
    stripe.go_down("hang", seconds=5)
    before = db_state()
    started = time.monotonic()

    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert time.monotonic() - started < 4  # one retry included
    assert_error(response, 503, "payment_provider_unavailable")
    assert db_state() == before


@pytest.mark.django_db
def test_a_russian_student_is_told_in_russian_that_stripe_is_not_answering(product, stripe):
    student = StudentFactory(language="ru")
    stripe.go_down("refuse")

    response = client_for(student).post(CHECKOUT, {"product_id": product.pk}, format="json")

    error = assert_error(response, 503, "payment_provider_unavailable")
    assert error["message"] == "Платёжный сервис не отвечает. Деньги не списаны; попробуйте ещё раз через минуту."
    assert response["Content-Language"] == "ru"


@pytest.mark.django_db
def test_recording_a_payment_by_hand_is_refused_with_stripe(staff_api, student, stripe):
    package = LessonPackage.objects.create(
        student=student, lessons_total=5, lessons_left=5, price=Decimal("75"), currency="EUR",
        expires_at=timezone.now() + timedelta(days=30),
    )  # fmt: skip
    before = db_state(package)
    response = staff_api.post(
        "/api/v1/billing/payments", {"package_id": package.pk, "amount": "75.00", "currency": "EUR"}, format="json"
    )
    assert_error(response, 502, "payment_provider_error")
    assert db_state(package) == before and stripe.calls == []


# --- races and settings -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_event_twenty_times_at_once_fulfils_once(postgres_only, student, product, stripe):
    payment = checkout(student, product)
    session = stripe.pay(payment.provider_reference)
    body = stripe.event("checkout.session.completed", session)

    answers = race_n(20, lambda _: deliver(stripe, "", {}, body=body))

    assert [answer.status_code for answer in answers] == [200] * 20
    assert LessonPackage.objects.filter(student=student).count() == 1
    assert PaymentEvent.objects.count() == 1
    succeeded = OutboxEvent.objects.filter(event_type="billing.payment.status_changed", payload__to="succeeded")
    assert succeeded.count() == 1


def test_the_checkout_form_may_redirect_to_stripes_page():
    """Chrome and Safari check where a form's answer redirects against the CSP form-action."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BILLING_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="guitaronline.settings", BILLING_PAYMENT_PROVIDER="stripe")

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["'self'", "https://checkout.stripe.com"]


def test_production_refuses_stripe_without_its_keys():
    problems = payment_provider_problems(
        provider="stripe",
        yookassa_shop_id="",
        yookassa_secret_key="",
        yookassa_api_base="https://api.yookassa.ru/v3",
        stripe_secret_key="",
        stripe_webhook_secret="whsec_x",
        stripe_api_base="http://127.0.0.1:9",
    )
    assert len(problems) == 2
    assert "STRIPE_SECRET_KEY" in problems[0] and "STRIPE_WEBHOOK_SECRET" not in problems[0]
    assert "STRIPE_API_BASE" in problems[1]
