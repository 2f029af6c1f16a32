from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.demo import ADMIN_EMAIL, DEMO_PASSWORD, STUDENT_EMAIL, TEACHER_EMAIL
from accounts.models import User
from billing.models import LessonPackage
from booking.selectors import open_slots
from scheduling.models import Slot

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_the_demo_school_and_is_idempotent():
    call_command("seed_demo")
    counts = (User.objects.count(), Slot.objects.count(), LessonPackage.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Slot.objects.count(), LessonPackage.objects.count()) == counts

    admin, teacher, student = (User.objects.get(email=e) for e in (ADMIN_EMAIL, TEACHER_EMAIL, STUDENT_EMAIL))
    assert admin.is_superuser and admin.is_staff
    assert all(user.check_password(DEMO_PASSWORD) for user in (admin, teacher, student))
    assert teacher.teacher_profile.is_published

    now = timezone.now()
    days_with_open_slots = {
        (slot.start_at - now).days for slot in open_slots(teacher_id=teacher.pk, end=now + timedelta(days=14))
    }
    assert set(range(1, 14)) <= days_with_open_slots

    package = LessonPackage.objects.get(student=student)
    assert (package.lessons_total, package.lessons_left, package.status) == (10, 10, "active")
    assert package.expires_at > now + timedelta(days=30)


def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.exists()
