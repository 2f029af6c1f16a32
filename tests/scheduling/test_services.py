import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction

from audit.models import AuditLog, OutboxEvent
from booking.models import Booking
from guitaronline.core.errors import InvalidInput, NotFound
from scheduling import selectors, services
from scheduling.errors import NotATeacher, SlotInPast, SlotInUse, SlotOverlap, SlotStartInPast
from scheduling.models import Slot
from tests.factories import StaffFactory, StudentFactory, TeacherFactory
from tests.scheduling.factories import SlotFactory, confirmed_booking, hold_booking, past_booking
from tests.snapshots import schedule_snapshot

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
START = dt.datetime(2027, 3, 10, 15, 0, tzinfo=UTC)


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


# --- slot_create ------------------------------------------------------------


def test_slot_create_stores_utc_and_records_the_change(teacher):
    moscow = ZoneInfo("Europe/Moscow")
    slot = services.slot_create(
        teacher=teacher,
        start_at=dt.datetime(2027, 3, 10, 18, 0, tzinfo=moscow),
        end_at=dt.datetime(2027, 3, 10, 19, 0, tzinfo=moscow),
        now=NOW,
    )

    slot.refresh_from_db()
    assert (slot.teacher, slot.start_at, slot.end_at) == (teacher, START, at(1))
    audit = AuditLog.objects.get(action="scheduling.slot.created")
    assert (audit.actor, audit.entity_type, audit.entity_id) == (teacher, "scheduling.slot", str(slot.pk))
    assert audit.payload == {"teacher_id": teacher.pk, "start_at": START.isoformat(), "end_at": at(1).isoformat()}
    event = OutboxEvent.objects.get(event_type="scheduling.slot.created")
    assert (event.aggregate_id, event.payload) == (str(slot.pk), audit.payload)


@pytest.mark.parametrize("minutes", [15, 240])
def test_slot_create_accepts_the_length_limits(teacher, minutes):
    slot = services.slot_create(teacher=teacher, start_at=START, end_at=START + dt.timedelta(minutes=minutes), now=NOW)
    assert slot.end_at - slot.start_at == dt.timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("start_at", "end_at", "field"),
    [
        pytest.param(START.replace(tzinfo=None), at(1), "start_at", id="naive-start"),
        pytest.param(START, at(1).replace(tzinfo=None), "end_at", id="naive-end"),
        pytest.param(START, START, "end_at", id="empty"),
        pytest.param(START, at(-1), "end_at", id="end-before-start"),
        pytest.param(START, START + dt.timedelta(minutes=14), "end_at", id="too-short"),
        pytest.param(START, START + dt.timedelta(minutes=241), "end_at", id="too-long"),
        pytest.param("2027-03-10T15:00Z", at(1), "start_at", id="not-a-datetime"),
    ],
)
def test_slot_create_refuses_bad_times(teacher, unchanged, start_at, end_at, field):
    with unchanged(), pytest.raises(InvalidInput) as error:
        services.slot_create(teacher=teacher, start_at=start_at, end_at=end_at, now=NOW)
    assert error.value.code == "validation_error"
    assert field in error.value.details


@pytest.mark.parametrize("start_at", [NOW - dt.timedelta(minutes=1), NOW], ids=["before-now", "at-now"])
def test_slot_create_refuses_the_past(teacher, unchanged, start_at):
    with unchanged(), pytest.raises(SlotStartInPast) as error:
        services.slot_create(teacher=teacher, start_at=start_at, end_at=start_at + dt.timedelta(hours=1), now=NOW)
    assert (error.value.code, error.value.status_code) == ("slot_in_past", 400)


@pytest.mark.parametrize("make_user", [StudentFactory, StaffFactory], ids=["student", "staff"])
def test_slot_create_only_for_teachers(unchanged, make_user):
    user = make_user()
    with unchanged(), pytest.raises(NotATeacher) as error:
        services.slot_create(teacher=user, start_at=START, end_at=at(1), now=NOW)
    assert error.value.status_code == 403


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(0, 1, id="same"),
        pytest.param(0.25, 0.75, id="inside"),
        pytest.param(-1, 2, id="around"),
        pytest.param(-0.5, 0.5, id="over-the-start"),
        pytest.param(0.5, 1.5, id="over-the-end"),
        pytest.param(0, 2, id="same-start-longer"),
    ],
)
def test_slot_create_refuses_overlap(teacher, unchanged, start, end):
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1))
    with unchanged(), pytest.raises(SlotOverlap) as error:
        services.slot_create(teacher=teacher, start_at=at(start), end_at=at(end), now=NOW)
    assert (error.value.code, error.value.status_code) == ("slot_overlap", 409)


def test_slot_create_allows_touching_slots_and_other_teachers(teacher):
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1))
    services.slot_create(teacher=teacher, start_at=at(1), end_at=at(2), now=NOW)
    services.slot_create(teacher=teacher, start_at=at(-1), end_at=START, now=NOW)
    services.slot_create(teacher=TeacherFactory(), start_at=START, end_at=at(1), now=NOW)
    assert Slot.objects.filter(teacher=teacher).count() == 3


