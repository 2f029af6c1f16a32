"""Buying lessons with the offline provider (the embedded default): products,
the checkout, settling by finance, selling at the desk, refunds, the
reconciliation of abandoned checkouts, and the student's pages and API.
The hosted providers are tested against their fakes (test_stripe.py,
test_yookassa.py)."""

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog, OutboxEvent
from billing import payments, selectors
from billing.errors import (
    InvalidTransition,
    ProductUnavailable,
    RefundAmountRequired,
    RefundTooLarge,
)
from billing.models import LessonPackage, Payment, PaymentEvent, Product
from guitaronline.core.capabilities import CapabilityMissing
from guitaronline.core.errors import Forbidden, NotFound
from notifications.services import outbox_dispatch
from tests.clients import client_for, signed_in
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, staff_in
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db

Status = Payment.Status


@pytest.fixture
def product():
    return Product.objects.create(
        name_en="Eight lessons",
        name_ru="Восемь уроков",
        description_en="Two months of weekly lessons.",
        description_ru="Два месяца уроков раз в неделю.",
        lessons=8,
        validity_days=60,
        price=Decimal("12000.00"),
        currency="RUB",
        position=2,
    )


@pytest.fixture
def finance():
    return staff_in("finance")


def everything() -> dict:
    return {
        **booking_snapshot(),
        "payments": list(Payment.objects.order_by("pk").values()),
        "events": list(PaymentEvent.objects.order_by("pk").values()),
    }


# --- the catalogue ------------------------------------------------------------------------


