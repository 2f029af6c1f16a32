import datetime as dt

import pytest
from django.utils import timezone

from scheduling import selectors
from scheduling.models import Slot
from tests.scheduling.factories import SlotFactory, slot_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


# --- teacher_slots ----------------------------------------------------------


def test_teacher_slots_in_a_range_includes_past_slots(teacher, now):
    past = slot_in(teacher, now, -30)
    soon = slot_in(teacher, now, 1)
    slot_in(teacher, now, 100)
    slots = selectors.teacher_slots(teacher=teacher, start=now - dt.timedelta(days=2), end=now + dt.timedelta(days=2))
    assert list(slots) == [past, soon]


def test_teacher_slots_leave_out_removed_slots(teacher, now):
    """Past or future, a removed slot is not listed; a live one at the same time is."""
    kept = slot_in(teacher, now, 10)
    SlotFactory(teacher=teacher, start_at=kept.start_at, end_at=kept.end_at, removed_at=now)
    past = slot_in(teacher, now, -10)
    Slot.objects.filter(pk=past.pk).update(removed_at=now)
    slots = selectors.teacher_slots(teacher=teacher, start=now - dt.timedelta(days=2), end=now + dt.timedelta(days=2))
    assert list(slots) == [kept]
