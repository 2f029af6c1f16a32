"""Buying lessons through YooKassa, end to end against a fake YooKassa: a real
HTTP server on loopback (`tests.fakes.yookassa`) that the official library
talks to and that calls the app's webhook back (with `live_server`), or whose
notifications the tests post themselves.

YooKassa's notifications are not signed: each is checked by fetching its
object back from YooKassa, and only YooKassa's answer counts.
"""

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

from audit.models import AdminAction, AuditLog, OutboxEvent
from billing import payments, services, yookassa_provider
from billing.models import LessonPackage, Payment, PaymentEvent, Product
from billing.yookassa_provider import YooKassaProvider, idempotence_key
from tests.billing.helpers import assert_error, checkout, db_state
from tests.clients import client_for, signed_in
from tests.factories import StudentFactory, staff_in
from tests.fakes.yookassa import Delivery, FakeYooKassa
from tests.pages import text
from tests.races import race_n

ROOT = Path(__file__).resolve().parents[2]
CHECKOUT = "/api/v1/billing/checkout"
WEBHOOK = "/api/v1/billing/webhooks/yookassa"

Status = Payment.Status
Result = PaymentEvent.Result


# --- the world --------------------------------------------------------------------------


@pytest.fixture
def yookassa(settings):
    """The fake YooKassa, and the site set to take payments through it."""
    fake = FakeYooKassa().start()
    settings.BILLING_PAYMENT_PROVIDER = "yookassa"
    settings.YOOKASSA_SHOP_ID = fake.shop_id
    settings.YOOKASSA_SECRET_KEY = fake.secret_key
    settings.YOOKASSA_API_BASE = fake.api_base
    yield fake
    fake.stop()


@pytest.fixture
def calling_back(yookassa, live_server, settings):
    """The fake YooKassa sending its notifications to the running site."""
    settings.SITE_URL = live_server.url
    yookassa.webhook_url = live_server.url + WEBHOOK
    return yookassa


@pytest.fixture
def product(db):
    return Product.objects.create(
        name_en="Ten lessons",
        name_ru="Десять уроков",
        lessons=10,
        validity_days=90,
        price=Decimal("1500.00"),
        currency="RUB",
    )


def deliver(body: bytes):
    """Post a notification to the webhook, as YooKassa would (no login, no CSRF token)."""
    return APIClient(enforce_csrf_checks=True).post(WEBHOOK, data=body, content_type="application/json")


def paid(yookassa: FakeYooKassa, student, product) -> Payment:
    """A checkout paid at YooKassa and its notification received."""
    payment = checkout(student, product)
    yookassa.succeed(payment.provider_reference)
    response = deliver(yookassa.notification("payment.succeeded", payment.provider_reference))
    assert response.json() == {"result": "fulfilled"}
    payment.refresh_from_db()
    return payment


def open_page(url: str, *, method: str = "GET"):
    """What a browser gets from the fake's confirmation page (redirects not followed)."""

    class Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        return urllib.request.build_opener(Stay).open(request, timeout=60)
    except urllib.error.HTTPError as answer:  # 3xx and 4xx come back as "errors"
        return answer


