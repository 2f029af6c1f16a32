"""Real threads against PostgreSQL: row locks, not luck, keep the balance right."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import OutboxEvent
from billing import services
from billing.errors import NoActivePackage
from billing.models import LessonPackage
from tests.billing.factories import LessonPackageFactory


def _run_in_threads(count: int, work) -> list:
    """Start `count` threads at the same moment; return what each returned or raised."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work()
        except Exception as exc:  # recorded and inspected by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_consumers_take_exactly_the_five_lessons_left(postgres_only):
    package = LessonPackageFactory(lessons_total=10, lessons_left=5)
    student = package.student

    results = _run_in_threads(16, lambda: services.package_consume_lesson(student=student, actor=student))

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

    results = _run_in_threads(4, services.packages_expire_overdue)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert sum(results) == 3
    for package in overdue:
        package.refresh_from_db()
        assert package.status == LessonPackage.Status.EXPIRED
    assert OutboxEvent.objects.filter(event_type="billing.package.expired").count() == 3
