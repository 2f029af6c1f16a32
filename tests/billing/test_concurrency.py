"""Real threads against PostgreSQL: row locks, not luck, keep the balance right."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import OutboxEvent
from billing import services
from billing.errors import NoActivePackage
from billing.models import LessonPackage
from tests.billing.factories import LessonPackageFactory
from tests.races import errors, race_n


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_consumers_take_exactly_the_five_lessons_left(postgres_only):
    package = LessonPackageFactory(lessons_total=10, lessons_left=5)
    student = package.student

    results = race_n(16, lambda _: services.package_consume_lesson(student=student, actor=student))

    succeeded = [result for result in results if isinstance(result, LessonPackage)]
    refused = [result for result in results if isinstance(result, NoActivePackage)]
    assert len(succeeded) == 5, results
    assert len(refused) == 11, results
    assert sorted(result.lessons_left for result in succeeded) == [0, 1, 2, 3, 4]
    package.refresh_from_db()
    assert (package.lessons_left, package.status) == (0, LessonPackage.Status.DEPLETED)
    consumed = OutboxEvent.objects.filter(event_type="billing.package.lesson_consumed", aggregate_id=str(package.pk))
    assert consumed.count() == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_expiry_runs_emit_each_expiry_once(postgres_only):
    overdue = LessonPackageFactory.create_batch(3, expires_at=timezone.now() - timedelta(minutes=1))

    results = race_n(4, lambda _: services.packages_expire_overdue())

    assert not errors(results), results
    assert sum(results) == 3
    for package in overdue:
        package.refresh_from_db()
        assert package.status == LessonPackage.Status.EXPIRED
    assert OutboxEvent.objects.filter(event_type="billing.package.expired").count() == 3