def test_products_on_sale_in_order_and_in_the_readers_language(api, product):
    Product.objects.create(
        name_en="Four", name_ru="Четыре", lessons=4, validity_days=30, price=Decimal("6500.00"), currency="RUB"
    )
    Product.objects.create(
        name_en="Off sale", name_ru="Снят", lessons=1, validity_days=7, price=Decimal("1"), currency="RUB",
        is_active=False,
    )  # fmt: skip
    english = api.get("/api/v1/billing/products", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [item["name"] for item in english["results"]] == ["Four", "Eight lessons"]
    russian = api.get("/api/v1/billing/products", HTTP_ACCEPT_LANGUAGE="ru").json()["results"][1]
    assert (russian["name"], russian["description"]) == ("Восемь уроков", "Два месяца уроков раз в неделю.")
    assert (russian["lessons"], russian["validity_days"], russian["price"], russian["currency"]) == (
        8,
        60,
        "12000.00",
        "RUB",
    )


def test_the_buy_page_lists_the_products_and_invites_a_visitor_to_log_in(client, product):
    page = client.get(reverse("billing:product-list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Eight lessons" in page and "12000.00 RUB" in page
    assert f"{reverse('accounts:login')}?next=" in page
    student_page = signed_in(StudentFactory()).get(reverse("billing:product-list")).content.decode()
    assert f'action="{reverse("billing:checkout", args=[product.pk])}"' in student_page


def test_product_save_needs_the_capability_and_records_the_change(product):
    product.price = Decimal("12500.00")
    before = everything()
    with pytest.raises(CapabilityMissing):
        from billing import services

        services.product_save(product=product, actor=staff_in("support"))
    assert everything() == before
    services.product_save(product=product, actor=staff_in("finance"))
    assert Product.objects.get(pk=product.pk).price == Decimal("12500.00")
    assert AuditLog.objects.filter(action="billing.product.changed", entity_id=str(product.pk)).exists()


# --- checkout -----------------------------------------------------------------------------


def test_a_checkout_is_a_pending_payment_at_the_products_price(student, product):
    payment, created = payments.product_checkout(student=student, product_id=product.pk)
    assert created
    assert (payment.status, payment.amount, payment.currency) == (Status.PENDING, Decimal("12000.00"), "RUB")
    assert (payment.student, payment.product, payment.package) == (student, product, None)
    assert (payment.provider, payment.provider_reference, payment.checkout_url) == (
        "offline",
        f"offline-{payment.pk}",
        "",
    )
    assert OutboxEvent.objects.filter(event_type="billing.payment.checkout_started").count() == 1
    assert not LessonPackage.objects.exists()


def test_a_second_checkout_of_the_same_product_returns_the_first(student, product):
    first, _ = payments.product_checkout(student=student, product_id=product.pk)
    again, created = payments.product_checkout(student=student, product_id=product.pk)
    assert (again, created) == (first, False)
    assert Payment.objects.count() == 1


@pytest.mark.parametrize("case", ["unknown", "off-sale", "teacher"])
def test_a_checkout_that_cannot_be_made_writes_nothing(student, product, case):
    buyer = TeacherFactory() if case == "teacher" else student
    product_id = 10**9 if case == "unknown" else product.pk
    if case == "off-sale":
        Product.objects.filter(pk=product.pk).update(is_active=False)
    before = everything()
    error = {"unknown": NotFound, "off-sale": ProductUnavailable, "teacher": Forbidden}[case]
    with pytest.raises(error):
        payments.product_checkout(student=buyer, product_id=product_id)
    assert everything() == before


def test_the_api_checks_out_once_and_replays_the_idempotency_key(student, product):
    api = client_for(student)
    first = api.post("/api/v1/billing/checkout", {"product_id": product.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == 201
    body = first.json()
    assert set(body) == {"payment_id", "checkout_url", "status", "amount", "currency", "provider"}
    assert (body["status"], body["amount"], body["currency"], body["checkout_url"]) == (
        "pending",
        "12000.00",
        "RUB",
        "",
    )
    replay = api.post("/api/v1/billing/checkout", {"product_id": product.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert (replay.status_code, replay.json(), replay["Idempotent-Replayed"]) == (201, body, "true")
    again = api.post("/api/v1/billing/checkout", {"product_id": product.pk}, format="json")
    assert (again.status_code, again.json()["payment_id"]) == (200, body["payment_id"])
    mine = api.get("/api/v1/billing/payments/my").json()["results"]
    assert [(item["id"], item["product_id"], item["status"]) for item in mine] == [
        (body["payment_id"], product.pk, "pending")
    ]


@pytest.mark.parametrize(
    ("product_id", "status", "code"),
    [(10**9, 404, "not_found"), ("x", 400, "validation_error"), (None, 400, "validation_error")],
)
def test_the_api_refuses_a_bad_product(student, product_id, status, code):
    response = client_for(student).post("/api/v1/billing/checkout", {"product_id": product_id}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert not Payment.objects.exists()


def test_the_api_says_a_product_off_sale_in_russian(product):
    student = StudentFactory(language="ru")
    Product.objects.filter(pk=product.pk).update(is_active=False)
    response = client_for(student).post("/api/v1/billing/checkout", {"product_id": product.pk}, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "product_unavailable")
    assert response.json()["error"]["message"] == "Этот пакет больше не продаётся."


def test_the_page_checkout_shows_how_to_pay_the_school(student, product, settings):
    settings.BILLING_OFFLINE_INSTRUCTIONS_EN = "Bank: GuitarBank, account 40702810000000000001."
    response = signed_in(student).post(reverse("billing:checkout", args=[product.pk]), follow=True)
    payment = Payment.objects.get()
    assert response.redirect_chain == [(reverse("billing:payment-detail", args=[payment.pk]), 302)]
    page = response.content.decode()
    assert "GuitarBank, account 40702810000000000001" in page
    assert "Pay 12000.00 RUB to the school" in page


# --- finance settles offline money ---------------------------------------------------------


def test_finance_marks_an_offline_payment_received_and_the_package_comes_once(student, product, finance):
    payment, _ = payments.product_checkout(student=student, product_id=product.pk)
    now = timezone.now()
    settled = payments.payment_settle(payment=payment, succeeded=True, actor=finance, now=now)
    assert (settled.status, settled.paid_at) == (Status.SUCCEEDED, now)
    package = settled.package
    assert (package.student, package.lessons_total, package.lessons_left, package.price) == (
        student,
        8,
        8,
        Decimal("12000.00"),
    )
    assert package.expires_at == now + timedelta(days=60)
    event = OutboxEvent.objects.get(event_type="billing.payment.status_changed")
    assert (event.payload["from"], event.payload["to"], event.payload["package_id"]) == (
        "pending",
        "succeeded",
        package.pk,
    )
    with pytest.raises(InvalidTransition):
        payments.payment_settle(payment=payment, succeeded=True, actor=finance)
    assert LessonPackage.objects.count() == 1


def test_finance_marks_an_offline_payment_failed(student, product, finance):
    payment, _ = payments.product_checkout(student=student, product_id=product.pk)
    assert payments.payment_settle(payment=payment, succeeded=False, actor=finance).status == Status.FAILED
    assert not LessonPackage.objects.exists()
    page = signed_in(student).get(reverse("billing:payment-detail", args=[payment.pk])).content.decode()
    assert "This payment was not completed" in page


def test_support_cannot_settle_money(student, product):
    payment, _ = payments.product_checkout(student=student, product_id=product.pk)
    before = everything()
    with pytest.raises(CapabilityMissing):
        payments.payment_settle(payment=payment, succeeded=True, actor=staff_in("support"))
    assert everything() == before


def test_the_staff_status_api_settles_a_checkout_with_its_package(student, product, finance):
    payment, _ = payments.product_checkout(student=student, product_id=product.pk)
    response = client_for(finance).post(
        f"/api/v1/billing/payments/{payment.pk}/status", {"status": "succeeded"}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "succeeded")
    assert response.json()["package_id"] == Payment.objects.get().package_id is not None


def test_the_admin_marks_payments_received_and_sells_at_the_desk(client, student, product, finance):
    payment, _ = payments.product_checkout(student=student, product_id=product.pk)
    client.force_login(finance)
    client.post(
        reverse("admin:billing_payment_changelist"), {"action": "mark_received", "_selected_action": [payment.pk]}
    )
    assert Payment.objects.get(pk=payment.pk).status == Status.SUCCEEDED
    other = StudentFactory()
    sell = reverse("admin:billing_product_changelist")
    form = client.post(sell, {"action": "sell_offline", "_selected_action": [product.pk]})
    assert form.status_code == 200 and "Sell lessons paid at the desk" in form.content.decode()
    client.post(sell, {"action": "sell_offline", "_selected_action": [product.pk], "student": other.pk, "apply": "1"})
    sold = Payment.objects.get(student=other)
    assert (sold.status, sold.provider, sold.package.lessons_total) == (Status.SUCCEEDED, "offline", 8)


# --- refunds ------------------------------------------------------------------------------


@pytest.fixture
def paid(student, product, finance):
    payment, _ = payments.product_checkout(student=student, product_id=product.pk)
    return payments.payment_settle(payment=payment, succeeded=True, actor=finance)


def test_an_unused_package_is_refunded_whole_and_its_lessons_canceled(paid, finance):
    refunded = payments.payment_refund(payment=paid, actor=finance)
    assert (refunded.status, refunded.refunded_amount) == (Status.REFUNDED, Decimal("12000.00"))
    assert LessonPackage.objects.get(pk=paid.package_id).status == LessonPackage.Status.CANCELED


def test_a_used_package_needs_an_amount_never_more_than_paid(paid, finance):
    LessonPackage.objects.filter(pk=paid.package_id).update(lessons_left=5)
    before = everything()
    with pytest.raises(RefundAmountRequired):
        payments.payment_refund(payment=paid, actor=finance)
    with pytest.raises(RefundTooLarge):
        payments.payment_refund(payment=paid, actor=finance, amount=Decimal("12000.01"))
    assert everything() == before
    refunded = payments.payment_refund(payment=paid, actor=finance, amount=Decimal("7500.00"))
    assert refunded.refunded_amount == Decimal("7500.00")
    amounts = selectors.payment_amounts()["RUB"]
    assert amounts == {"succeeded": "12000.00", "refunded": "7500.00", "net": "4500.00"}


def test_the_refund_api_answers_in_the_error_shape(paid, finance):
    api = client_for(finance)
    LessonPackage.objects.filter(pk=paid.package_id).update(lessons_left=5)
    too_much = api.post(f"/api/v1/billing/payments/{paid.pk}/refund", {"amount": "99999.00"}, format="json")
    assert (too_much.status_code, too_much.json()["error"]["code"]) == (400, "refund_too_large")
    missing = api.post(f"/api/v1/billing/payments/{paid.pk}/refund", {}, format="json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "refund_amount_required")
    ok = api.post(f"/api/v1/billing/payments/{paid.pk}/refund", {"amount": "100.00"}, format="json")
    assert (ok.status_code, ok.json()["status"], ok.json()["refunded_amount"]) == (200, "refunded", "100.00")
    twice = api.post(f"/api/v1/billing/payments/{paid.pk}/refund", {"amount": "100.00"}, format="json")
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "invalid_transition")


def test_the_admin_asks_the_amount_of_a_refund(client, paid, finance):
    LessonPackage.objects.filter(pk=paid.package_id).update(lessons_left=5)
    client.force_login(finance)
    changelist = reverse("admin:billing_payment_changelist")
    asked = client.post(changelist, {"action": "refund_payments", "_selected_action": [paid.pk]})
    assert asked.status_code == 200 and "Amount to refund" in asked.content.decode()
    client.post(
        changelist, {"action": "refund_payments", "_selected_action": [paid.pk], "amount": "2000.00", "apply": "1"}
    )
    assert Payment.objects.get(pk=paid.pk).refunded_amount == Decimal("2000.00")


# --- abandoned checkouts and the receipt ------------------------------------------------------


def test_an_abandoned_offline_checkout_expires(student, product, settings):
    payment, _ = payments.product_checkout(student=student, product_id=product.pk)
    soon = timezone.now() + timedelta(days=settings.BILLING_OFFLINE_CHECKOUT_DAYS - 1)
    assert payments.payments_reconcile(now=soon) == {"unchanged": 1}
    later = timezone.now() + timedelta(days=settings.BILLING_OFFLINE_CHECKOUT_DAYS + 1)
    assert payments.payments_reconcile(now=later) == {"expired": 1}
    assert Payment.objects.get(pk=payment.pk).status == Status.EXPIRED
    fresh, created = payments.product_checkout(student=student, product_id=product.pk)
    assert created and fresh.pk != payment.pk  # a new checkout after the old one expired


def test_the_receipt_is_the_students_alone(paid, student):
    url = reverse("billing:payment-detail", args=[paid.pk])
    page = signed_in(student).get(url).content.decode()
    assert "Receipt" in page and f"{paid.pk}" in page and "12000.00 RUB" in page and "Eight lessons" in page
    assert signed_in(StudentFactory()).get(url).status_code == 404
    assert signed_in(StaffFactory()).get(url).status_code == 403  # the students' area


# --- notifications of the offline provider ---------------------------------------------------


def test_the_offline_provider_takes_no_notifications(api):
    response = api.post("/api/v1/billing/webhooks/offline", b"{}", content_type="application/json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "webhook_rejected")
    unknown = api.post("/api/v1/billing/webhooks/paypal", b"{}", content_type="application/json")
    assert unknown.status_code == 404
    assert not PaymentEvent.objects.exists()


# --- the receipt and refund e-mails ----------------------------------------------------------


def test_the_student_gets_a_receipt_email_linking_to_the_receipt_page(paid, student, settings):
    mail.outbox.clear()
    outbox_dispatch()
    [receipt] = [m for m in mail.outbox if m.to == [student.email]]  # the receipt tells of the package too
    assert receipt.subject == f"Receipt for payment No. {paid.pk}"
    assert "12000.00 RUB" in receipt.body
    expires = paid.package.expires_at.astimezone(ZoneInfo(student.timezone))
    assert f"Your package of 8 lessons is active until {expires.day} {expires:%B %Y}." in receipt.body
    assert settings.SITE_URL + reverse("billing:payment-detail", args=[paid.pk]) in receipt.body


def test_a_refund_email_says_how_much_came_back_in_the_students_language(paid, student, finance):
    student.language = "ru"
    student.save(update_fields=["language"])
    LessonPackage.objects.filter(pk=paid.package_id).update(lessons_left=5)
    outbox_dispatch()
    mail.outbox.clear()
    payments.payment_refund(payment=paid, actor=finance, amount=Decimal("2500.00"))
    outbox_dispatch()
    [refund] = [m for m in mail.outbox if m.to == [student.email]]
    assert refund.subject == "Платёж возвращён"
    assert f"Вам возвращено 2500.00 RUB по платежу № {paid.pk}." in refund.body