# --- checkout ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_checkout_registers_the_payment_at_yookassa(student, student_api, product, yookassa, settings):
    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    payment = Payment.objects.get()
    (call,) = yookassa.calls_to("POST", "/v3/payments")
    yookassa_payment = yookassa.payment(payment.provider_reference)
    assert body == {
        "payment_id": payment.pk,
        "checkout_url": yookassa_payment["confirmation"]["confirmation_url"],
        "status": "pending",
        "amount": "1500.00",
        "currency": "RUB",
        "provider": "yookassa",
    }
    assert call.body["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert call.body["capture"] is True
    assert call.body["confirmation"] == {
        "type": "redirect",
        "return_url": f"{settings.SITE_URL}/payments/{payment.pk}/",
    }
    assert call.body["description"] == "Ten lessons"
    assert call.body["metadata"]["payment_id"] == str(payment.pk)
    assert call.headers["idempotence-key"] == idempotence_key(payment, "checkout")
    assert (payment.status, payment.provider, payment.amount, payment.currency) == (
        Status.PENDING,
        "yookassa",
        Decimal("1500.00"),
        "RUB",
    )


@pytest.mark.django_db
def test_the_checkout_page_sends_the_student_to_yookassa(student, product, yookassa):
    response = signed_in(student).post(reverse("billing:checkout", args=[product.pk]))

    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == payment.checkout_url
    assert response["Location"].startswith(f"{yookassa.url}/checkout/")


def test_the_checkout_form_may_redirect_to_yookassas_page():
    """Chrome and Safari check where a form's answer redirects against the CSP form-action."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']))"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BILLING_", "DJANGO_"))}

    def form_action(provider: str) -> list[str]:
        environment = {**env, "DJANGO_SETTINGS_MODULE": "guitaronline.settings", "BILLING_PAYMENT_PROVIDER": provider}
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert form_action("yookassa") == ["'self'", "https://yoomoney.ru"]
    assert form_action("offline") == ["'self'"]


@pytest.mark.django_db
def test_an_idempotency_key_replays_the_checkout_and_a_second_checkout_is_the_same_payment(
    student_api, product, yookassa
):
    first = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    replay = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    again = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert first.status_code == 201
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (201, "true")
    assert replay.json() == first.json()
    assert again.status_code == 200
    assert again.json() == first.json()
    assert Payment.objects.count() == 1
    assert len(yookassa.calls_to("POST", "/v3/payments")) == 1


@pytest.mark.django_db
def test_a_retried_call_to_yookassa_never_creates_a_second_payment(student, product, yookassa):
    payment = checkout(student, product)

    again = YooKassaProvider().create_checkout(payment, return_url=payments.return_url(payment))

    assert again.reference == payment.provider_reference
    assert len(yookassa.calls_to("POST", "/v3/payments")) == 2
    assert len(yookassa.payments) == 1


@pytest.mark.django_db
def test_recording_a_payment_by_hand_is_refused_with_yookassa(staff_api, student, yookassa):
    package = LessonPackage.objects.create(
        student=student,
        lessons_total=5,
        lessons_left=5,
        price=Decimal("750"),
        currency="RUB",
        expires_at=timezone.now() + timedelta(days=30),
    )
    before = db_state(package)

    response = staff_api.post(
        "/api/v1/billing/payments", {"package_id": package.pk, "amount": "750.00", "currency": "RUB"}, format="json"
    )

    assert_error(response, 502, "payment_provider_error")
    assert db_state(package) == before
    assert yookassa.calls == []


# --- paying, and what YooKassa tells us -----------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_paying_on_the_yookassa_page_fulfils_the_payment_and_the_return_page_shows_the_receipt(
    student, product, calling_back, settings
):
    body = client_for(student).post(CHECKOUT, {"product_id": product.pk}, format="json").json()
    payment = Payment.objects.get(pk=body["payment_id"])

    page = open_page(body["checkout_url"])
    assert page.status == 200
    assert "Pay" in page.read().decode()
    back = open_page(body["checkout_url"], method="POST")

    assert back.status == 303
    assert back.headers["Location"] == f"{settings.SITE_URL}/payments/{payment.pk}/"
    assert calling_back.deliveries == [
        Delivery("payment.succeeded", payment.provider_reference, 200, '{"result":"fulfilled"}')
    ]
    payment.refresh_from_db()
    package = payment.package
    assert payment.status == Status.SUCCEEDED
    assert (package.student, package.lessons_total, package.lessons_left) == (student, 10, 10)
    assert package.expires_at == payment.paid_at + timedelta(days=90)
    assert (package.price, package.currency) == (Decimal("1500.00"), "RUB")
    assert LessonPackage.objects.count() == 1
    (event,) = PaymentEvent.objects.all()
    assert (event.event_id, event.result, event.payment) == (
        f"payment.succeeded:{payment.provider_reference}",
        Result.FULFILLED,
        payment,
    )

    receipt = signed_in(student).get(urlsplit(back.headers["Location"]).path)

    assert receipt.status_code == 200
    shown = text(receipt)
    assert "Receipt" in shown
    assert "Payment received. Thank you!" in shown
    assert f"Receipt number {payment.pk}" in shown
    assert "1500.00 RUB" in shown


@pytest.mark.parametrize(
    ("event", "says"),
    [
        ("payment.succeeded", {"status": "succeeded", "paid": True}),
        ("payment.canceled", {"status": "canceled"}),
    ],
)
@pytest.mark.django_db
def test_a_notification_yookassa_contradicts_is_refused_and_records_nothing(student, product, yookassa, event, says):
    payment = checkout(student, product)  # pending at YooKassa
    before = db_state(payment)

    response = deliver(yookassa.notification(event, payment.provider_reference, **says))

    assert_error(response, 400, "webhook_rejected")
    assert b"pending" not in response.content  # a stranger learns nothing of the payment
    assert db_state(payment) == before
    assert len(yookassa.calls_to("GET", f"/v3/payments/{payment.provider_reference}")) == 1  # asked, not believed


@pytest.mark.django_db
def test_a_refund_notification_for_a_refund_yookassa_canceled_is_refused(student, product, yookassa):
    payment = paid(yookassa, student, product)
    refund = yookassa.refund(payment.provider_reference, "1500.00", notify=False, canceled=True)
    before = db_state(payment, payment.package)

    response = deliver(yookassa.notification("refund.succeeded", refund["id"], status="succeeded"))

    assert_error(response, 400, "webhook_rejected")
    assert db_state(payment, payment.package) == before


@pytest.mark.parametrize(
    ("event", "object_id"),
    [
        ("payment.succeeded", "2419a771-000f-5000-9000-1edaf29243f2"),  # no such payment at YooKassa
        ("refund.succeeded", "2419a771-000f-5000-9000-1edaf29243f2"),  # no such refund
    ],
)
@pytest.mark.django_db
def test_a_notification_of_an_object_yookassa_does_not_know_is_refused(student, product, yookassa, event, object_id):
    checkout(student, product)
    before = db_state()

    response = deliver(yookassa.notification(event, object_id, status="succeeded"))

    assert_error(response, 400, "webhook_rejected")
    assert db_state() == before


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"type": "notification"}',
        b'{"type": "notification", "event": "payment.succeeded"}',
        b'{"type": "notification", "event": "payment.succeeded", "object": {"id": 5}}',
        b'{"type": "notification", "event": "payment.succeeded", "object": {"id": "../refunds/x"}}',
        b'{"type": "notification", "event": "payment.waiting_for_capture", "object": {"id": "abc"}}',
        b'{"type": "payment", "event": "payment.succeeded", "object": {"id": "abc"}}',
    ],
)
@pytest.mark.django_db
def test_a_body_that_is_not_a_notification_is_refused_without_asking_yookassa(yookassa, body):
    before = db_state()

    response = deliver(body)

    assert_error(response, 400, "webhook_rejected")
    assert db_state() == before
    assert yookassa.calls == []


@pytest.mark.django_db
def test_a_replayed_notification_changes_nothing(student, product, yookassa):
    payment = paid(yookassa, student, product)
    before = db_state(payment, payment.package)

    response = deliver(yookassa.notification("payment.succeeded", payment.provider_reference))

    assert (response.status_code, response.json()) == (200, {"result": "fulfilled"})  # the first one's result
    assert db_state(payment, payment.package) == before


@pytest.mark.django_db
def test_a_notification_for_a_payment_unknown_here_is_recorded_and_changes_nothing(student, product, yookassa):
    checkout(student, product)
    elsewhere = yookassa.add_payment(amount="1500.00", metadata={"payment_id": "999999"})
    before = db_state()

    response = deliver(yookassa.notification("payment.succeeded", elsewhere["id"]))

    assert (response.status_code, response.json()) == (200, {"result": "unknown_payment"})
    event = PaymentEvent.objects.get()
    assert (event.result, event.payment) == (Result.UNKNOWN_PAYMENT, None)
    assert db_state() == {**before, "PaymentEvent": 1}


@pytest.mark.django_db
def test_an_amount_yookassa_answers_differently_is_a_mismatch_never_fulfilled(
    student, product, yookassa, staff, client
):
    payment = checkout(student, product)
    yookassa.succeed(payment.provider_reference, amount="15.00")
    before = db_state(payment)

    says = {"value": "1500.00", "currency": "RUB"}  # what the notification says does not count
    response = deliver(yookassa.notification("payment.succeeded", payment.provider_reference, amount=says))
    later = payments.payments_reconcile(now=timezone.now() + timedelta(minutes=11))

    assert response.json() == {"result": "mismatch"}
    assert later == {"mismatch": 1}
    event = PaymentEvent.objects.get()
    assert (event.result, event.detail, event.payment) == (Result.MISMATCH, "amount 15.00 instead of 1500.00", payment)
    assert db_state(payment) == {**before, "PaymentEvent": 1}
    client.force_login(staff)
    events_page = client.get(reverse("admin:billing_paymentevent_changelist"))
    assert "amount or currency differs: not fulfilled" in text(events_page)
    assert "amount 15.00 instead of 1500.00" in text(events_page)


@pytest.mark.django_db
def test_a_payment_canceled_at_yookassa_fails(student, product, yookassa):
    payment = checkout(student, product)
    yookassa.cancel(payment.provider_reference)

    response = deliver(yookassa.notification("payment.canceled", payment.provider_reference))

    assert response.json() == {"result": "failed"}
    payment.refresh_from_db()
    assert (payment.status, payment.package) == (Status.FAILED, None)
    page = signed_in(student).get(reverse("billing:payment-detail", args=[payment.pk]))
    assert "This payment was not completed, and nothing was charged for it." in text(page)


# --- reconciliation ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_reconciliation_settles_what_yookassa_says_and_expires_the_abandoned(product, yookassa):
    lost, abandoned, refused = (checkout(StudentFactory(), product) for _ in range(3))
    yookassa.succeed(lost.provider_reference)  # paid; its notification never came
    yookassa.cancel(refused.provider_reference)
    now = timezone.now()

    assert payments.payments_reconcile(now=now + timedelta(minutes=5)) == {}  # too early to ask
    first = payments.payments_reconcile(now=now + timedelta(minutes=11))
    second = payments.payments_reconcile(now=now + timedelta(minutes=61))

    assert first == {"fulfilled": 1, "failed": 1, "unchanged": 1}
    assert second == {"expired": 1}
    for payment in (lost, abandoned, refused):
        payment.refresh_from_db()
    assert (lost.status, lost.package.lessons_total) == (Status.SUCCEEDED, 10)
    assert (abandoned.status, refused.status) == (Status.EXPIRED, Status.FAILED)
    assert PaymentEvent.objects.count() == 0


@pytest.mark.django_db
def test_reconciliation_asks_again_when_yookassa_does_not_answer(student, product, yookassa):
    payment = checkout(student, product)
    yookassa.succeed(payment.provider_reference)
    yookassa.go_down("error")

    outcome = payments.payments_reconcile(now=timezone.now() + timedelta(minutes=61))

    assert outcome == {"provider_unavailable": 1}
    payment.refresh_from_db()
    assert payment.status == Status.PENDING
    yookassa.come_back()
    assert payments.payments_reconcile(now=timezone.now() + timedelta(minutes=61)) == {"fulfilled": 1}


@pytest.mark.django_db
def test_the_return_page_asks_yookassa_when_the_notification_is_late(student, product, yookassa):
    payment = checkout(student, product)
    url = reverse("billing:payment-detail", args=[payment.pk])
    waiting = signed_in(student).get(url)
    assert "waiting for the payment service" in text(waiting)
    assert '<meta http-equiv="refresh" content="5">' in waiting.content.decode()

    yookassa.succeed(payment.provider_reference)  # paid; the notification is still on its way
    shown = text(signed_in(student).get(url))

    assert "Payment received. Thank you!" in shown
    payment.refresh_from_db()
    assert (payment.status, payment.package.lessons_total) == (Status.SUCCEEDED, 10)
    assert deliver(yookassa.notification("payment.succeeded", payment.provider_reference)).json() == {
        "result": "ignored"
    }
    assert LessonPackage.objects.count() == 1


@pytest.mark.django_db
def test_the_return_page_says_processing_while_yookassa_does_not_answer(student, product, yookassa):
    payment = checkout(student, product)
    yookassa.succeed(payment.provider_reference)
    yookassa.go_down("error")

    page = signed_in(student).get(reverse("billing:payment-detail", args=[payment.pk]))

    assert page.status_code == 200 and "waiting for the payment service" in text(page)
    payment.refresh_from_db()
    assert payment.status == Status.PENDING


# --- refunds -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_finance_refunds_an_unused_package_whole_through_yookassa_and_its_notice_changes_nothing(
    student, product, yookassa, finance_api
):
    payment = paid(yookassa, student, product)

    response = finance_api.post(f"/api/v1/billing/payments/{payment.pk}/refund", {}, format="json")

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["refunded_amount"]) == ("refunded", "1500.00")
    (call,) = yookassa.calls_to("POST", "/v3/refunds")
    assert call.body["payment_id"] == payment.provider_reference
    assert call.body["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert call.headers["idempotence-key"] == idempotence_key(payment, "refund")
    assert yookassa.payment(payment.provider_reference)["refunded_amount"] == {"value": "1500.00", "currency": "RUB"}
    payment.refresh_from_db()
    assert payment.package.status == LessonPackage.Status.CANCELED
    before = db_state(payment, payment.package)

    (refund_id,) = yookassa.refunds
    notice = deliver(yookassa.notification("refund.succeeded", refund_id))

    assert notice.json() == {"result": "ignored"}
    assert db_state(payment, payment.package) == {**before, "PaymentEvent": before["PaymentEvent"] + 1}


@pytest.mark.django_db
def test_a_used_package_needs_an_amount_never_more_than_was_paid(student, product, yookassa, finance_api):
    payment = paid(yookassa, student, product)
    services.package_consume_lesson(student=student, actor=student)
    url = f"/api/v1/billing/payments/{payment.pk}/refund"
    before = db_state(payment, payment.package)

    whole = finance_api.post(url, {}, format="json")
    too_much = finance_api.post(url, {"amount": "1500.01"}, format="json")

    assert_error(whole, 400, "refund_amount_required")
    assert_error(too_much, 400, "refund_too_large")
    assert db_state(payment, payment.package) == before
    assert yookassa.calls_to("POST", "/v3/refunds") == []

    part = finance_api.post(url, {"amount": "500.00"}, format="json")

    assert (part.status_code, part.json()["refunded_amount"]) == (200, "500.00")
    (call,) = yookassa.calls_to("POST", "/v3/refunds")
    assert call.body["amount"] == {"value": "500.00", "currency": "RUB"}
    package = LessonPackage.objects.get(pk=payment.package_id)
    assert (package.status, package.lessons_left) == (LessonPackage.Status.CANCELED, 9)


@pytest.mark.django_db
def test_finance_refunds_through_the_admin(student, product, yookassa, client):
    payment = paid(yookassa, student, product)
    client.force_login(staff_in("finance"))

    response = client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [payment.pk], "amount": "", "apply": "1"},
    )

    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Status.REFUNDED, Decimal("1500.00"))
    (call,) = yookassa.calls_to("POST", "/v3/refunds")
    assert call.body["amount"] == {"value": "1500.00", "currency": "RUB"}
    assert AdminAction.objects.filter(action="admin.billing.payment_refunded", target_id=str(payment.pk)).count() == 1


@pytest.mark.django_db
def test_a_refund_yookassa_refuses_changes_nothing(student, product, yookassa, finance_api):
    payment = paid(yookassa, student, product)
    yookassa.refund(payment.provider_reference, "1500.00", notify=False)  # in the dashboard; the notice is late
    before = db_state(payment, payment.package)

    response = finance_api.post(f"/api/v1/billing/payments/{payment.pk}/refund", {}, format="json")

    error = assert_error(response, 502, "payment_provider_error")
    assert error["details"]["provider"] == "yookassa"
    assert "exceeds" in error["details"]["reason"]
    assert db_state(payment, payment.package) == before


@pytest.mark.django_db(transaction=True)
def test_a_refund_made_in_the_yookassa_dashboard_reaches_us_once(student, product, calling_back):
    payment = paid(calling_back, student, product)

    refund = calling_back.refund(payment.provider_reference, "600.00")
    again = calling_back.notify("refund.succeeded", refund["id"])

    assert [delivery.status for delivery in calling_back.deliveries] == [200, 200]
    assert [json.loads(delivery.body) for delivery in calling_back.deliveries] == [{"result": "refunded"}] * 2
    assert again.status == 200
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (Status.REFUNDED, Decimal("600.00"))
    assert payment.package.status == LessonPackage.Status.CANCELED
    assert PaymentEvent.objects.filter(event_type="refund.succeeded").count() == 1
    refunded = AuditLog.objects.filter(action="billing.payment.status_changed", payload__to="refunded")
    assert refunded.count() == 1
    assert calling_back.calls_to("POST", "/v3/refunds") == []  # nothing given back twice


# --- YooKassa down ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["refuse", "error"])
@pytest.mark.django_db
def test_checkout_while_yookassa_is_down_is_503_and_writes_nothing(student_api, product, yookassa, how):
    yookassa.go_down(how)
    before = db_state()

    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k")

    error = assert_error(response, 503, "payment_provider_unavailable")
    assert error["details"] == {"provider": "yookassa"}
    assert db_state() == before


@pytest.mark.django_db
def test_checkout_with_a_wrong_secret_key_is_refused_by_yookassa_and_writes_nothing(
    student_api, product, yookassa, settings
):
    settings.YOOKASSA_SECRET_KEY = "not_the_shops_key"
    before = db_state()

    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert_error(response, 503, "payment_provider_unavailable")
    assert db_state() == before
    assert yookassa.payments == {}


@pytest.mark.django_db
def test_a_yookassa_that_hangs_is_not_answering(student_api, product, yookassa, monkeypatch):
    monkeypatch.setattr(yookassa_provider, "TIMEOUT", (1, 0.5))
    yookassa.go_down("hang", seconds=5)
    before = db_state()
    started = time.monotonic()

    response = student_api.post(CHECKOUT, {"product_id": product.pk}, format="json")

    assert time.monotonic() - started < 4
    assert_error(response, 503, "payment_provider_unavailable")
    assert db_state() == before


@pytest.mark.parametrize("how", ["refuse", "error"])
@pytest.mark.django_db
def test_a_notification_yookassa_cannot_confirm_now_is_503_and_processed_later(student, product, yookassa, how):
    payment = checkout(student, product)
    yookassa.succeed(payment.provider_reference)
    body = yookassa.notification("payment.succeeded", payment.provider_reference)
    yookassa.go_down(how)
    before = db_state(payment)

    response = deliver(body)

    error = assert_error(response, 503, "payment_provider_unavailable")
    assert error["details"] == {"provider": "yookassa"}
    assert db_state(payment) == before

    yookassa.come_back()
    assert deliver(body).json() == {"result": "fulfilled"}
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED


@pytest.mark.django_db
def test_a_refund_while_yookassa_is_down_is_503_and_changes_nothing(student, product, yookassa, finance_api):
    payment = paid(yookassa, student, product)
    yookassa.go_down("refuse")
    before = db_state(payment, payment.package)

    response = finance_api.post(f"/api/v1/billing/payments/{payment.pk}/refund", {}, format="json")

    assert_error(response, 503, "payment_provider_unavailable")
    assert db_state(payment, payment.package) == before


# --- races -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_same_notification_twenty_times_at_once_fulfils_once(postgres_only, student, product, yookassa):
    payment = checkout(student, product)
    yookassa.succeed(payment.provider_reference)
    body = yookassa.notification("payment.succeeded", payment.provider_reference)

    answers = race_n(20, lambda _: deliver(body))

    assert LessonPackage.objects.filter(student=student).count() == 1
    assert PaymentEvent.objects.count() == 1
    assert [(answer.status_code, answer.json()) for answer in answers] == [(200, {"result": "fulfilled"})] * 20
    payment.refresh_from_db()
    assert payment.status == Status.SUCCEEDED
    succeeded = OutboxEvent.objects.filter(event_type="billing.payment.status_changed", payload__to="succeeded")
    assert succeeded.count() == 1


# --- language -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_russian_student_gets_the_apis_messages_in_russian(product, yookassa):
    student = StudentFactory(language="ru")
    yookassa.go_down("refuse")

    response = client_for(student).post(CHECKOUT, {"product_id": product.pk}, format="json")

    error = assert_error(response, 503, "payment_provider_unavailable")
    assert error["message"] == ("Платёжный сервис не отвечает. Деньги не списаны; попробуйте ещё раз через минуту.")
    assert response["Content-Language"] == "ru"
