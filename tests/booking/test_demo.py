from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.demo import ADMIN_EMAIL, DEMO_PASSWORD, STUDENT_EMAIL, TEACHER_EMAIL
from accounts.models import User
from audit.models import OutboxEvent
from billing.models import LessonPackage, Payment, Product
from billing.selectors import package_usable, payments_pending_stale
from booking.models import Booking, Series, WaitlistOffer
from booking.selectors import open_slots
from lessons.models import Lesson
from scheduling.models import Slot, TimeOff

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_demo_school_and_is_idempotent():
    call_command("seed_demo")

    def counts():
        return [model.objects.count() for model in (User, Slot, LessonPackage, Product, Payment)]

    before = counts()
    call_command("seed_demo")
    assert counts() == before

    admin, teacher, student = (User.objects.get(email=e) for e in (ADMIN_EMAIL, TEACHER_EMAIL, STUDENT_EMAIL))
    assert admin.is_superuser and admin.is_staff
    assert all(user.check_password(DEMO_PASSWORD) for user in (admin, teacher, student))
    assert teacher.teacher_profile.is_published

    now = timezone.now()
    days_with_open_slots = {
        (slot.start_at - now).days for slot in open_slots(teacher_id=teacher.pk, end=now + timedelta(days=14))
    }
    assert set(range(1, 14)) <= days_with_open_slots

    package = package_usable(student=student, now=now)
    # bought three weeks ago; three lessons completed, one missed, one canceled too late, one coming
    assert (package.lessons_total, package.lessons_left, package.status) == (10, 4, "active")
    assert package.expires_at > now + timedelta(days=30)
    assert package.payments.get().status == "succeeded"


def test_the_demo_school_has_a_past_and_something_on_every_page():
    call_command("seed_demo")
    student = User.objects.get(email=STUDENT_EMAIL)

    assert User.objects.filter(role="teacher", teacher_profile__is_published=True).count() == 4
    assert len({teacher.timezone for teacher in User.objects.filter(role="teacher")}) == 4
    assert User.objects.filter(role="student").count() == 10
    for currency in ("RUB", "EUR"):
        assert Product.objects.filter(is_active=True, currency=currency).count() == 3
        statuses = set(Payment.objects.filter(currency=currency).values_list("status", flat=True))
        assert statuses == set(Payment.Status.values), currency
    refunded = Payment.objects.get(student=student, status="refunded")
    assert refunded.package.status == "canceled" and refunded.refunded_amount == refunded.amount
    waiting = Payment.objects.get(student=student, status="pending")
    assert waiting.package is None and waiting in payments_pending_stale()

    past = Lesson.objects.filter(student=student, start_at__lt=timezone.now())
    assert sorted(past.values_list("status", flat=True)) == [
        "canceled",
        "completed",
        "completed",
        "completed",
        "no_show",
    ]
    assert all(lesson.notes and lesson.homework_items.exists() for lesson in past.filter(status="completed"))
    assert Booking.objects.get(student=student, status="canceled").lesson_returned is False  # canceled too late

    series = Series.objects.get()
    assert series.bookings.filter(status="confirmed").count() == 8 and series.teacher.timezone == "Europe/Berlin"
    assert WaitlistOffer.objects.filter(status="offered").count() == 1
    assert TimeOff.objects.count() == 1
    assert OutboxEvent.objects.filter(status="failed", attempts__gte=settings.OUTBOX_MAX_RETRIES).count() == 1


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()
