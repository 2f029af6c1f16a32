"""A teacher removes a slot (`booking.services.slot_remove`): refused while a
booking takes it or once it has started; deleted when nothing points at it,
else kept and marked removed, invisible to every selector."""

import datetime as dt

import pytest

from audit.models import AuditLog, OutboxEvent
from booking import selectors, services
from booking.errors import SlotInUse
from booking.models import Booking, WaitlistEntry, WaitlistOffer
from guitaronline.core.errors import NotFound
from scheduling import selectors as scheduling_selectors
from scheduling import services as scheduling_services
from scheduling.errors import SlotInPast, SlotOverlap
from scheduling.models import Slot
from tests.booking.holding import slot_get_open
from tests.factories import StudentFactory, TeacherFactory
from tests.scheduling.factories import SlotFactory, confirmed_booking, hold_booking, past_booking

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
START = dt.datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


# --- slot_remove ------------------------------------------------------------


@pytest.fixture
def slot(teacher):
    return SlotFactory(teacher=teacher, start_at=START, end_at=at(1))


def test_slot_remove_removes_a_free_slot_and_records_it(teacher, slot):
    slot_id = slot.pk
    services.slot_remove(teacher=teacher, slot=slot, now=NOW)

    assert not Slot.objects.filter(pk=slot_id).exists()
    audit = AuditLog.objects.get(action="scheduling.slot.deleted")
    assert (audit.actor, audit.entity_type, audit.entity_id) == (teacher, "scheduling.slot", str(slot_id))
    assert audit.payload == {"teacher_id": teacher.pk, "start_at": START.isoformat(), "end_at": at(1).isoformat()}
    assert OutboxEvent.objects.filter(event_type="scheduling.slot.deleted", aggregate_id=str(slot_id)).count() == 1


@pytest.mark.parametrize("now", [START, START + dt.timedelta(minutes=30), at(5)], ids=["at-start", "running", "over"])
def test_slot_remove_refuses_a_started_slot(teacher, slot, now, unchanged):
    with unchanged(), pytest.raises(SlotInPast) as error:
        services.slot_remove(teacher=teacher, slot=slot, now=now)
    assert (error.value.code, error.value.status_code) == ("slot_in_past", 409)


def test_slot_remove_refuses_a_confirmed_slot(teacher, slot, unchanged):
    confirmed_booking(slot=slot)
    with unchanged(), pytest.raises(SlotInUse) as error:
        services.slot_remove(teacher=teacher, slot=slot, now=NOW)
    assert (error.value.code, error.value.details) == ("slot_in_use", None)


def test_slot_remove_refuses_a_live_hold(teacher, slot, unchanged):
    hold_booking(slot=slot, expires_at=NOW + dt.timedelta(minutes=5))
    with unchanged(), pytest.raises(SlotInUse) as error:
        services.slot_remove(teacher=teacher, slot=slot, now=NOW)
    assert error.value.details is None


def add_history(slot: Slot, kind: str) -> Booking:
    """A booking that no longer takes the slot: a dead hold, a canceled or an expired booking."""
    if kind == "dead-hold":
        return hold_booking(slot=slot, expires_at=NOW - dt.timedelta(minutes=1))
    return past_booking(slot=slot, status=kind)


HISTORY_KINDS = ["dead-hold", Booking.Status.CANCELED, Booking.Status.EXPIRED]


@pytest.mark.parametrize("kind", HISTORY_KINDS)
def test_slot_remove_marks_a_slot_with_booking_history_removed(teacher, slot, kind):
    """Not taken, but `Booking.slot` is PROTECT: the row stays, marked removed,
    with the bookings still pointing at it, and the same audit and event as a delete."""
    booking = add_history(slot, kind)
    assert not Slot.objects.filter(pk=slot.pk).filter(selectors.slot_taken_expression(now=NOW)).exists()

    services.slot_remove(teacher=teacher, slot=slot, now=NOW)

    slot.refresh_from_db()
    assert slot.removed_at == NOW
    assert (slot.teacher, slot.start_at, slot.end_at) == (teacher, START, at(1))
    booking_after = Booking.objects.get(pk=booking.pk)
    assert (booking_after.slot_id, booking_after.status) == (slot.pk, booking.status)
    audit = AuditLog.objects.get(action="scheduling.slot.deleted")
    assert (audit.actor, audit.entity_type, audit.entity_id) == (teacher, "scheduling.slot", str(slot.pk))
    assert audit.payload == {"teacher_id": teacher.pk, "start_at": START.isoformat(), "end_at": at(1).isoformat()}
    assert OutboxEvent.objects.filter(event_type="scheduling.slot.deleted", aggregate_id=str(slot.pk)).count() == 1


