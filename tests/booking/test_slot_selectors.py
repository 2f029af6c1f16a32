"""Which slots may be held: the open-slot listing, a teacher's slots marked
taken, and the check a hold makes on the slot it locks (`booking.selectors`)."""

import datetime as dt

import pytest
from django.utils import timezone

from booking import selectors
from booking.errors import SlotTooSoon, SlotUnavailable
from booking.models import Booking
from guitaronline.core.errors import NotFound
from scheduling.models import Slot
from tests.booking.holding import slot_get_open
from tests.factories import StudentFactory, TeacherFactory
from tests.scheduling.factories import SlotFactory, confirmed_booking, hold_booking, past_booking, slot_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


# --- open_slots -------------------------------------------------------------


def test_open_slots_lists_future_free_slots_by_start(teacher, now):
    later = slot_in(teacher, now, 50)
    sooner = slot_in(TeacherFactory(), now, 30)
    same_time = slot_in(TeacherFactory(), now, 30)

    assert list(selectors.open_slots(now=now)) == [sooner, same_time, later]


@pytest.mark.parametrize(
    ("hours", "is_open"),
    [(-3, False), (-0.5, False), (1, False), (1.99, False), (2, True), (2.01, True)],
    ids=["past", "running", "inside-notice", "just-inside-notice", "at-notice", "after-notice"],
)
def test_open_slots_respects_the_minimum_notice(settings, teacher, now, hours, is_open):
    settings.BOOKING_MIN_NOTICE_HOURS = 2
    slot = slot_in(teacher, now, hours)
    assert (slot in selectors.open_slots(now=now)) is is_open


def test_open_slots_follows_the_notice_setting(settings, teacher, now):
    slot = slot_in(teacher, now, 5)
    settings.BOOKING_MIN_NOTICE_HOURS = 6
    assert slot not in selectors.open_slots(now=now)


def test_open_slots_excludes_a_confirmed_slot(teacher, now):
    slot = slot_in(teacher, now, 24)
    confirmed_booking(slot=slot)
    assert slot not in selectors.open_slots(now=now)


def test_open_slots_excludes_a_live_hold(teacher, now):
    slot = slot_in(teacher, now, 24)
    hold_booking(slot=slot, expires_at=now + dt.timedelta(seconds=1))
    assert slot not in selectors.open_slots(now=now)


def test_open_slots_includes_a_slot_whose_hold_has_expired(teacher, now):
    """No job has run yet: the hold is still `hold` in the database, but dead."""
    slot = slot_in(teacher, now, 24)
    hold_booking(slot=slot, expires_at=now)
    assert slot in selectors.open_slots(now=now)


def test_open_slots_includes_a_slot_with_only_booking_history(teacher, now):
    """Several dead bookings on one slot (multi-valued relation) still leave it open."""
    slot = slot_in(teacher, now, 24)
    student = StudentFactory()
    past_booking(slot=slot, status=Booking.Status.CANCELED, student=student)
    past_booking(slot=slot, status=Booking.Status.EXPIRED, student=student)
    hold_booking(slot=slot, expires_at=now - dt.timedelta(minutes=1), student=student)
    assert list(selectors.open_slots(now=now)) == [slot]


def test_open_slots_excludes_removed_slots(teacher, now):
    kept = slot_in(teacher, now, 24)
    removed = slot_in(teacher, now, 30)
    past_booking(slot=removed, status=Booking.Status.CANCELED)
    Slot.objects.filter(pk=removed.pk).update(removed_at=now)
    assert list(selectors.open_slots(now=now)) == [kept]
    assert list(selectors.open_slots(teacher_id=teacher.pk, now=now)) == [kept]


def test_open_slots_excludes_a_slot_confirmed_after_a_cancel(teacher, now):
    slot = slot_in(teacher, now, 24)
    past_booking(slot=slot, status=Booking.Status.CANCELED)
    confirmed_booking(slot=slot)
    assert list(selectors.open_slots(now=now)) == []


def test_open_slots_excludes_unpublished_and_inactive_teachers(now):
    hidden = TeacherFactory(profile__published=False)
    gone = TeacherFactory(is_active=False)
    slot_in(hidden, now, 24)
    slot_in(gone, now, 24)
    assert list(selectors.open_slots(now=now)) == []


