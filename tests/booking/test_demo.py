from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.demo import ADMIN_EMAIL, DEMO_PASSWORD, STUDENT_EMAIL, TEACHER_EMAIL
from accounts.models import User
from billing.models import LessonPackage, Payment, Product
from billing.selectors import package_usable, payments_pending_stale
from booking.selectors import open_slots
from scheduling.models import Slot

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
    assert (package.lessons_total, package.lessons_left, package.status) == (10, 10, "active")
    assert package.expires_at > now + timedelta(days=30)
    assert package.payments.get().status == "succeeded"


def test_the_demo_school_sells_three_products_and_has_a_payment_in_each_state():
    call_command("seed_demo")
    student = User.objects.get(email=STUDENT_EMAIL)
    assert Product.objects.filter(is_active=True, currency="RUB").count() == 3
    payments = Payment.objects.filter(student=student)
    assert sorted(payments.values_list("status", flat=True)) == sorted(Payment.Status.values)
    refunded = payments.get(status="refunded")
    assert refunded.package.status == "canceled" and refunded.refunded_amount == refunded.amount
    assert refunded.paid_at < timezone.now() - timedelta(days=60)
    waiting = payments.get(status="pending")
    assert waiting.package is None and list(payments_pending_stale()) == [waiting]


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()
