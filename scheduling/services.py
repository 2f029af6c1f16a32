"""Scheduling writes: a teacher's single slots, weekly recurring slots, removal.

Times are stored in UTC. A recurring rule is read in the teacher's own time
zone: every generated slot keeps the same local wall-clock time, also across
a DST change (18:00 in Europe/Berlin is 17:00 UTC in winter, 16:00 UTC in
summer).

Overlap guard: every service that adds slots locks the teacher's user row
first, so two concurrent writers for one teacher run one after the other on
every database; on PostgreSQL the exclusion constraint `slot_no_overlap` is
the last word, and its violation is reported as the same `SlotOverlap`.
Only live slots count: a removed slot (`removed_at` set) blocks nothing, and
both database guards are partial (`WHERE removed_at IS NULL`).

How far ahead: a slot starts at most SCHEDULING_MAX_DAYS_AHEAD days after
`now` (both services; the admin does not write slots). One slot starting later
is refused (`slot_too_far_ahead`, on `start_at`); a weekly rule skips its later
occurrences with the reason `beyond_max_days_ahead`, as it skips past ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import User
from audit.services import change_record
from guitaronline.core.errors import InvalidInput, NotFound
from guitaronline.core.shared_answers import SLOT_AVAILABILITY, answers_outdated
from guitaronline.core.times import local_to_utc
from scheduling import selectors
from scheduling.errors import (
    NotATeacher,
    SlotInPast,
    SlotInTimeOff,
    SlotOverlap,
    SlotStartInPast,
    SlotTooFarAhead,
    TimeOffOverlap,
)
from scheduling.models import Slot, TimeOff

UTC = dt.UTC

SLOT_MIN_MINUTES = 15
SLOT_MAX_MINUTES = 240
RECURRING_MAX_WEEKS = 26

# Reasons a recurring rule skips an occurrence.
SKIP_PAST = "past"
SKIP_OVERLAP = "overlap"
SKIP_NONEXISTENT = "nonexistent_local_time"
SKIP_BEYOND_MAX_DAYS_AHEAD = "beyond_max_days_ahead"
SKIP_TIME_OFF = "time_off"
TIME_OFF_MAX_DAYS = 366
TIME_OFF_REASON_MAX_LENGTH = 200

# Database constraints that mean "this teacher already has a slot there".
_OVERLAP_CONSTRAINTS = {"slot_no_overlap", "slot_teacher_start_unique"}


@dataclass
class RecurringResult:
    """What `slot_create_recurring` did: the new slots and the occurrences it
    skipped, each as `{"local_date", "local_time", "start_at", "reason"}`
    (`start_at` is the UTC start, or None for a local time that does not exist)."""

    created: list[Slot] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------


def _require_teacher(teacher: User) -> None:
    if not teacher.is_teacher:
        raise NotATeacher()


def _lock_teacher(teacher: User) -> None:
    """Serialise slot writes of one teacher (a no-op on SQLite, which runs
    write transactions one at a time anyway: `transaction_mode=IMMEDIATE`)."""
    User.objects.select_for_update().filter(pk=teacher.pk).values_list("pk", flat=True).get()


def _as_utc(value: Any, field_name: str) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise InvalidInput(details={field_name: [_("A date and time is required.")]})
    if timezone.is_naive(value):
        raise InvalidInput(details={field_name: [_("Include the time zone offset, e.g. 2027-03-02T18:00:00+01:00.")]})
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00, which is in year 10000 in UTC
        raise InvalidInput(details={field_name: [_("This date is too far from today.")]}) from None


def _latest_start(now: dt.datetime) -> dt.datetime:
    """The latest start of a new slot: SCHEDULING_MAX_DAYS_AHEAD days after `now`."""
    return now + dt.timedelta(days=settings.SCHEDULING_MAX_DAYS_AHEAD)


def _too_far_ahead() -> SlotTooFarAhead:
    days = settings.SCHEDULING_MAX_DAYS_AHEAD
    message = ngettext(
        "A slot can start at most %(days)d day from now.", "A slot can start at most %(days)d days from now.", days
    ) % {"days": days}
    return SlotTooFarAhead(message, details={"start_at": [message]})


def _validate_length(length: dt.timedelta, field_name: str) -> None:
    if not dt.timedelta(minutes=SLOT_MIN_MINUTES) <= length <= dt.timedelta(minutes=SLOT_MAX_MINUTES):
        raise InvalidInput(
            details={
                field_name: [
                    _("A slot lasts between %(min)d minutes and %(max)d hours.")
                    % {"min": SLOT_MIN_MINUTES, "max": SLOT_MAX_MINUTES // 60}
                ]
            }
        )


def _overlapping(*, teacher: User, start_at: dt.datetime, end_at: dt.datetime):
    """The teacher's live slots sharing some time with [start_at, end_at); touching ends do not overlap."""
    return selectors.live_slots().filter(teacher=teacher, start_at__lt=end_at, end_at__gt=start_at)


