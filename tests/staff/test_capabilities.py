"""Staff capabilities, one rule each, on every path: the service refuses a
staff member without the capability (403, nothing written), the API answers
403 in the error shape, the admin neither offers nor runs the action, and
the system (a task, `actor=None`) needs none. `support` runs bookings and
messages, `finance` the money; superusers do everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import services as account_services
from audit import services as audit_services
from audit.models import AdminAction, AuditLog, OutboxEvent
from billing import payments as billing_payments
from billing import services as billing_services
from billing.models import Payment
from booking import services as booking_services
from booking.models import Booking
from guitaronline.core.capabilities import Capability, CapabilityMissing, staff_can
from notifications import services as notification_services
from notifications.models import Notification
from tests.clients import client_for
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, book, make_package, make_slot, staff_in
from tests.snapshots import booking_snapshot

pytestmark = pytest.mark.django_db

GROUPS = {
    "support": {
        Capability.CANCEL_FOR_STUDENTS,
        Capability.EXPIRE_OVERDUE,
        Capability.REQUEUE_MESSAGES,
        Capability.PUBLISH_TEACHERS,
        Capability.READ_AUDIT_LOG,
    },
    "finance": {Capability.MANAGE_PACKAGES, Capability.MANAGE_PAYMENTS, Capability.READ_AUDIT_LOG},
}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_each_group_has_exactly_its_capabilities(group):
    member = staff_in(group)
    assert {capability for capability in Capability if staff_can(member, capability)} == GROUPS[group]
    assert all(staff_can(StaffFactory(), capability) for capability in Capability)  # a superuser


def test_nobody_but_active_staff_has_a_capability():
    inactive = staff_in("finance")
    inactive.is_active = False
    not_staff = staff_in("finance")
    not_staff.is_staff = False
    for user in (StudentFactory(), TeacherFactory(), inactive, not_staff):
        assert not any(staff_can(user, capability) for capability in Capability)


# --- the services: one refusal for every path ---------------------------------------------


@dataclass
class World:
    student: object
    teacher: object
    package: object
    payment: object
    booking: object
    event: object
    email: object


@pytest.fixture
def world():
    student, teacher = StudentFactory(), TeacherFactory()
    package = make_package(student)
    payment = billing_payments.payment_create(package=package, amount=Decimal("10.00"), currency="RUB", actor=None)
    booking = book(student, make_slot(teacher))
    event = OutboxEvent.objects.create(event_type="x", aggregate_type="x", aggregate_id="1", status="failed")
    email = Notification.objects.create(
        recipient=student, event_id=event.pk, event_type="x", channel="email", subject="s", body="b", status="failed"
    )
    return World(student, teacher, package, payment, booking, event, email)


def expire_window() -> timezone.datetime:
    return timezone.now() + timedelta(days=365)


CALLS = {
    Capability.MANAGE_PACKAGES: [
        lambda w, actor: billing_services.package_create(
            student=w.student, lessons_total=5, price=Decimal("1"), currency="RUB",
            expires_at=timezone.now() + timedelta(days=30), actor=actor,
        ),
        lambda w, actor: billing_services.package_cancel(package=w.package, actor=actor),
    ],
    Capability.MANAGE_PAYMENTS: [
        lambda w, actor: billing_payments.payment_create(
            package=w.package, amount=Decimal("5.00"), currency="RUB", actor=actor
        ),
        lambda w, actor: billing_payments.payment_set_status(payment=w.payment, status="succeeded", actor=actor),
    ],
    Capability.CANCEL_FOR_STUDENTS: [lambda w, actor: booking_services.booking_cancel(booking=w.booking, actor=actor)],
    Capability.EXPIRE_OVERDUE: [
        lambda w, actor: booking_services.bookings_expire_holds(actor=actor),
        lambda w, actor: billing_services.packages_expire_overdue(actor=actor, now=expire_window()),
        lambda w, actor: billing_services.package_expire(package=w.package, actor=actor, now=expire_window()),
    ],
    Capability.REQUEUE_MESSAGES: [
        lambda w, actor: audit_services.outbox_event_requeue(event=w.event, actor=actor),
        lambda w, actor: notification_services.notification_requeue(notification=w.email, actor=actor),
    ],
    Capability.PUBLISH_TEACHERS: [
        lambda w, actor: account_services.teacher_profile_set_published(
            profile=w.teacher.teacher_profile, published=False, actor=actor
        ),
    ],
}  # fmt: skip
CASES = [(capability, index) for capability, calls in CALLS.items() for index in range(len(calls))]


def everything() -> dict:
    return {
        **booking_snapshot(),
        "payments": list(Payment.objects.order_by("pk").values()),
        "events": list(OutboxEvent.objects.order_by("pk").values("pk", "status", "attempts")),
        "emails": list(Notification.objects.order_by("pk").values("pk", "status", "attempts")),
        "published": [TeacherFactory._meta.model.objects.filter(teacher_profile__is_published=True).count()],
        "admin_actions": AdminAction.objects.count(),
    }


@pytest.mark.parametrize(("capability", "index"), CASES, ids=[f"{c.value}-{i}" for c, i in CASES])
def test_a_staff_member_without_the_capability_is_refused_and_nothing_changes(world, capability, index):
    without = next(group for group, capabilities in GROUPS.items() if capability not in capabilities)
    before = everything()
    with pytest.raises(CapabilityMissing) as refused:
        CALLS[capability][index](world, staff_in(without))
    assert (refused.value.code, refused.value.status_code) == ("permission_denied", 403)
    assert refused.value.details == {"capability": capability.value}
    assert everything() == before


@pytest.mark.parametrize(("capability", "index"), CASES, ids=[f"{c.value}-{i}" for c, i in CASES])
def test_the_group_with_the_capability_and_the_system_may(world, capability, index):
    group = next(group for group, capabilities in GROUPS.items() if capability in capabilities)
    CALLS[capability][index](world, staff_in(group))
    if capability == Capability.REQUEUE_MESSAGES:  # a requeued item is no longer failed: fail it again
        OutboxEvent.objects.update(status="failed")
        Notification.objects.update(status="failed")
    if capability not in (Capability.PUBLISH_TEACHERS, Capability.CANCEL_FOR_STUDENTS):  # people's acts only
        CALLS[capability][index](world, None)  # a task acts as the system


def test_the_student_and_the_teacher_cancel_their_own_bookings_without_any_capability(world):
    booking_services.booking_cancel(booking=world.booking, actor=world.teacher, reason="Ill")
    assert Booking.objects.get(pk=world.booking.pk).status == "canceled"


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "status"), [("finance", 403), ("support", 200)], ids=["finance-refused", "support-cancels"]
)
def test_the_api_cancels_on_a_students_behalf_only_with_the_capability(world, group, status):
    before = booking_snapshot()
    response = client_for(staff_in(group)).post(f"/api/v1/booking/{world.booking.pk}/cancel")
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"]["code"] == "permission_denied"
        assert booking_snapshot() == before
    else:
        assert response.json()["status"] == "canceled"


def test_support_cannot_create_a_free_package_through_the_api(world):
    before = booking_snapshot()
    body = {
        "student_id": world.student.pk, "lessons_total": 50, "price": "0.00", "currency": "RUB",
        "expires_at": (timezone.now() + timedelta(days=30)).isoformat(),
    }  # fmt: skip
    response = client_for(staff_in("support")).post("/api/v1/billing/packages", body, format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (403, "permission_denied")
    assert booking_snapshot() == before
    assert client_for(staff_in("finance")).post("/api/v1/billing/packages", body, format="json").status_code == 201


def test_support_cannot_record_or_settle_payments_through_the_api(world):
    support = client_for(staff_in("support"))
    body = {"package_id": world.package.pk, "amount": "5.00", "currency": "RUB"}
    assert support.post("/api/v1/billing/payments", body, format="json").status_code == 403
    status_url = f"/api/v1/billing/payments/{world.payment.pk}/status"
    assert support.post(status_url, {"status": "succeeded"}, format="json").status_code == 403
    world.payment.refresh_from_db()
    assert world.payment.status == "pending"
    finance = client_for(staff_in("finance"))
    assert finance.post(status_url, {"status": "succeeded"}, format="json").json()["status"] == "succeeded"


# --- the admin --------------------------------------------------------------------------------


def offered_actions(client, changelist: str) -> set[str]:
    response = client.get(reverse(changelist))
    assert response.status_code == 200
    return {choice[0] for choice in response.context["action_form"].fields["action"].choices if choice[0]}


@pytest.mark.parametrize(
    ("changelist", "action", "group"),
    [
        ("admin:booking_booking_changelist", "cancel_bookings", "support"),
        ("admin:booking_booking_changelist", "expire_stale_holds", "support"),
        ("admin:billing_lessonpackage_changelist", "cancel_packages", "finance"),
        ("admin:billing_lessonpackage_changelist", "expire_overdue", "support"),
        ("admin:billing_payment_changelist", "refund_payments", "finance"),
        ("admin:audit_outboxevent_changelist", "requeue", "support"),
        ("admin:notifications_notification_changelist", "requeue", "support"),
        ("admin:accounts_teacherprofile_changelist", "publish", "support"),
    ],
)
def test_the_admin_offers_each_action_to_those_with_its_capability(client, changelist, action, group):
    superuser = StaffFactory()
    client.force_login(superuser)
    assert action in offered_actions(client, changelist)
    client.force_login(staff_in(group))
    assert action in offered_actions(client, changelist)
    other = next(name for name in GROUPS if name != group)
    client.force_login(staff_in(other))
    response = client.get(reverse(changelist))
    if response.status_code == 200:  # the other group may read these rows, but not act on them
        assert action not in offered_actions(client, changelist)
    else:
        assert response.status_code == 403


def test_an_admin_action_posted_without_the_capability_changes_nothing(client, world):
    client.force_login(staff_in("support"))
    package_list = reverse("admin:billing_lessonpackage_changelist")
    before = booking_snapshot()
    client.post(package_list, {"action": "cancel_packages", "_selected_action": [world.package.pk]})
    assert booking_snapshot() == before
    assert not AdminAction.objects.exists()


@pytest.mark.parametrize(("model", "group"), [("lessonpackage", "finance"), ("payment", "finance")])
def test_only_finance_adds_packages_and_payments_in_the_admin(client, model, group):
    add = reverse(f"admin:billing_{model}_add")
    client.force_login(staff_in("support"))
    assert client.get(add).status_code == 403
    client.force_login(staff_in(group))
    assert client.get(add).status_code == 200


def test_the_audit_log_is_read_by_staff_with_the_capability(client, world):
    AuditLog.objects.create(action="x", entity_type="x", entity_id="1")
    for group in GROUPS:
        client.force_login(staff_in(group))
        assert client.get(reverse("admin:audit_auditlog_changelist")).status_code == 200
        assert client.get(reverse("admin:audit_adminaction_changelist")).status_code == 200
    member = staff_in("support")
    member.groups.clear()
    client.force_login(member)
    assert client.get(reverse("admin:audit_auditlog_changelist")).status_code == 403