def test_a_removed_slot_is_invisible_to_every_selector(teacher, slot):
    """Checked with a `now` the slot would be open at, so only the removal hides it."""
    past_booking(slot=slot, status=Booking.Status.CANCELED)
    now = START - dt.timedelta(days=2)
    assert list(selectors.open_slots(now=now)) == [slot]
    assert list(scheduling_selectors.teacher_slots(teacher=teacher)) == [slot]

    services.slot_remove(teacher=teacher, slot=slot, now=now)

    assert list(selectors.open_slots(now=now)) == []
    assert list(selectors.open_slots(teacher_id=teacher.pk, now=now)) == []
    assert list(scheduling_selectors.teacher_slots(teacher=teacher)) == []
    with pytest.raises(NotFound):
        scheduling_selectors.slot_for_teacher(user=teacher, slot_id=slot.pk)
    with pytest.raises(NotFound):
        slot_get_open(slot_id=slot.pk, now=now, for_update=True)


def test_slot_remove_twice_is_not_found_and_changes_nothing(teacher, slot, unchanged):
    past_booking(slot=slot, status=Booking.Status.CANCELED)
    services.slot_remove(teacher=teacher, slot=slot, now=NOW)
    with unchanged(), pytest.raises(NotFound):
        services.slot_remove(teacher=teacher, slot=slot, now=NOW + dt.timedelta(minutes=1))
    slot.refresh_from_db()
    assert slot.removed_at == NOW
    assert AuditLog.objects.filter(action="scheduling.slot.deleted").count() == 1


def test_slot_remove_refuses_a_taken_slot_with_history(teacher, slot, unchanged):
    """Canceled once, then booked again: taken, so refused, with neither a delete nor a removal."""
    add_history(slot, Booking.Status.CANCELED)
    confirmed_booking(slot=slot)
    with unchanged(), pytest.raises(SlotInUse) as error:
        services.slot_remove(teacher=teacher, slot=slot, now=NOW)
    assert (error.value.code, error.value.details) == ("slot_in_use", None)
    assert Slot.objects.get(pk=slot.pk).removed_at is None


@pytest.mark.parametrize("kind", HISTORY_KINDS)
def test_slot_remove_refuses_a_started_slot_with_history(teacher, slot, kind, unchanged):
    add_history(slot, kind)
    with unchanged(), pytest.raises(SlotInPast):
        services.slot_remove(teacher=teacher, slot=slot, now=START)


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0.5, 1.5), (-0.5, 0.5)], ids=["same", "later", "earlier"])
def test_a_removed_slot_frees_its_time(teacher, slot, start, end):
    past_booking(slot=slot, status=Booking.Status.CANCELED)
    services.slot_remove(teacher=teacher, slot=slot, now=NOW)

    new = scheduling_services.slot_create(teacher=teacher, start_at=at(start), end_at=at(end), now=NOW)

    assert list(scheduling_selectors.teacher_slots(teacher=teacher)) == [new]
    assert Slot.objects.filter(teacher=teacher).count() == 2
    with pytest.raises(SlotOverlap):  # the new slot is live: it blocks its time as usual
        scheduling_services.slot_create(teacher=teacher, start_at=at(start), end_at=at(end), now=NOW)


def test_slot_remove_refuses_another_teachers_slot(slot, unchanged):
    with unchanged(), pytest.raises(NotFound):
        services.slot_remove(teacher=TeacherFactory(), slot=slot, now=NOW)


def test_a_slot_kept_only_by_a_waitlist_offer_is_marked_removed(teacher, slot):
    """Rows of other apps that keep a slot (`PROTECT`) need not be bookings."""
    entry = WaitlistEntry.objects.create(student=StudentFactory(), teacher=teacher, timezone="UTC")
    WaitlistOffer.objects.create(
        entry=entry, slot=slot, status=WaitlistOffer.Status.LAPSED, expires_at=NOW, closed_at=NOW
    )
    services.slot_remove(teacher=teacher, slot=slot, now=NOW)
    assert Slot.objects.get(pk=slot.pk).removed_at == NOW
