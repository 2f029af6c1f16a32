from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AdminAction, OutboxEvent
from billing import payments as billing_payments
from billing.models import LessonPackage
from booking import selectors as booking_selectors
from booking import services as booking_services
from booking.models import Booking
from guitaronline.staff import selectors
from notifications.models import Notification
from tests.clients import client_for
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_school(settings):
    """A known data set: 2 teachers, 3 students, bookings in every state,
    payments in every state in two currencies, one overdue package."""
    staff = StaffFactory()
    teachers = [TeacherFactory(), TeacherFactory()]
    students = [StudentFactory() for _ in range(3)]
    packages = [make_package(student) for student in students]
    now = timezone.now()
    # bookings: 2 confirmed, 1 canceled, 1 live hold, 1 dead hold
    for student in students[:2]:
        booking = booking_services.booking_hold(student=student, slot_id=make_slot(teachers[0]).pk)
        booking_services.booking_confirm(booking=booking, actor=student)
    canceled = booking_services.booking_hold(student=students[2], slot_id=make_slot(teachers[1]).pk)
    booking_services.booking_cancel(booking=canceled, actor=students[2])
    booking_services.booking_hold(student=students[2], slot_id=make_slot(teachers[1]).pk)
    booking_services.booking_hold(
        student=students[0],
        slot_id=make_slot(teachers[1]).pk,
        now=now - timedelta(minutes=settings.BOOKING_HOLD_MINUTES + 5),
    )
    # payments: RUB 100 succeeded, RUB 40 refunded (its own package, canceled with it), RUB 10 failed, EUR 20 pending
    rub = packages[0]
    for amount, final in (("100.00", "succeeded"), ("40.00", "refunded"), ("10.00", "failed")):
        package = make_package(students[2]) if final == "refunded" else rub
        payment = billing_payments.payment_create(package=package, amount=Decimal(amount), currency="RUB", actor=staff)
        if final in ("succeeded", "refunded"):
            billing_payments.payment_set_status(payment=payment, status="succeeded", actor=staff)
        if final != "succeeded":
            billing_payments.payment_set_status(payment=payment, status=final, actor=staff)
    eur = make_package(students[1])
    LessonPackage.objects.filter(pk=eur.pk).update(currency="EUR")
    eur.refresh_from_db()
    billing_payments.payment_create(package=eur, amount=Decimal("20.00"), currency="EUR", actor=staff)
    LessonPackage.objects.filter(pk=packages[2].pk).update(expires_at=now - timedelta(days=1))
    # outbox: mark everything processed, then 2 pending, 1 retryable, 2 dead-letter
    OutboxEvent.objects.update(status="processed")
    for status, attempts in (("pending", 0), ("pending", 0), ("failed", 1), ("failed", 5), ("failed", 9)):
        OutboxEvent.objects.create(
            event_type="x", aggregate_type="x", aggregate_id="1", status=status, attempts=attempts
        )
    Notification.objects.create(
        recipient=students[0], event_id=OutboxEvent.objects.first().pk, event_type="x", channel="email",
        subject="s", body="b", status="failed", attempts=5,
    )  # fmt: skip
    return staff


def test_kpi_overview_figures_match_the_known_data(known_school):
    kpi = selectors.kpi_overview().as_dict()
    assert kpi["users"] == {"student": 3, "teacher": 2, "admin": 1, "total": 6}
    assert kpi["bookings"] == {"hold": 1, "confirmed": 2, "canceled": 1, "expired": 1, "total": 5}
    assert kpi["lessons"]["scheduled"] == 2 and kpi["lessons"]["total"] == 2
    assert kpi["payments"]["succeeded"] == 1 and kpi["payments"]["refunded"] == 1
    assert kpi["payments"]["failed"] == 1 and kpi["payments"]["pending"] == 1 and kpi["payments"]["total"] == 4
    assert kpi["payments"]["amounts"] == {"RUB": {"succeeded": "140.00", "refunded": "40.00", "net": "100.00"}}
    assert kpi["packages"]["active"] == 3 and kpi["packages"]["expired"] == 1
    assert kpi["packages"]["canceled"] == 1 and kpi["packages"]["total"] == 5


def test_ops_overview_figures_match_the_known_data(known_school, settings):
    settings.OUTBOX_MAX_RETRIES = 5
    ops = selectors.ops_overview()
    assert ops["outbox_pending"] == 2
    assert ops["outbox_failed_retryable"] == 1
    assert ops["outbox_failed_dead_letter"] == 2
    assert ops["failed_notifications"] == 1
    assert ops["stale_booking_holds"] == 1
    assert ops["overdue_active_packages"] == 1
    settings.OUTBOX_MAX_RETRIES = 10
    assert selectors.ops_overview()["outbox_failed_dead_letter"] == 0


def test_bookings_per_week_counts_this_week_and_fills_empty_weeks(known_school):
    weeks = booking_selectors.bookings_per_week(weeks=12)
    assert len(weeks) == 12
    assert weeks[-1]["count"] == Booking.objects.count() == 5
    assert sum(week["count"] for week in weeks[:-1]) == 0
    assert weeks[-1]["week"].weekday() == 0


@pytest.mark.parametrize(
    ("name", "action"), [("admin:kpi-dashboard", "admin.kpi.view"), ("admin:ops-dashboard", "admin.ops.view")]
)
def test_dashboards_render_and_each_view_is_recorded(client, known_school, name, action, django_assert_max_num_queries):
    client.force_login(known_school)
    with django_assert_max_num_queries(25):
        response = client.get(reverse(name))
    assert response.status_code == 200
    assert AdminAction.objects.filter(action=action, actor=known_school).count() == 1
    html = response.content.decode()
    if name == "admin:kpi-dashboard":
        assert "<svg" in html and html.count("<rect") == 12
        assert "140.00" in html and "100.00" in html
    else:
        assert "Dead-letter events" in html


def test_dashboards_are_linked_from_the_admin_index_and_closed_to_non_staff(client, known_school):
    client.force_login(known_school)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:kpi-dashboard") in index and reverse("admin:ops-dashboard") in index
    client.force_login(StudentFactory())
    response = client.get(reverse("admin:kpi-dashboard"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not AdminAction.objects.filter(action="admin.kpi.view").exists()


def test_the_dashboard_the_api_and_metrics_read_one_retry_limit(client, known_school, settings):
    """OUTBOX_MAX_RETRIES decides the dead letter everywhere; no caller redefines it."""
    settings.OUTBOX_MAX_RETRIES = 10
    client.force_login(known_school)
    page = client.get(reverse("admin:ops-dashboard") + "?max_retries=1").content.decode()
    assert "attempts__gte=10" in page and "after 10 failed attempts" in page
    api = client_for(known_school).get("/api/v1/admin/ops/overview?max_retries=1").json()
    assert api["max_retries"] == 10 and api["outbox_failed_dead_letter"] == 0
    delivery = client_for(known_school).get("/api/v1/notifications/delivery/metrics?max_retries=1").json()
    assert delivery["max_retries"] == 10 and delivery["outbox"]["failed_dead_letter"] == 0
    settings.OUTBOX_MAX_RETRIES = 5
    metrics = client.get("/metrics").content.decode()
    assert "guitaronline_outbox_dead_letter 2.0" in metrics
