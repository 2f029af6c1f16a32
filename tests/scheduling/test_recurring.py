"""Weekly recurring slots: same local wall-clock time in the teacher's zone,
across DST changes, with skipped occurrences reported."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from audit.models import AuditLog, OutboxEvent
from guitaronline.core.errors import InvalidInput
from scheduling import services
from scheduling.errors import NotATeacher
from scheduling.models import Slot
from tests.factories import StudentFactory, TeacherFactory
from tests.scheduling.factories import SlotFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TUESDAY, MONDAY, SUNDAY = 1, 0, 6


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def recurring(teacher, *, weekday, start, end, minutes, weeks, now):
    return services.slot_create_recurring(
        teacher=teacher,
        weekday=weekday,
        start_time=dt.time.fromisoformat(start),
        end_time=dt.time.fromisoformat(end),
        slot_minutes=minutes,
        weeks=weeks,
        now=now,
    )


def local_starts(slots, zone) -> list[str]:
    return [slot.start_at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M") for slot in slots]


def test_tuesdays_keep_18_00_in_berlin_across_the_march_change(berlin_teacher):
    # Monday 1 March 2027; Berlin moves to summer time on Sunday 28 March.
    result = recurring(
        berlin_teacher, weekday=TUESDAY, start="18:00", end="20:00", minutes=60, weeks=8, now=utc(2027, 3, 1, 9)
    )

    assert result.skipped == []
    slots = sorted(result.created, key=lambda slot: slot.start_at)
    assert len(slots) == 16
    tuesdays = ["03-02", "03-09", "03-16", "03-23", "03-30", "04-06", "04-13", "04-20"]
    assert local_starts(slots, BERLIN) == [f"Tue 2027-{day} {hour}:00" for day in tuesdays for hour in ("18", "19")]
    first_hours = {slot.start_at.date().isoformat(): slot.start_at.hour for slot in slots[::2]}
    assert first_hours == {
        "2027-03-02": 17, "2027-03-09": 17, "2027-03-16": 17, "2027-03-23": 17,  # CET, UTC+1
        "2027-03-30": 16, "2027-04-06": 16, "2027-04-13": 16, "2027-04-20": 16,  # CEST, UTC+2
    }  # fmt: skip
    assert all(slot.end_at - slot.start_at == dt.timedelta(minutes=60) for slot in slots)
    assert Slot.objects.filter(teacher=berlin_teacher).count() == 16


def test_tuesdays_keep_18_00_in_berlin_across_the_october_change(berlin_teacher):
    # Berlin returns to winter time on Sunday 31 October 2027.
    result = recurring(
        berlin_teacher, weekday=TUESDAY, start="18:00", end="19:00", minutes=60, weeks=4, now=utc(2027, 10, 11, 9)
    )

    assert local_starts(result.created, BERLIN) == [
        "Tue 2027-10-12 18:00",
        "Tue 2027-10-19 18:00",
        "Tue 2027-10-26 18:00",
        "Tue 2027-11-02 18:00",
    ]
    assert [slot.start_at for slot in result.created] == [
        utc(2027, 10, 12, 16),
        utc(2027, 10, 19, 16),
        utc(2027, 10, 26, 16),
        utc(2027, 11, 2, 17),
    ]


def test_an_ambiguous_fall_back_time_takes_its_first_occurrence(berlin_teacher):
    # 02:30 happens twice in Berlin on 31 October 2027: first at UTC+2 (00:30 UTC).
    result = recurring(
        berlin_teacher, weekday=SUNDAY, start="02:30", end="03:00", minutes=30, weeks=2, now=utc(2027, 10, 25, 9)
    )

    assert [slot.start_at for slot in result.created] == [utc(2027, 10, 31, 0, 30), utc(2027, 11, 7, 1, 30)]
    assert local_starts(result.created, BERLIN) == ["Sun 2027-10-31 02:30", "Sun 2027-11-07 02:30"]


def test_back_to_back_slots_through_the_repeated_hour(berlin_teacher):
    """01:00, 02:00 (first occurrence) and 03:00 on the fall-back night: no overlap, each 60 minutes."""
    result = recurring(
        berlin_teacher, weekday=SUNDAY, start="01:00", end="04:00", minutes=60, weeks=1, now=utc(2027, 10, 25, 9)
    )

    assert [(slot.start_at, slot.end_at) for slot in result.created] == [
        (utc(2027, 10, 30, 23), utc(2027, 10, 31, 0)),
        (utc(2027, 10, 31, 0), utc(2027, 10, 31, 1)),
        (utc(2027, 10, 31, 2), utc(2027, 10, 31, 3)),
    ]
    assert result.skipped == []


def test_a_nonexistent_spring_forward_time_is_skipped(berlin_teacher):
    # On 28 March 2027 Berlin clocks jump from 02:00 to 03:00: 02:30 does not exist.
    result = recurring(
        berlin_teacher, weekday=SUNDAY, start="02:30", end="03:30", minutes=30, weeks=2, now=utc(2027, 3, 22, 9)
    )

    assert result.skipped == [
        {
            "local_date": dt.date(2027, 3, 28),
            "local_time": dt.time(2, 30),
            "start_at": None,
            "reason": services.SKIP_NONEXISTENT,
        }
    ]
    assert local_starts(result.created, BERLIN) == [
        "Sun 2027-03-28 03:00",
        "Sun 2027-04-04 02:30",
        "Sun 2027-04-04 03:00",
    ]
    assert [slot.start_at for slot in result.created] == [
        utc(2027, 3, 28, 1),
        utc(2027, 4, 4, 0, 30),
        utc(2027, 4, 4, 1),
    ]


def test_the_short_spring_forward_night_skips_what_would_overlap(berlin_teacher):
    """01:30 CET + 90 minutes ends at 03:30 CEST, past the next wall-clock start 03:00."""
    result = recurring(
        berlin_teacher, weekday=SUNDAY, start="01:30", end="04:30", minutes=90, weeks=1, now=utc(2027, 3, 22, 9)
    )

    assert local_starts(result.created, BERLIN) == ["Sun 2027-03-28 01:30"]
    assert result.skipped == [
        {
            "local_date": dt.date(2027, 3, 28),
            "local_time": dt.time(3, 0),
            "start_at": utc(2027, 3, 28, 1),
            "reason": services.SKIP_OVERLAP,
        }
    ]


def test_new_york_mondays_keep_09_00_across_its_march_change():
    # New York moves to summer time on Sunday 14 March 2027 (two weeks before Europe).
    teacher = TeacherFactory(timezone="America/New_York")
    result = recurring(teacher, weekday=MONDAY, start="09:00", end="10:00", minutes=60, weeks=4, now=utc(2027, 3, 1, 9))

    assert local_starts(result.created, NEW_YORK) == [
        "Mon 2027-03-01 09:00",
        "Mon 2027-03-08 09:00",
        "Mon 2027-03-15 09:00",
        "Mon 2027-03-22 09:00",
    ]
    assert [slot.start_at.hour for slot in result.created] == [14, 14, 13, 13]


def test_new_york_nonexistent_time_is_skipped():
    teacher = TeacherFactory(timezone="America/New_York")
    result = recurring(
        teacher, weekday=SUNDAY, start="02:00", end="03:00", minutes=60, weeks=2, now=utc(2027, 3, 8, 12)
    )

    assert [(item["local_date"], item["reason"]) for item in result.skipped] == [
        (dt.date(2027, 3, 14), services.SKIP_NONEXISTENT)
    ]
    assert [slot.start_at for slot in result.created] == [utc(2027, 3, 21, 6)]


def test_the_current_week_is_read_in_the_teachers_zone():
    """Sunday 23:30 UTC is already Monday in Moscow: the first week is the new one."""
    teacher = TeacherFactory(timezone="Europe/Moscow")
    result = recurring(
        teacher, weekday=MONDAY, start="10:00", end="11:00", minutes=60, weeks=1, now=utc(2027, 3, 7, 23, 30)
    )
    assert [slot.start_at for slot in result.created] == [utc(2027, 3, 8, 7)]


def test_occurrences_already_started_are_skipped_as_past(berlin_teacher):
    # Tuesday 2 March 2027, 18:30 in Berlin: the 18:00 slot has begun, 19:00 has not.
    now = utc(2027, 3, 2, 17, 30)
    result = recurring(berlin_teacher, weekday=TUESDAY, start="18:00", end="20:00", minutes=60, weeks=2, now=now)

    assert result.skipped == [
        {
            "local_date": dt.date(2027, 3, 2),
            "local_time": dt.time(18, 0),
            "start_at": utc(2027, 3, 2, 17),
            "reason": services.SKIP_PAST,
        }
    ]
    assert local_starts(result.created, BERLIN) == [
        "Tue 2027-03-02 19:00",
        "Tue 2027-03-09 18:00",
        "Tue 2027-03-09 19:00",
    ]


def test_existing_slots_are_kept_and_overlapping_occurrences_skipped(berlin_teacher):
    existing = SlotFactory(teacher=berlin_teacher, start_at=utc(2027, 3, 9, 17, 30), end_at=utc(2027, 3, 9, 18, 30))
    result = recurring(
        berlin_teacher, weekday=TUESDAY, start="18:00", end="20:00", minutes=60, weeks=2, now=utc(2027, 3, 1, 9)
    )

    assert [(item["local_time"], item["reason"]) for item in result.skipped] == [
        (dt.time(18, 0), services.SKIP_OVERLAP),
        (dt.time(19, 0), services.SKIP_OVERLAP),
    ]
    assert local_starts(result.created, BERLIN) == ["Tue 2027-03-02 18:00", "Tue 2027-03-02 19:00"]
    assert Slot.objects.filter(teacher=berlin_teacher).count() == 3
    assert Slot.objects.filter(pk=existing.pk).exists()


def test_removed_slots_do_not_block_occurrences(berlin_teacher):
    removed = SlotFactory(
        teacher=berlin_teacher,
        start_at=utc(2027, 3, 9, 17, 30),
        end_at=utc(2027, 3, 9, 18, 30),
        removed_at=utc(2027, 3, 1, 8),
    )
    result = recurring(
        berlin_teacher, weekday=TUESDAY, start="18:00", end="20:00", minutes=60, weeks=2, now=utc(2027, 3, 1, 9)
    )

    assert result.skipped == []
    assert local_starts(result.created, BERLIN) == [
        "Tue 2027-03-02 18:00",
        "Tue 2027-03-02 19:00",
        "Tue 2027-03-09 18:00",
        "Tue 2027-03-09 19:00",
    ]
    assert Slot.objects.get(pk=removed.pk).removed_at is not None


def test_a_remainder_shorter_than_a_slot_is_left_out(berlin_teacher):
    result = recurring(
        berlin_teacher, weekday=TUESDAY, start="18:00", end="20:30", minutes=45, weeks=1, now=utc(2027, 3, 1, 9)
    )
    assert local_starts(result.created, BERLIN) == [
        "Tue 2027-03-02 18:00",
        "Tue 2027-03-02 18:45",
        "Tue 2027-03-02 19:30",
    ]


def test_one_audit_record_and_event_for_the_whole_rule(berlin_teacher):
    result = recurring(
        berlin_teacher, weekday=TUESDAY, start="18:00", end="20:00", minutes=60, weeks=3, now=utc(2027, 3, 1, 9)
    )

    audit = AuditLog.objects.get()
    event = OutboxEvent.objects.get()
    assert (audit.action, event.event_type) == ("scheduling.slots.generated", "scheduling.slots.generated")
    assert (audit.actor, audit.entity_type, audit.entity_id) == (
        berlin_teacher,
        "accounts.user",
        str(berlin_teacher.pk),
    )
    assert audit.payload == event.payload
    assert audit.payload == {
        "teacher_id": berlin_teacher.pk,
        "timezone": "Europe/Berlin",
        "weekday": TUESDAY,
        "start_time": "18:00",
        "end_time": "20:00",
        "slot_minutes": 60,
        "weeks": 3,
        "slot_ids": [slot.pk for slot in result.created],
        "skipped": 0,
    }


def test_nothing_created_records_nothing(berlin_teacher, unchanged):
    # Tuesday evening: the only occurrence has started.
    with unchanged():
        result = recurring(
            berlin_teacher, weekday=TUESDAY, start="18:00", end="19:00", minutes=60, weeks=1, now=utc(2027, 3, 2, 18)
        )
    assert result.created == []
    assert [item["reason"] for item in result.skipped] == [services.SKIP_PAST]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"weekday": 7}, "weekday", id="weekday-too-big"),
        pytest.param({"weekday": -1}, "weekday", id="weekday-negative"),
        pytest.param({"weeks": 0}, "weeks", id="no-weeks"),
        pytest.param({"weeks": 27}, "weeks", id="too-many-weeks"),
        pytest.param({"slot_minutes": 10}, "slot_minutes", id="slot-too-short"),
        pytest.param({"slot_minutes": 241}, "slot_minutes", id="slot-too-long"),
        pytest.param({"end_time": dt.time(18, 0)}, "end_time", id="empty-window"),
        pytest.param({"end_time": dt.time(17, 0)}, "end_time", id="end-before-start"),
        pytest.param({"end_time": dt.time(18, 30)}, "end_time", id="window-shorter-than-a-slot"),
        pytest.param({"start_time": dt.time(18, 0, tzinfo=UTC)}, "start_time", id="time-with-zone"),
    ],
)
def test_bad_rules_are_refused(berlin_teacher, unchanged, changes, field):
    rule = {
        "weekday": TUESDAY,
        "start_time": dt.time(18, 0),
        "end_time": dt.time(20, 0),
        "slot_minutes": 60,
        "weeks": 4,
        **changes,
    }
    with unchanged(), pytest.raises(InvalidInput) as error:
        services.slot_create_recurring(teacher=berlin_teacher, now=utc(2027, 3, 1, 9), **rule)
    assert field in error.value.details


def test_recurring_only_for_teachers(unchanged):
    with unchanged(), pytest.raises(NotATeacher):
        recurring(
            StudentFactory(), weekday=TUESDAY, start="18:00", end="20:00", minutes=60, weeks=2, now=utc(2027, 3, 1)
        )


def test_the_longest_rule_runs(berlin_teacher):
    result = recurring(
        berlin_teacher, weekday=SUNDAY, start="00:00", end="23:45", minutes=15, weeks=26, now=utc(2027, 1, 4, 0)
    )
    # 95 pieces a Sunday, 2470 in all; on 28 March 02:00–02:45 do not exist.
    assert len(result.created) + len(result.skipped) == 95 * 26
    assert [item["reason"] for item in result.skipped] == [services.SKIP_NONEXISTENT] * 4