def _time_off_overlapping(*, teacher: User, start_at: dt.datetime, end_at: dt.datetime):
    """The teacher's time off sharing some time with [start_at, end_at)."""
    return TimeOff.objects.filter(teacher=teacher, start_at__lt=end_at, end_at__gt=start_at)


def _is_overlap_violation(exc: IntegrityError) -> bool:
    diag = getattr(exc.__cause__, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint is not None:
        return constraint in _OVERLAP_CONSTRAINTS
    # SQLite names no constraint; only the (teacher, start_at) unique key can fail here.
    return "scheduling_slot.teacher_id, scheduling_slot.start_at" in str(exc)


def _slot_payload(slot: Slot) -> dict[str, Any]:
    return {"teacher_id": slot.teacher_id, "start_at": slot.start_at.isoformat(), "end_at": slot.end_at.isoformat()}


def _zone_of(teacher: User) -> ZoneInfo:
    try:
        return ZoneInfo(teacher.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(details={"timezone": [_("Your profile has an unknown time zone.")]}) from exc


def _skipped(local_start: dt.datetime, start_at: dt.datetime | None, reason: str) -> dict[str, Any]:
    return {"local_date": local_start.date(), "local_time": local_start.time(), "start_at": start_at, "reason": reason}


def _weekly_local_starts(
    *, today: dt.date, weekday: int, start_time: dt.time, length: dt.timedelta, pieces: int, weeks: int
):
    """Naive local starts: `pieces` back-to-back slots from `start_time` on
    `weekday` of each of `weeks` weeks, the first being the week of `today`."""
    first_day = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=weekday)
    for week in range(weeks):
        day_start = dt.datetime.combine(first_day + dt.timedelta(weeks=week), start_time)
        for piece in range(pieces):
            yield day_start + piece * length


# --- services ---------------------------------------------------------------


@transaction.atomic
def slot_create(*, teacher: User, start_at: dt.datetime, end_at: dt.datetime, now: dt.datetime | None = None) -> Slot:
    """Add one slot [start_at, end_at) for the teacher (aware datetimes, stored in UTC),
    starting after `now` and at most SCHEDULING_MAX_DAYS_AHEAD days after it."""
    now = now or timezone.now()
    _require_teacher(teacher)
    start_at = _as_utc(start_at, "start_at")
    end_at = _as_utc(end_at, "end_at")
    if end_at <= start_at:
        raise InvalidInput(details={"end_at": [_("The end must be after the start.")]})
    _validate_length(end_at - start_at, "end_at")
    if start_at <= now:
        raise SlotStartInPast(details={"start_at": [str(SlotStartInPast.default_message)]})
    if start_at > _latest_start(now):
        raise _too_far_ahead()

    _lock_teacher(teacher)
    if _overlapping(teacher=teacher, start_at=start_at, end_at=end_at).exists():
        raise SlotOverlap()
    if _time_off_overlapping(teacher=teacher, start_at=start_at, end_at=end_at).exists():
        raise SlotInTimeOff()
    try:
        with transaction.atomic():
            slot = Slot.objects.create(teacher=teacher, start_at=start_at, end_at=end_at)
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint: a writer that skipped the lock
        if _is_overlap_violation(exc):
            raise SlotOverlap() from exc
        raise
    change_record(actor=teacher, action="scheduling.slot.created", entity=slot, payload=_slot_payload(slot))
    answers_outdated(SLOT_AVAILABILITY)
    return slot


def _validate_rule(
    *, weekday: int, start_time: dt.time, end_time: dt.time, slot_minutes: int, weeks: int
) -> dt.timedelta:
    errors: dict[str, list[str]] = {}
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = [_("Use 0 (Monday) to 6 (Sunday).")]
    if not isinstance(weeks, int) or not 1 <= weeks <= RECURRING_MAX_WEEKS:
        errors["weeks"] = [_("Use 1 to %(max)d weeks.") % {"max": RECURRING_MAX_WEEKS}]
    if not isinstance(slot_minutes, int) or not SLOT_MIN_MINUTES <= slot_minutes <= SLOT_MAX_MINUTES:
        errors["slot_minutes"] = [
            _("A slot lasts between %(min)d and %(max)d minutes.") % {"min": SLOT_MIN_MINUTES, "max": SLOT_MAX_MINUTES}
        ]
    for name, value in (("start_time", start_time), ("end_time", end_time)):
        if not isinstance(value, dt.time) or value.tzinfo is not None:
            errors[name] = [_("Give a wall-clock time without a time zone; your profile's zone is used.")]
        elif value.second or value.microsecond:
            errors[name] = [_("Use whole minutes, e.g. 18:00.")]
    if errors:
        raise InvalidInput(details=errors)
    window = dt.datetime.combine(dt.date.min, end_time) - dt.datetime.combine(dt.date.min, start_time)
    if window < dt.timedelta(minutes=slot_minutes):
        raise InvalidInput(details={"end_time": [_("The end must be at least one slot length after the start.")]})
    return window


@transaction.atomic
def slot_create_recurring(
    *,
    teacher: User,
    weekday: int,
    start_time: dt.time,
    end_time: dt.time,
    slot_minutes: int,
    weeks: int,
    now: dt.datetime | None = None,
) -> RecurringResult:
    """Weekly availability: on `weekday` (0 = Monday), from `start_time` to
    `end_time` in the teacher's time zone, cut into back-to-back slots of
    `slot_minutes`, for `weeks` weeks starting with the current week.

    Every slot starts at the same local wall-clock time each week, whatever
    the UTC offset that day, and lasts exactly `slot_minutes`. Skipped, with
    the reason: occurrences already started (`past`), those starting more
    than SCHEDULING_MAX_DAYS_AHEAD days after `now` (`beyond_max_days_ahead`),
    those overlapping an existing slot or an earlier one of this rule
    (`overlap`, e.g. the shortened night of a spring-forward), those in the
    teacher's time off (`time_off`), and local times
    that do not exist that day (`nonexistent_local_time`). A remainder of the
    window shorter than one slot is left out.

    Skipped rather than refused beyond the bound, like past occurrences: the
    teacher asked for "Tuesdays, 18:00-20:00, for 12 weeks" and gets every
    occurrence the school allows, told how many fell beyond it, instead of
    working out how many weeks fit. With the default bound (365 days) no
    occurrence of a rule can reach it (RECURRING_MAX_WEEKS weeks from the
    current one); a school with a shorter bound sees the skips.

    One audit record and one outbox event `scheduling.slots.generated` for the
    whole rule (aggregate: the teacher; payload: the rule and the new slot
    ids), none per slot, and none when nothing was created: consumers get one
    message per teacher action instead of up to hundreds.
    """
    now = now or timezone.now()
    _require_teacher(teacher)
    window = _validate_rule(
        weekday=weekday, start_time=start_time, end_time=end_time, slot_minutes=slot_minutes, weeks=weeks
    )
    zone = _zone_of(teacher)
    length = dt.timedelta(minutes=slot_minutes)
    latest_start = _latest_start(now)
    result = RecurringResult()

    candidates: list[tuple[dt.datetime, dt.datetime]] = []
    for local_start in _weekly_local_starts(
        today=now.astimezone(zone).date(),
        weekday=weekday,
        start_time=start_time,
        length=length,
        pieces=window // length,
        weeks=weeks,
    ):
        start_at = local_to_utc(local_start, zone)
        if start_at is None:
            result.skipped.append(_skipped(local_start, None, SKIP_NONEXISTENT))
        elif start_at <= now:
            result.skipped.append(_skipped(local_start, start_at, SKIP_PAST))
        elif start_at > latest_start:
            result.skipped.append(_skipped(local_start, start_at, SKIP_BEYOND_MAX_DAYS_AHEAD))
        else:
            candidates.append((start_at, start_at + length))

    new_slots: list[Slot] = []
    if candidates:
        _lock_teacher(teacher)
        span = {
            "start_at": min(start_at for start_at, _end_at in candidates),
            "end_at": max(end_at for _start_at, end_at in candidates),
        }
        busy = list(_overlapping(teacher=teacher, **span).values_list("start_at", "end_at"))
        away = list(_time_off_overlapping(teacher=teacher, **span).values_list("start_at", "end_at"))
        for start_at, end_at in candidates:
            if any(start_at < away_end and end_at > away_start for away_start, away_end in away):
                result.skipped.append(_skipped(start_at.astimezone(zone), start_at, SKIP_TIME_OFF))
            elif any(start_at < busy_end and end_at > busy_start for busy_start, busy_end in busy):
                result.skipped.append(_skipped(start_at.astimezone(zone), start_at, SKIP_OVERLAP))
            else:
                busy.append((start_at, end_at))
                new_slots.append(Slot(teacher=teacher, start_at=start_at, end_at=end_at))
    result.skipped.sort(key=lambda item: (item["local_date"], item["local_time"]))
    if not new_slots:
        return result

    try:
        with transaction.atomic():
            result.created = Slot.objects.bulk_create(new_slots)
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint: a writer that skipped the lock
        if _is_overlap_violation(exc):
            raise SlotOverlap() from exc
        raise
    change_record(
        actor=teacher,
        action="scheduling.slots.generated",
        entity=teacher,
        payload={
            "teacher_id": teacher.pk,
            "timezone": teacher.timezone,
            "weekday": weekday,
            "start_time": start_time.isoformat(timespec="minutes"),
            "end_time": end_time.isoformat(timespec="minutes"),
            "slot_minutes": slot_minutes,
            "weeks": weeks,
            "slot_ids": [slot.pk for slot in result.created],
            "skipped": len(result.skipped),
        },
    )
    answers_outdated(SLOT_AVAILABILITY)
    return result


@transaction.atomic
def slot_delete(*, teacher: User, slot: Slot, now: dt.datetime | None = None) -> None:
    """Remove a future slot of this teacher that no booking takes.

    Whether a booking takes it is booking's question: interfaces call
    `booking.services.slot_remove`, which asks it under the slot's row lock
    and then calls this in the same transaction. Refused here: a slot that
    has started (`slot_in_past`); a slot already removed is not found.

    A slot no row points at is deleted. One that rows of other apps keep in
    place (`on_delete=PROTECT`: canceled or expired bookings, waitlist
    offers) is marked removed (`removed_at = now`): its row stays for them,
    and no selector sees it or counts it as busy time. Either way one audit
    record and one outbox event `scheduling.slot.deleted` with the same payload.
    """
    now = now or timezone.now()
    try:
        slot = selectors.live_slots().select_for_update().get(pk=slot.pk, teacher=teacher)
    except Slot.DoesNotExist as exc:
        raise NotFound() from exc
    if slot.start_at <= now:
        raise SlotInPast()
    change_record(actor=teacher, action="scheduling.slot.deleted", entity=slot, payload=_slot_payload(slot))
    answers_outdated(SLOT_AVAILABILITY)
    try:
        with transaction.atomic():
            slot.delete()
    except ProtectedError:
        selectors.live_slots().filter(pk=slot.pk).update(removed_at=now, updated_at=now)


# --- time off -----------------------------------------------------------------


def local_day_start(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The first instant of a local calendar day, in UTC (where midnight falls
    in a clock change's gap, the instant the day's clock starts)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)


def _validated_days(start_date: Any, end_date: Any, *, today: dt.date) -> tuple[dt.date, dt.date]:
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise InvalidInput(details={name: [_("A date is required.")]})
    if end_date < start_date:
        raise InvalidInput(details={"end_date": [_("The last day cannot come before the first.")]})
    if end_date < today:
        raise InvalidInput(details={"end_date": [_("These days are over already.")]})
    if (end_date - start_date).days + 1 > TIME_OFF_MAX_DAYS:
        message = _("Time off lasts at most %(days)d days; enter a longer absence in parts.")
        raise InvalidInput(details={"end_date": [message % {"days": TIME_OFF_MAX_DAYS}]})
    return start_date, end_date


@transaction.atomic
def time_off_create(
    *, teacher: User, start_date: dt.date, end_date: dt.date, reason: str = "", actor, now: dt.datetime | None = None
) -> TimeOff:
    """Days off for the teacher, from `start_date` to `end_date` inclusive in
    the teacher's calendar. Refused when they overlap other time off
    (`time_off_overlap`). New slots are refused in them (`slot_in_time_off`;
    a weekly rule skips them). What happens to the slots already in them is
    booking's part (`booking.services.time_off_take`, which interfaces call)."""
    now = now or timezone.now()
    _require_teacher(teacher)
    zone = _zone_of(teacher)
    start_date, end_date = _validated_days(start_date, end_date, today=now.astimezone(zone).date())
    reason = str(reason or "").strip()
    if len(reason) > TIME_OFF_REASON_MAX_LENGTH:
        message = _("At most %(max)d characters.") % {"max": TIME_OFF_REASON_MAX_LENGTH}
        raise InvalidInput(details={"reason": [message]})
    start_at = local_day_start(start_date, zone)
    end_at = local_day_start(end_date + dt.timedelta(days=1), zone)
    _lock_teacher(teacher)
    if _time_off_overlapping(teacher=teacher, start_at=start_at, end_at=end_at).exists():
        raise TimeOffOverlap()
    try:
        with transaction.atomic():
            time_off = TimeOff.objects.create(
                teacher=teacher,
                start_date=start_date,
                end_date=end_date,
                start_at=start_at,
                end_at=end_at,
                reason=reason,
                created_by=actor,
            )
    except IntegrityError as exc:  # PostgreSQL's exclusion constraint: a writer that skipped the lock
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) == "time_off_no_overlap":
            raise TimeOffOverlap() from exc
        raise
    change_record(
        actor=actor, action="scheduling.time_off.created", entity=time_off, payload=_time_off_payload(time_off)
    )
    return time_off


def _time_off_payload(time_off: TimeOff) -> dict[str, Any]:
    return {
        "teacher_id": time_off.teacher_id,
        "start_date": time_off.start_date.isoformat(),
        "end_date": time_off.end_date.isoformat(),
        "reason": time_off.reason,
    }


@transaction.atomic
def time_off_delete(*, time_off: TimeOff, actor) -> None:
    """The teacher is back: the days are open to new slots again (the slots
    removed for them are not restored)."""
    change_record(
        actor=actor, action="scheduling.time_off.deleted", entity=time_off, payload=_time_off_payload(time_off)
    )
    time_off.delete()
