from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from audit.models import AdminAction, AuditLog
from billing.models import LessonPackage, Payment
from tests.billing.factories import LessonPackageFactory, PaymentFactory
from tests.billing.helpers import db_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.mark.parametrize("model", ["lessonpackage", "payment"])
def test_admin_pages_render(staff_client, model):
    package = LessonPackageFactory()
    payment = PaymentFactory(package=package)
    obj = package if model == "lessonpackage" else payment

    for url in [
        reverse(f"admin:billing_{model}_changelist"),
        reverse(f"admin:billing_{model}_changelist") + "?q=example.org&status__exact=active",
        reverse(f"admin:billing_{model}_add"),
        reverse(f"admin:billing_{model}_change", args=[obj.pk]),
    ]:
        assert staff_client.get(url).status_code == 200, url


def test_admin_change_page_is_read_only(staff_client):
    package = LessonPackageFactory()
    before = db_state(package)

    response = staff_client.post(
        reverse("admin:billing_lessonpackage_change", args=[package.pk]), {"status": "canceled", "lessons_left": 0}
    )

    assert response.status_code == 403
    assert db_state(package) == before


def test_admin_cannot_delete_billing_rows(staff_client):
    package = LessonPackageFactory()

    response = staff_client.get(reverse("admin:billing_lessonpackage_delete", args=[package.pk]))

    assert response.status_code == 403


def _expiry_fields(when):
    local = timezone.localtime(when)
    return {"expires_at_0": local.strftime("%Y-%m-%d"), "expires_at_1": local.strftime("%H:%M:%S")}


def test_admin_add_package_goes_through_the_service(staff_client, staff, student):
    response = staff_client.post(
        reverse("admin:billing_lessonpackage_add"),
        {
            "student": student.pk,
            "lessons_total": 6,
            "price": "9000.00",
            "currency": "RUB",
            **_expiry_fields(timezone.now() + timedelta(days=30)),
        },
    )

    assert response.status_code == 302, response.content
    package = LessonPackage.objects.get()
    assert (package.student, package.lessons_total, package.lessons_left) == (student, 6, 6)
    audit = AuditLog.objects.get(action="billing.package.created")
    assert (audit.actor, audit.entity_id) == (staff, str(package.pk))


def test_admin_add_package_shows_service_errors_and_writes_nothing(staff_client, student):
    before = db_state(student)

    response = staff_client.post(
        reverse("admin:billing_lessonpackage_add"),
        {
            "student": student.pk,
            "lessons_total": 6,
            "price": "9000.00",
            "currency": "RUB",
            **_expiry_fields(timezone.now() - timedelta(days=1)),
        },
    )

    assert response.status_code == 200
    assert "expires_at" in response.context["adminform"].form.errors
    assert db_state(student) == before


def test_admin_record_payment_goes_through_the_service(staff_client, staff):
    package = LessonPackageFactory()

    response = staff_client.post(
        reverse("admin:billing_payment_add"), {"package": package.pk, "amount": "500.00", "currency": "RUB"}
    )

    assert response.status_code == 302, response.content
    payment = Payment.objects.get()
    assert (payment.status, payment.provider_reference) == ("pending", f"offline-{payment.pk}")
    assert AuditLog.objects.get(action="billing.payment.created").actor == staff


def test_admin_record_payment_for_an_expired_package_shows_the_error(staff_client):
    package = LessonPackageFactory(expires_at=timezone.now() - timedelta(hours=1))
    before = db_state(package)

    response = staff_client.post(
        reverse("admin:billing_payment_add"), {"package": package.pk, "amount": "500.00", "currency": "RUB"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert db_state(package) == before


def test_admin_action_expires_the_selected_overdue_packages(staff_client, staff):
    overdue = LessonPackageFactory(expires_at=timezone.now() - timedelta(hours=1))
    fresh = LessonPackageFactory()

    response = staff_client.post(
        reverse("admin:billing_lessonpackage_changelist"),
        {"action": "expire_overdue", "_selected_action": [overdue.pk, fresh.pk]},
    )

    assert response.status_code == 302
    overdue.refresh_from_db()
    fresh.refresh_from_db()
    assert (overdue.status, fresh.status) == ("expired", "active")
    action = AdminAction.objects.get()
    assert (action.actor, action.action, action.target_id) == (staff, "admin.billing.package_expired", str(overdue.pk))
    assert "1 package(s) expired." in _messages(response)


def test_admin_action_cancels_packages_and_reports_refusals(staff_client):
    active = LessonPackageFactory()
    expired = LessonPackageFactory(status="expired")

    response = staff_client.post(
        reverse("admin:billing_lessonpackage_changelist"),
        {"action": "cancel_packages", "_selected_action": [active.pk, expired.pk]},
    )

    active.refresh_from_db()
    expired.refresh_from_db()
    assert (active.status, expired.status) == ("canceled", "expired")
    assert AdminAction.objects.filter(action="admin.billing.package_canceled", target_id=str(active.pk)).count() == 1
    assert any(f"#{expired.pk}" in message for message in _messages(response))


def test_admin_action_refunds_payments_and_reports_refusals(staff_client, staff):
    succeeded = PaymentFactory(status=Payment.Status.SUCCEEDED)
    pending = PaymentFactory()
    before = db_state(pending)

    response = staff_client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [succeeded.pk, pending.pk], "apply": "1"},
    )

    assert response.status_code == 302
    succeeded.refresh_from_db()
    assert succeeded.status == Payment.Status.REFUNDED
    assert succeeded.paid_at is not None
    action = AdminAction.objects.get()
    assert (action.action, action.target_id) == ("admin.billing.payment_refunded", str(succeeded.pk))
    messages = _messages(response)
    assert any(f"#{pending.pk}" in message for message in messages)
    assert "1 payment(s) refunded." in messages
    pending_after = db_state(pending)
    assert pending_after[f"billing.Payment#{pending.pk}"] == before[f"billing.Payment#{pending.pk}"]


def test_admin_changelists_use_constant_queries(staff_client, django_assert_max_num_queries):
    PaymentFactory.create_batch(30)

    with django_assert_max_num_queries(20):
        assert staff_client.get(reverse("admin:billing_payment_changelist")).status_code == 200
    with django_assert_max_num_queries(20):
        assert staff_client.get(reverse("admin:billing_lessonpackage_changelist")).status_code == 200


def test_admin_record_payment_puts_field_errors_on_their_field(staff_client):
    package = LessonPackageFactory(currency="RUB")
    before = db_state(package)

    response = staff_client.post(
        reverse("admin:billing_payment_add"), {"package": package.pk, "amount": "500.00", "currency": "EUR"}
    )

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["currency"]
    assert db_state(package) == before