def test_slot_create_maps_the_unique_start_key_to_overlap(teacher, unchanged, monkeypatch):
    """Even if the service's own check were bypassed, the database refuses a
    second slot at the same start and the error stays `slot_overlap`."""
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1))
    monkeypatch.setattr(services, "_overlapping", lambda **kwargs: Slot.objects.none())
    with unchanged(), pytest.raises(SlotOverlap):
        services.slot_create(teacher=teacher, start_at=START, end_at=at(0.5), now=NOW)


def test_slot_create_maps_the_exclusion_constraint_to_overlap(postgres_only, teacher, unchanged, monkeypatch):
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1))
    monkeypatch.setattr(services, "_overlapping", lambda **kwargs: Slot.objects.none())
    with unchanged(), pytest.raises(SlotOverlap):
        services.slot_create(teacher=teacher, start_at=at(0.5), end_at=at(1.5), now=NOW)


# --- slot_delete ------------------------------------------------------------


@pytest.fixture
def slot(teacher):
    return SlotFactory(teacher=teacher, start_at=START, end_at=at(1))


def test_slot_delete_removes_a_free_slot_and_records_it(teacher, slot):
    slot_id = slot.pk
    services.slot_delete(teacher=teacher, slot=slot, now=NOW)

    assert not Slot.objects.filter(pk=slot_id).exists()
    audit = AuditLog.objects.get(action="scheduling.slot.deleted")
    assert (audit.actor, audit.entity_type, audit.entity_id) == (teacher, "scheduling.slot", str(slot_id))
    assert audit.payload == {"teacher_id": teacher.pk, "start_at": START.isoformat(), "end_at": at(1).isoformat()}
    assert OutboxEvent.objects.filter(event_type="scheduling.slot.deleted", aggregate_id=str(slot_id)).count() == 1


@pytest.mark.parametrize("now", [START, START + dt.timedelta(minutes=30), at(5)], ids=["at-start", "running", "over"])
def test_slot_delete_refuses_a_started_slot(teacher, slot, unchanged, now):
    with unchanged(), pytest.raises(SlotInPast) as error:
        services.slot_delete(teacher=teacher, slot=slot, now=now)
    assert (error.value.code, error.value.status_code) == ("slot_in_past", 409)


def test_slot_delete_refuses_a_confirmed_slot(teacher, slot, unchanged):
    confirmed_booking(slot=slot)
    with unchanged(), pytest.raises(SlotInUse) as error:
        services.slot_delete(teacher=teacher, slot=slot, now=NOW)
    assert (error.value.code, error.value.details) == ("slot_in_use", None)


def test_slot_delete_refuses_a_live_hold(teacher, slot, unchanged):
    hold_booking(slot=slot, expires_at=NOW + dt.timedelta(minutes=5))
    with unchanged(), pytest.raises(SlotInUse) as error:
        services.slot_delete(teacher=teacher, slot=slot, now=NOW)
    assert error.value.details is None


def add_history(slot: Slot, kind: str) -> Booking:
    """A booking that no longer takes the slot: a dead hold, a canceled or an expired booking."""
    if kind == "dead-hold":
        return hold_booking(slot=slot, expires_at=NOW - dt.timedelta(minutes=1))
    return past_booking(slot=slot, status=kind)


HISTORY_KINDS = ["dead-hold", Booking.Status.CANCELED, Booking.Status.EXPIRED]


@pytest.mark.parametrize("kind", HISTORY_KINDS)
def test_slot_delete_marks_a_slot_with_booking_history_removed(teacher, slot, kind):
    """Not taken, but `Booking.slot` is PROTECT: the row stays, marked removed,
    with the bookings still pointing at it, and the same audit and event as a delete."""
    booking = add_history(slot, kind)
    assert not selectors.slot_is_taken(slot=slot, now=NOW)

    services.slot_delete(teacher=teacher, slot=slot, now=NOW)

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
    assert list(selectors.teacher_slots(teacher=teacher, now=now)) == [slot]

    services.slot_delete(teacher=teacher, slot=slot, now=now)

    assert list(selectors.open_slots(now=now)) == []
    assert list(selectors.open_slots(teacher_id=teacher.pk, now=now)) == []
    assert list(selectors.teacher_slots(teacher=teacher, now=now)) == []
    with pytest.raises(NotFound):
        selectors.slot_for_teacher(user=teacher, slot_id=slot.pk)
    with pytest.raises(NotFound):
        selectors.slot_get_open(slot_id=slot.pk, now=now, for_update=True)


def test_slot_delete_twice_is_not_found_and_changes_nothing(teacher, slot, unchanged):
    past_booking(slot=slot, status=Booking.Status.CANCELED)
    services.slot_delete(teacher=teacher, slot=slot, now=NOW)
    with unchanged(), pytest.raises(NotFound):
        services.slot_delete(teacher=teacher, slot=slot, now=NOW + dt.timedelta(minutes=1))
    slot.refresh_from_db()
    assert slot.removed_at == NOW
    assert AuditLog.objects.filter(action="scheduling.slot.deleted").count() == 1


