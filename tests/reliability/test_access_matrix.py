"""Access matrix generated from the URLconf: every page and API route, with
real object ids of student A's booking, lesson, package, payment and
notification, tried by every role that is not entitled to it, with every
method. Each answer must refuse (login redirect, 401, 403, 404 or 405) and
leave the database unchanged. A new route without an entry fails the suite.
Staff come as a superuser and as a member of each staff group (`support`,
`finance`), each with the capabilities of their group only."""

from __future__ import annotations

import uuid
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import auth_sessions
from accounts.models import AuthSession, TeacherProfile, User
from audit.models import AuditLog, OutboxEvent
from billing import payments as billing_payments
from billing.models import LessonPackage, Payment, Product
from booking import services as booking_services
from booking import waitlist
from booking.models import Booking, MoveProposal, Series, WaitlistEntry, WaitlistOffer
from lessons import services as lesson_services
from lessons.models import HomeworkItem, Lesson
from notifications.models import Notification
from scheduling.models import Slot, TimeOff
from tests.clients import client_for
from tests.factories import StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot, staff_in

ROLES = ("owner", "other_student", "teacher", "other_teacher", "staff", "support", "finance", "anonymous")
SIGNED_IN = {"owner", "other_student", "teacher", "other_teacher", "staff", "support", "finance"}
EVERYONE = set(ROLES)
STUDENTS = {"owner", "other_student"}
TEACHERS = {"teacher", "other_teacher"}
STAFF = {"staff", "support", "finance"}  # reads
# capabilities (guitaronline.core.capabilities): the superuser has them all
MANAGE_PACKAGES = MANAGE_PAYMENTS = {"staff", "finance"}
EXPIRE_OVERDUE = CANCEL_FOR_STUDENTS = {"staff", "support"}

