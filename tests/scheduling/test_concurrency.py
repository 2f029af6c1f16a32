"""Real concurrent writers on PostgreSQL: one teacher's slots never overlap."""

import datetime as dt
import itertools
import threading

import pytest
from django.db import connection

from audit.models import AuditLog
from scheduling import services
from scheduling.errors import SlotOverlap
from scheduling.models import Slot
from tests.factories import TeacherFactory
from tests.scheduling.factories import hour_from_now

THREADS = 8


def run_at_once(worker, count: int) -> list:
    """Start `count` threads together; each returns what `worker(i)` returned or raised."""
    barrier = threading.Barrier(count)
    outcomes: list = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[i] = worker(i)
        except Exception as exc:  # the outcome under test
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_creates_have_one_winner(postgres_only):
    teacher = TeacherFactory()
    base = hour_from_now(72)

    def create(i: int):
        # Every pair overlaps: starts 5 minutes apart, each an hour long.
        start = base + dt.timedelta(minutes=5 * i)
        return services.slot_create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1))

    outcomes = run_at_once(create, THREADS)

    winners = [outcome for outcome in outcomes if isinstance(outcome, Slot)]
    losers = [outcome for outcome in outcomes if not isinstance(outcome, Slot)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(outcome, SlotOverlap) and outcome.code == "slot_overlap" for outcome in losers), losers
    assert list(Slot.objects.filter(teacher=teacher).values_list("pk", flat=True)) == [winners[0].pk]
    assert AuditLog.objects.filter(action="scheduling.slot.created").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_recurring_rules_do_not_overlap(postgres_only):
    teacher = TeacherFactory()
    weekday = hour_from_now(24 * 3).astimezone(dt.UTC).weekday()

    def generate(i: int):
        return services.slot_create_recurring(
            teacher=teacher,
            weekday=weekday,
            start_time=dt.time(10 + i % 2),  # 10:00 and 11:00 windows overlap by an hour
            end_time=dt.time(13),
            slot_minutes=60,
            weeks=2,
        )

    outcomes = run_at_once(generate, 4)

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    slots = list(Slot.objects.filter(teacher=teacher).order_by("start_at"))
    assert all(earlier.end_at <= later.start_at for earlier, later in itertools.pairwise(slots))
    assert sum(len(outcome.created) for outcome in outcomes) == len(slots)
