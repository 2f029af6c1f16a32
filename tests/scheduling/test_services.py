import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import IntegrityError, connection, transaction

from audit.models import AuditLog, OutboxEvent
from guitaronline.core.errors import InvalidInput, NotFound
from scheduling import selectors, services
from scheduling.errors import NotATeacher, SlotOverlap, SlotStartInPast
from scheduling.models import Slot
from tests.factories import StaffFactory, StudentFactory, TeacherFactory
from tests.scheduling.factories import SlotFactory
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


# --- live slots only: the database guards ------------------------------------


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


# --- slot_for_teacher (the access helper) -----------------------------------


@pytest.fixture
def slot(teacher):
    return SlotFactory(teacher=teacher, start_at=START, end_at=at(1))


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