# route name -> roles entitled to it (all methods), or {method: roles}
ENTITLED: dict[str, set[str] | dict[str, set[str]]] = {
    # public
    "landing": EVERYONE, "health": EVERYONE, "ready": EVERYONE, "prometheus-django-metrics": EVERYONE,
    "api-schema": EVERYONE, "api-docs": EVERYONE, "set_language": EVERYONE, "accounts:set-language": EVERYONE,
    "accounts:register": EVERYONE, "accounts:login": EVERYONE, "accounts:password-reset": EVERYONE,
    "accounts:password-reset-done": EVERYONE, "accounts:password-reset-complete": EVERYONE,
    "booking:teacher-list": EVERYONE, "booking:teacher-detail": EVERYONE, "billing:product-list": EVERYONE,
    "api:billing-products": EVERYONE,
    "api:billing-webhook": EVERYONE,  # providers' notifications: genuine ones only (tests/billing)
    "api:auth-register": EVERYONE, "api:auth-login": EVERYONE, "api:auth-refresh": EVERYONE,
    "api:teachers-list": EVERYONE, "api:teachers-detail": EVERYONE, "api:scheduling-slots-open": EVERYONE,
    "api:auth-verify": EVERYONE, "api:auth-password-reset": EVERYONE,
    "api:notifications-telegram-webhook": EVERYONE,  # Telegram's calls: the secret header only (tests/notifications)
    # anyone signed in, for their own things
    "accounts:logout": EVERYONE, "accounts:password-change": SIGNED_IN, "accounts:profile": SIGNED_IN,
    "accounts:home": SIGNED_IN, "notifications:list": SIGNED_IN, "notifications:mark-all-read": SIGNED_IN,
    "lessons:list": SIGNED_IN, "api:auth-logout": SIGNED_IN, "api:users-me": SIGNED_IN,
    "api:users-me-password": SIGNED_IN, "api:notifications-my": SIGNED_IN, "api:notifications-mark-read": SIGNED_IN,
    "api:lessons-my": SIGNED_IN, "api:booking-my": SIGNED_IN,
    "accounts:calendar-rotate": SIGNED_IN, "api:users-me-calendar": SIGNED_IN,
    "api:users-me-calendar-rotate": SIGNED_IN,
    "accounts:email-change": SIGNED_IN, "accounts:verify-status": SIGNED_IN, "accounts:verify-resend": SIGNED_IN,
    "api:auth-verify-resend": SIGNED_IN, "api:users-me-email": SIGNED_IN,
    "notifications:preferences": SIGNED_IN, "notifications:telegram-link": SIGNED_IN,
    "notifications:telegram-unlink": SIGNED_IN, "api:notifications-preferences": SIGNED_IN,
    "api:notifications-telegram-link": SIGNED_IN,
    "accounts:logout-everywhere": SIGNED_IN, "api:auth-logout-all": SIGNED_IN, "api:users-me-sessions": SIGNED_IN,
    # students
    "accounts:student-home": STUDENTS, "booking:dashboard": STUDENTS, "booking:booking-list": STUDENTS,
    "billing:package-list": STUDENTS, "booking:hold": STUDENTS, "api:booking-hold": STUDENTS,
    "billing:checkout": STUDENTS, "api:billing-checkout": STUDENTS,
    "api:billing-packages-my": STUDENTS, "api:billing-payments-my": STUDENTS,
    "booking:waitlist-join": STUDENTS, "booking:waitlist-list": STUDENTS,
    "api:booking-waitlist-join": STUDENTS, "api:booking-waitlist-my": STUDENTS,
    # teachers
    "accounts:teacher-home": TEACHERS, "accounts:teacher-profile": TEACHERS, "booking:teacher-dashboard": TEACHERS,
    "lessons:students": TEACHERS, "booking:teacher-week": TEACHERS, "scheduling:slot-add": TEACHERS,
    "scheduling:slot-add-recurring": TEACHERS, "api:scheduling-slots": TEACHERS,
    "api:scheduling-slots-my": TEACHERS, "api:scheduling-slots-recurring": TEACHERS,
    # staff
    "api:billing-packages-list": {"GET": STAFF, "POST": MANAGE_PACKAGES},
    "api:billing-packages-expire": EXPIRE_OVERDUE,
    "api:billing-payments-list": {"GET": STAFF, "POST": MANAGE_PAYMENTS},
    "api:booking-holds-expire": EXPIRE_OVERDUE, "api:notifications-delivery-metrics": STAFF,
    "api:admin-kpi-overview": STAFF, "api:admin-ops-overview": STAFF, "api:audit-outbox-pending": STAFF,
    "api:admin-finance-overview": MANAGE_PAYMENTS,
    # student A's objects
    "booking:booking-detail": {"owner"}, "booking:confirm": {"owner"}, "booking:cancel": {"owner"},
    "booking:reschedule": {"owner"},
    "api:booking-detail": {"owner", "teacher", *STAFF},
    "api:booking-cancel": {"owner", "teacher", *CANCEL_FOR_STUDENTS},
    "api:booking-confirm": {"owner"}, "api:booking-reschedule": {"owner"},
    "lessons:detail": {"owner", "teacher", *STAFF}, "lessons:mark": {"teacher"}, "lessons:notes": {"teacher"},
    "api:lesson-detail": {"GET": {"owner", "teacher", *STAFF}, "PATCH": {"teacher"}},
    "api:lesson-complete": {"teacher"}, "api:lesson-no-show": {"teacher"},
    "lessons:student-history": {"teacher"}, "lessons:teacher-history": {"owner"},
    "lessons:homework-add": {"teacher"}, "lessons:homework-remove": {"teacher"}, "lessons:homework-done": {"owner"},
    "api:lesson-homework": {"teacher"},
    "api:lesson-homework-item": {"PATCH": {"owner", "teacher"}, "DELETE": {"teacher"}},
    "booking:waitlist-leave": {"owner"}, "booking:waitlist-offer": {"owner"}, "booking:waitlist-accept": {"owner"},
    "api:booking-waitlist-entry": {"owner"}, "api:booking-waitlist-accept": {"owner"},
    "booking:slot-remove": {"teacher"}, "booking:teacher-cancel": {"teacher"}, "booking:teacher-move": {"teacher"},
    "booking:proposal-accept": {"owner"}, "booking:proposal-decline": {"owner"},
    "api:booking-propose-move": {"teacher"}, "api:booking-proposals-my": SIGNED_IN,
    "api:booking-proposal-accept": {"owner"}, "api:booking-proposal-decline": {"owner"},
    "booking:teacher-time-off": TEACHERS, "booking:time-off-remove": {"teacher"},
    "api:scheduling-time-off": TEACHERS, "api:scheduling-time-off-detail": {"teacher"},
    "booking:series-list": SIGNED_IN, "booking:series-new": STUDENTS, "booking:series-cancel": {"owner", "teacher"},
    "api:booking-series": STUDENTS, "api:booking-series-preview": STUDENTS, "api:booking-series-my": SIGNED_IN,
    "api:booking-series-cancel": {"owner", "teacher"},
    "api:scheduling-slot-detail": {"teacher"},
    "notifications:mark-read": {"owner"},
    "api:billing-packages-student": {"owner", *STAFF}, "api:billing-packages-detail": {"owner", *STAFF},
    "api:billing-payments-detail": {"owner", *STAFF}, "api:billing-payments-status": MANAGE_PAYMENTS,
    "api:billing-payments-refund": MANAGE_PAYMENTS, "billing:payment-detail": {"owner"},
    "accounts:device-sign-out": {"owner"}, "api:users-me-session-end": {"owner"},
}  # fmt: skip
NOT_IN_MATRIX = {
    "accounts:password-reset-confirm",  # needs a signed token: covered by the password-reset tests
    "lessons:calendar-feed",  # its secret token is the key: covered by tests/lessons/test_calendar_feed_link.py
    "accounts:verify-email",  # a signed token: covered by tests/accounts/test_verification.py
    "notifications:unsubscribe",  # a signed token: covered by tests/notifications/test_preferences.py
}


