"""Real concurrent writers on PostgreSQL: one teacher's slots never overlap,
and a slot is never both removed and taken."""

import datetime as dt
import itertools

import pytest
from django.db import transaction
from django.utils import timezone

from audit.models import AuditLog
from booking import services as booking_services
from booking.errors import SlotInUse, SlotUnavailable
from booking.models import Booking
from guitaronline.core.errors import NotFound
from scheduling import selectors, services
from scheduling.errors import SlotOverlap
from scheduling.models import Slot
from tests.booking.holding import slot_get_open
from tests.factories import StudentFactory, TeacherFactory
from tests.races import errors, race_n
from tests.scheduling.factories import SlotFactory, hold_booking, hour_from_now, past_booking

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_creates_have_one_winner(postgres_only):
    teacher = TeacherFactory()
    base = hour_from_now(72)

    def create(i: int):
        # Every pair overlaps: starts 5 minutes apart, each an hour long.
        start = base + dt.timedelta(minutes=5 * i)
        return services.slot_create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1))

    outcomes = race_n(THREADS, create)

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

    outcomes = race_n(4, generate)

    assert not errors(outcomes), outcomes
    slots = list(Slot.objects.filter(teacher=teacher).order_by("start_at"))
    assert all(earlier.end_at <= later.start_at for earlier, later in itertools.pairwise(slots))
    assert sum(len(outcome.created) for outcome in outcomes) == len(slots)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_a_removal_and_holds_racing_for_one_slot(postgres_only, round_):
    """Thread 0 removes the slot (it has a canceled booking, so it is kept as
    removed); the others hold it the way the booking service does: lock it
    and check it (`slot_get_open(for_update=True)`), then insert the hold. Whoever
    locks first wins; the slot is never removed and held at once."""
    teacher = TeacherFactory()
    slot = SlotFactory(teacher=teacher)
    past_booking(slot=slot, status=Booking.Status.CANCELED)
    students = [StudentFactory() for _ in range(THREADS - 1)]

    def act(i: int):
        now = timezone.now()
        if i == 0:
            return booking_services.slot_remove(teacher=teacher, slot=slot, now=now)
        with transaction.atomic():
            locked = slot_get_open(slot_id=slot.pk, now=now, for_update=True)
            return hold_booking(slot=locked, expires_at=now + dt.timedelta(minutes=10), student=students[i - 1])

    removal, *holds = race_n(THREADS, act)

    slot.refresh_from_db()
    held = [outcome for outcome in holds if isinstance(outcome, Booking)]
    active = Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE_STATUSES)
    if removal is None:  # the removal won: every hold found no slot
        assert slot.removed_at is not None
        assert held == [] and not active.exists()
        assert all(isinstance(outcome, NotFound) for outcome in holds), holds
    else:  # a hold won: the removal was refused, the others found the slot taken
        assert isinstance(removal, SlotInUse), removal
        assert slot.removed_at is None
        assert [booking.pk for booking in held] == list(active.values_list("pk", flat=True))
        assert len(held) == 1
        assert all(isinstance(outcome, SlotUnavailable) for outcome in holds if outcome not in held), holds
    assert AuditLog.objects.filter(action="scheduling.slot.deleted").count() == (removal is None)


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_over_a_removed_slot_have_one_winner(postgres_only):
    """The removed slot blocks nothing, the partial exclusion constraint still
    keeps the live ones apart."""
    teacher = TeacherFactory()
    base = hour_from_now(72)
    removed = SlotFactory(teacher=teacher, start_at=base, end_at=base + dt.timedelta(hours=2))
    past_booking(slot=removed, status=Booking.Status.CANCELED)
    services.slot_delete(teacher=teacher, slot=removed)

    def create(i: int):
        start = base + dt.timedelta(minutes=5 * i)
        return services.slot_create(teacher=teacher, start_at=start, end_at=start + dt.timedelta(hours=1))

    outcomes = race_n(THREADS, create)

    winners = [outcome for outcome in outcomes if isinstance(outcome, Slot)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(outcome, SlotOverlap) for outcome in outcomes if outcome not in winners), outcomes
    assert list(selectors.teacher_slots(teacher=teacher).values_list("pk", flat=True)) == [winners[0].pk]