def test_open_slots_filters_by_teacher_and_range(teacher, now):
    other = TeacherFactory()
    early, middle, late = slot_in(teacher, now, 10), slot_in(teacher, now, 20), slot_in(teacher, now, 30)
    slot_in(other, now, 20)

    assert list(selectors.open_slots(teacher_id=teacher.pk, now=now)) == [early, middle, late]
    start, end = now + dt.timedelta(hours=20), now + dt.timedelta(hours=30)
    assert list(selectors.open_slots(teacher_id=teacher.pk, start=start, end=end, now=now)) == [middle]
    assert list(selectors.open_slots(teacher_id=teacher.pk, start=start, now=now)) == [middle, late]
    assert list(selectors.open_slots(teacher_id=teacher.pk, end=end, now=now)) == [early, middle]


def test_open_slots_loads_teachers_with_the_slots(django_assert_num_queries, now):
    for _ in range(3):
        slot_in(TeacherFactory(), now, 24)
    with django_assert_num_queries(1):
        names = [slot.teacher.teacher_profile.display_name for slot in selectors.open_slots(now=now)]
    assert len(names) == 3


# --- teacher_slots_taken -----------------------------------------------------


def test_teacher_slots_marks_taken_slots(teacher, now):
    free = slot_in(teacher, now, 10)
    held = slot_in(teacher, now, 20)
    booked = slot_in(teacher, now, 30)
    dead_hold = slot_in(teacher, now, 40)
    hold_booking(slot=held, expires_at=now + dt.timedelta(minutes=5))
    confirmed_booking(slot=booked)
    hold_booking(slot=dead_hold, expires_at=now - dt.timedelta(minutes=5))
    slot_in(TeacherFactory(), now, 10)

    slots = selectors.teacher_slots_taken(teacher=teacher, now=now)
    assert [(slot, slot.taken) for slot in slots] == [(free, False), (held, True), (booked, True), (dead_hold, False)]


# --- slot_taken_expression / the locked check ---------------------------------


def taken(slot, now) -> bool:
    return Slot.objects.filter(pk=slot.pk).filter(selectors.slot_taken_expression(now=now)).exists()


def test_a_slot_is_taken_by_a_live_hold_until_it_expires(teacher, now):
    slot = slot_in(teacher, now, 24)
    assert not taken(slot, now)
    booking = hold_booking(slot=slot, expires_at=now + dt.timedelta(minutes=10))
    assert taken(slot, now)
    assert not taken(slot, booking.hold_expires_at)


def test_slot_get_open_returns_an_open_slot(teacher, now):
    slot = slot_in(teacher, now, 24)
    hold_booking(slot=slot, expires_at=now - dt.timedelta(minutes=1))
    assert slot_get_open(slot_id=slot.pk, now=now) == slot
    assert slot_get_open(slot_id=str(slot.pk), now=now, for_update=True) == slot


@pytest.mark.parametrize("slot_id", [0, 10**9, "abc", None])
def test_slot_get_open_unknown_slot(slot_id, now):
    with pytest.raises(NotFound):
        slot_get_open(slot_id=slot_id, now=now)


@pytest.mark.parametrize("for_update", [False, True])
def test_slot_get_open_does_not_find_a_removed_slot(teacher, now, for_update):
    slot = SlotFactory(
        teacher=teacher, start_at=now + dt.timedelta(days=1), end_at=now + dt.timedelta(days=1, hours=1), removed_at=now
    )
    with pytest.raises(NotFound):
        slot_get_open(slot_id=slot.pk, now=now, for_update=for_update)


@pytest.mark.parametrize(
    ("case", "error", "code"),
    [
        ("past", SlotTooSoon, "slot_too_soon"),
        ("inside-notice", SlotTooSoon, "slot_too_soon"),
        ("confirmed", SlotUnavailable, "slot_unavailable"),
        ("live-hold", SlotUnavailable, "slot_unavailable"),
        ("unpublished", SlotUnavailable, "slot_unavailable"),
        ("inactive", SlotUnavailable, "slot_unavailable"),
    ],
)
def test_slot_get_open_refuses_a_slot_that_cannot_be_held(now, case, error, code):
    teacher = TeacherFactory(profile__published=case != "unpublished", is_active=case != "inactive")
    slot = slot_in(teacher, now, {"past": -5, "inside-notice": 1}.get(case, 24))
    if case == "confirmed":
        confirmed_booking(slot=slot)
    if case == "live-hold":
        hold_booking(slot=slot, expires_at=now + dt.timedelta(minutes=1))

    with pytest.raises(error) as raised:
        slot_get_open(slot_id=slot.pk, now=now)
    assert (raised.value.code, raised.value.status_code) == (code, 409)
