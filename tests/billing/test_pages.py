"""My packages and payments: balance, status as read, expiry, payments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import LessonPackage, Payment
from tests.billing.factories import LessonPackageFactory, PaymentFactory
from tests.factories import make_package
from tests.pages import queries_of, text

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


def url() -> str:
    return reverse("billing:package-list")


def test_packages_show_balance_status_expiry_and_payments(school, student_client):
    package = school.package
    LessonPackage.objects.filter(pk=package.pk).update(lessons_left=7)
    PaymentFactory(package=package, amount=Decimal("10000.00"), status=Payment.Status.SUCCEEDED)
    PaymentFactory(package=package, amount=Decimal("500.00"), status=Payment.Status.FAILED)
    response = student_client.get(url())
    html = response.content.decode()
    shown = text(response)
    assert response.status_code == 200
    assert f"Package #{package.pk}" in shown
    assert "7 of 10" in shown
    assert "Active" not in shown or "active" in shown.lower()
    assert 'class="badge badge--active"' in html
    expires = timezone.localtime(package.expires_at, MOSCOW)
    assert f'<time datetime="{expires.isoformat()}">' in html
    assert "Valid until" in shown
    assert "10000.00 RUB" in shown and "500.00 RUB" in shown
    assert "Succeeded" in shown and "Failed" in shown
    assert "Times are shown in Europe/Moscow." in shown


def test_a_package_past_its_expiry_reads_expired_before_any_job(school, student_client):
    LessonPackage.objects.filter(pk=school.package.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    assert LessonPackage.objects.get(pk=school.package.pk).status == LessonPackage.Status.ACTIVE
    response = student_client.get(url())
    assert 'class="badge badge--expired"' in response.content.decode()
    assert "Expired on" in text(response)


def test_only_the_students_own_packages_are_listed(school, student_client):
    others = LessonPackage.objects.get(student=school.other_student)
    PaymentFactory(package=others, amount=Decimal("777.00"))
    shown = text(student_client.get(url()))
    assert f"Package #{others.pk}" not in shown
    assert "777.00" not in shown


def test_a_student_without_packages(student_client, school):
    LessonPackage.objects.filter(student=school.student).delete()
    assert "You have no lesson packages yet." in text(student_client.get(url()))


def test_a_package_without_payments(school, student_client):
    assert "No payments recorded yet." in text(student_client.get(url()))


def test_package_queries_do_not_grow_with_packages_and_payments(school, student_client, django_assert_num_queries):
    PaymentFactory(package=school.package, status=Payment.Status.SUCCEEDED)
    expected = queries_of(student_client, url())
    for _ in range(49):
        package = LessonPackageFactory(student=school.student)
        PaymentFactory(package=package, status=Payment.Status.SUCCEEDED)
        PaymentFactory(package=package, status=Payment.Status.PENDING)
    make_package(school.student)
    with django_assert_num_queries(expected):
        response = student_client.get(url())
    assert response.content.decode().count('class="card package-item"') == 20