def routes() -> dict[str, str]:
    """Every named route outside the admin: name -> pattern."""
    found = {}

    def walk(resolver, prefix="", namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
                walk(pattern, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                found[namespace + pattern.name] = prefix + str(pattern.pattern)

    walk(get_resolver())
    return {name: path for name, path in found.items() if not path.startswith("admin/")}


def test_every_route_has_an_entry_in_the_matrix():
    assert set(routes()) - NOT_IN_MATRIX == set(ENTITLED)


@pytest.fixture
def world(db):
    teacher, other_teacher = TeacherFactory(), TeacherFactory()
    owner, other_student, staff = StudentFactory(), StudentFactory(), StaffFactory()
    support, finance = staff_in("support"), staff_in("finance")
    package = make_package(owner)
    make_package(other_student)
    booked = make_slot(teacher)
    free = make_slot(teacher)
    booking = booking_services.booking_confirm(
        booking=booking_services.booking_hold(student=owner, slot_id=booked.pk), actor=owner
    )
    payment = billing_payments.payment_create(package=package, amount=Decimal("10.00"), currency="RUB", actor=staff)
    entry = waitlist.waitlist_join(student=owner, teacher_id=teacher.pk)
    offer = WaitlistOffer.objects.create(entry=entry, slot=free, expires_at=timezone.now() + timedelta(minutes=30))
    item = lesson_services.homework_item_add(lesson=booking.lesson, actor=teacher, kind="piece", title="Scales")
    product = Product.objects.create(
        name_en="Ten lessons",
        name_ru="Десять уроков",
        lessons=10,
        validity_days=90,
        price=Decimal("100.00"),
        currency="RUB",
    )
    series = Series.objects.create(
        student=owner,
        teacher=teacher,
        timezone=teacher.timezone,
        weekday=1,
        local_time=time(18),
        minutes=60,
        first_date=timezone.now().date(),
        weeks=2,
    )
    tomorrow = timezone.now() + timedelta(days=1)
    proposal = MoveProposal.objects.create(booking=booking, new_slot=free, expires_at=tomorrow)
    far = timezone.now() + timedelta(days=200)
    time_off = TimeOff.objects.create(
        teacher=teacher, start_date=far.date(), end_date=far.date(), start_at=far, end_at=far + timedelta(days=1)
    )
    device = auth_sessions.parse_id(
        RefreshToken(auth_sessions.api_start(user=owner, user_agent="", ip=None)["refresh"])["sid"]
    )
    notification = Notification.objects.create(
        recipient=owner, event_id=uuid.uuid4(), event_type="x", channel="in_app", subject="s", body="b", status="sent"
    )
    return {
        "users": {
            "owner": owner, "other_student": other_student, "teacher": teacher,
            "other_teacher": other_teacher, "staff": staff, "support": support, "finance": finance,
            "anonymous": None,
        },
        "kwargs": {
            "booking_id": booking.pk, "lesson_id": booking.lesson_id, "slot_id": free.pk, "teacher_id": teacher.pk,
            "student_id": owner.pk, "notification_id": notification.pk,
            "entry_id": entry.pk, "offer_id": offer.pk, "item_id": item.pk,
            "product_id": product.pk, "payment_id": payment.pk, "provider": "offline",
            "series_id": series.pk, "proposal_id": proposal.pk, "time_off_id": time_off.pk,
            "device_id": device,
        },
        "pk": {
            "api:teachers-detail": teacher.pk, "api:billing-packages-detail": package.pk,
            "api:billing-payments-detail": payment.pk, "api:billing-payments-status": payment.pk,
            "api:billing-payments-refund": payment.pk,
        },
    }  # fmt: skip


def url_for(name: str, path: str, world) -> str:
    kwargs = {
        key: value
        for key, value in world["kwargs"].items()
        if any(f"<{kind}:{key}>" in path for kind in ("int", "uuid", "str"))
    }
    if "(?P<pk>" in path:
        kwargs["pk"] = world["pk"][name]
    if "(?P<student_id>" in path:
        kwargs["student_id"] = world["kwargs"]["student_id"]
    return reverse(name, kwargs=kwargs)


WATCHED = (Booking, Lesson, LessonPackage, Payment, Slot, Notification, TeacherProfile)
WATCHED += (WaitlistEntry, WaitlistOffer, HomeworkItem, Series, MoveProposal, TimeOff)


def snapshot() -> list:
    return [list(model.objects.order_by("pk").values()) for model in WATCHED] + [
        list(User.objects.order_by("pk").values("pk", "email", "role", "is_active", "language", "password")),
        AuditLog.objects.count(),
        OutboxEvent.objects.count(),
        sorted(AuthSession.objects.filter(ended_at__isnull=False).values_list("pk", flat=True)),
    ]


def client(role: str, user, api: bool):
    if api:
        return client_for(user) if user else APIClient()
    browser = Client()
    if user:
        browser.force_login(user)
    return browser


@pytest.mark.parametrize("name", sorted(ENTITLED))
def test_no_role_reaches_what_is_not_theirs(name, world, settings):
    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = settings.AUTH_RATE_LIMIT_REGISTER_REQUESTS = 10_000
    path = routes()[name]
    api = path.startswith("api/v1/")
    url = url_for(name, path, world)
    entitled = ENTITLED[name]
    methods = ("GET", "POST", "PATCH", "DELETE") if api else ("GET", "POST")
    before = snapshot()
    tried = 0
    for role in ROLES:
        for method in methods:
            allowed = entitled.get(method, set()) if isinstance(entitled, dict) else entitled
            if role in allowed:
                continue
            response = getattr(client(role, world["users"][role], api), method.lower())(url)
            tried += 1
            if role == "anonymous" and not api and response.status_code == 302:
                assert response["Location"].startswith(reverse("accounts:login")), (method, role, response["Location"])
            else:
                expected = {401, 403, 404, 405} if role == "anonymous" else {403, 404, 405}
                assert response.status_code in expected, (method, role, response.status_code)
            if api and response.status_code >= 400:
                assert set(response.json()) == {"error"}
    assert snapshot() == before, name
    if entitled != EVERYONE:
        assert tried