def test_slot_delete_refuses_a_taken_slot_with_history(teacher, slot, unchanged):
    """Canceled once, then booked again: taken, so refused, with neither a delete nor a removal."""
    add_history(slot, Booking.Status.CANCELED)
    confirmed_booking(slot=slot)
    with unchanged(), pytest.raises(SlotInUse) as error:
        services.slot_delete(teacher=teacher, slot=slot, now=NOW)
    assert (error.value.code, error.value.details) == ("slot_in_use", None)
    assert Slot.objects.get(pk=slot.pk).removed_at is None


@pytest.mark.parametrize("kind", HISTORY_KINDS)
def test_slot_delete_refuses_a_started_slot_with_history(teacher, slot, unchanged, kind):
    add_history(slot, kind)
    with unchanged(), pytest.raises(SlotInPast):
        services.slot_delete(teacher=teacher, slot=slot, now=START)


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0.5, 1.5), (-0.5, 0.5)], ids=["same", "later", "earlier"])
def test_a_removed_slot_frees_its_time(teacher, slot, start, end):
    past_booking(slot=slot, status=Booking.Status.CANCELED)
    services.slot_delete(teacher=teacher, slot=slot, now=NOW)

    new = services.slot_create(teacher=teacher, start_at=at(start), end_at=at(end), now=NOW)

    assert list(selectors.teacher_slots(teacher=teacher, now=NOW)) == [new]
    assert Slot.objects.filter(teacher=teacher).count() == 2
    with pytest.raises(SlotOverlap):  # the new slot is live: it blocks its time as usual
        services.slot_create(teacher=teacher, start_at=at(start), end_at=at(end), now=NOW)


@pytest.mark.parametrize(("start", "end"), [(0, 1), (0.5, 1.5)], ids=["same-start", "overlap"])
def test_the_database_lets_a_live_slot_overlap_a_removed_one(teacher, start, end):
    """The unique start key (and on PostgreSQL the exclusion constraint) cover live slots only."""
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1), removed_at=NOW)
    SlotFactory(teacher=teacher, start_at=at(start), end_at=at(end), removed_at=NOW)  # removed ones never clash
    Slot.objects.create(teacher=teacher, start_at=at(start), end_at=at(end))
    assert Slot.objects.filter(teacher=teacher, removed_at__isnull=True).count() == 1


def test_the_unique_start_key_still_refuses_two_live_slots(teacher):
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1), removed_at=NOW)
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.create(teacher=teacher, start_at=START, end_at=at(0.5))


def test_the_exclusion_constraint_covers_live_slots_only(postgres_only, teacher):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 'slot_no_overlap' "
            "AND conrelid = 'scheduling_slot'::regclass"
        )
        (definition,) = cursor.fetchone()
    assert definition == (
        "EXCLUDE USING gist (teacher_id WITH =, tstzrange(start_at, end_at, '[)'::text) WITH &&) "
        "WHERE ((removed_at IS NULL))"
    )
    SlotFactory(teacher=teacher, start_at=START, end_at=at(1))
    with pytest.raises(IntegrityError) as error, transaction.atomic():
        Slot.objects.create(teacher=teacher, start_at=at(0.5), end_at=at(1.5))
    assert error.value.__cause__.diag.constraint_name == "slot_no_overlap"


def test_slot_delete_refuses_another_teachers_slot(slot, unchanged):
    with unchanged(), pytest.raises(NotFound):
        services.slot_delete(teacher=TeacherFactory(), slot=slot, now=NOW)


# --- slot_for_teacher (the access helper) -----------------------------------


def test_slot_for_teacher_returns_the_owners_slot(teacher, slot):
    assert selectors.slot_for_teacher(user=teacher, slot_id=slot.pk) == slot
    assert selectors.slot_for_teacher(user=teacher, slot_id=str(slot.pk)) == slot


@pytest.mark.parametrize(
    "make_user",
    [TeacherFactory, StudentFactory, StaffFactory, AnonymousUser],
    ids=["other-teacher", "student", "staff", "anonymous"],
)
def test_slot_for_teacher_hides_the_slot_from_everyone_else(slot, make_user):
    with pytest.raises(NotFound):
        selectors.slot_for_teacher(user=make_user(), slot_id=slot.pk)


@pytest.mark.parametrize("slot_id", [0, 10**9, "abc", None])
def test_slot_for_teacher_unknown_ids(teacher, slot_id):
    with pytest.raises(NotFound):
        selectors.slot_for_teacher(user=teacher, slot_id=slot_id)


def test_snapshot_helper_sees_changes(teacher):
    """Guard for the failure-path tests: the snapshot changes when a slot is added."""
    before = schedule_snapshot()
    services.slot_create(teacher=teacher, start_at=START, end_at=at(1), now=NOW)
    assert schedule_snapshot() != before
