from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AdminAction, AuditLog, OutboxEvent
from billing import payments as billing_payments
from billing.models import Payment
from booking import services as booking_services
from booking.models import Booking
from notifications.models import Notification
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot, staff_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment():
    staff = StaffFactory()
    package = make_package(StudentFactory())
    payment = billing_payments.payment_create(package=package, amount=Decimal("50.00"), currency="RUB", actor=staff)
    return billing_payments.payment_set_status(payment=payment, status="succeeded", actor=staff)


@pytest.fixture
def confirmed_booking():
    teacher, student = TeacherFactory(), StudentFactory()
    make_package(student)
    booking = booking_services.booking_hold(student=student, slot_id=make_slot(teacher).pk)
    return booking_services.booking_confirm(booking=booking, actor=student)


def test_support_cannot_change_payments(client, payment):
    client.force_login(staff_in("support"))
    assert client.get(reverse("admin:billing_payment_changelist")).status_code == 403
    assert client.get(reverse("admin:billing_payment_change", args=[payment.pk])).status_code == 403
    response = client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [payment.pk]},
    )
    assert response.status_code == 403
    payment.refresh_from_db()
    assert payment.status == "succeeded"
    assert not AdminAction.objects.exists()


def test_finance_refunds_a_payment_through_the_service(client, payment):
    finance = staff_in("finance")
    client.force_login(finance)
    response = client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "refund_payments", "_selected_action": [payment.pk], "apply": "1"},
        follow=True,
    )
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == "refunded" and payment.paid_at is not None
    assert AdminAction.objects.filter(actor=finance, target_id=str(payment.pk)).exists()
    assert AuditLog.objects.filter(action="billing.payment.status_changed", actor=finance).exists()


def test_finance_does_not_manage_bookings(client, confirmed_booking):
    client.force_login(staff_in("finance"))
    assert client.get(reverse("admin:booking_booking_changelist")).status_code == 403


def test_support_cancels_a_booking_and_reads_but_does_not_edit_users(client, confirmed_booking):
    support = staff_in("support")
    client.force_login(support)
    client.post(
        reverse("admin:booking_booking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [confirmed_booking.pk]},
        follow=True,
    )
    confirmed_booking.refresh_from_db()
    assert confirmed_booking.status == Booking.Status.CANCELED
    assert AuditLog.objects.filter(action="booking.canceled", actor=support).count() == 1
    assert AdminAction.objects.filter(action="admin.booking.cancel", actor=support).count() == 1
    user = confirmed_booking.student
    assert client.get(reverse("admin:accounts_user_change", args=[user.pk])).status_code == 200
    response = client.post(reverse("admin:accounts_user_change", args=[user.pk]), {"email": "x@y.z"})
    assert response.status_code == 403


def test_staff_see_the_periodic_task_schedules(client):
    client.force_login(StaffFactory())
    response = client.get(reverse("admin:django_celery_beat_periodictask_changelist"))
    assert response.status_code == 200
    for name in ("Dispatch the outbox", "Expire stale holds", "Send lesson reminders", "Expire overdue packages"):
        assert name in response.content.decode()


def _changelist_queries(client, name: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse(name)).status_code == 200
    return len(ctx.captured_queries)


def test_the_busiest_changelists_use_constant_queries(client):
    client.force_login(StaffFactory())
    teacher = TeacherFactory()
    names = [
        "admin:booking_booking_changelist",
        "admin:billing_payment_changelist",
        "admin:billing_lessonpackage_changelist",
        "admin:lessons_lesson_changelist",
        "admin:notifications_notification_changelist",
        "admin:audit_auditlog_changelist",
        "admin:audit_outboxevent_changelist",
        "admin:scheduling_slot_changelist",
        "admin:accounts_user_changelist",
    ]

    def add(n):
        staff = StaffFactory()
        for _ in range(n):
            student = StudentFactory()
            package = make_package(student)
            booking = booking_services.booking_hold(student=student, slot_id=make_slot(teacher).pk)
            booking_services.booking_confirm(booking=booking, actor=student)
            billing_payments.payment_create(package=package, amount=Decimal("10.00"), currency="RUB", actor=staff)
            Notification.objects.create(
                recipient=student, event_id=OutboxEvent.objects.first().pk, event_type="x", channel="email",
                subject="s", body="b",
            )  # fmt: skip

    add(1)
    first = {name: _changelist_queries(client, name) for name in names}
    add(49)
    assert Payment.objects.count() == 50
    assert {name: _changelist_queries(client, name) for name in names} == first
