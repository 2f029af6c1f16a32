"""Scheduling reads: live slots, a teacher's own slots, access helpers, and
the time rules of a teacher's profile as SQL.

Every read here sees live slots only: a removed slot (`removed_at` set) is
kept for its booking history but is found by no selector or access helper.

Scheduling knows nothing of bookings (ARCHITECTURE.md): whether a slot is
taken, and so whether it may be held, is booking's question
(`booking.selectors.open_slots`, `booking.selectors.slot_check_open`). What
scheduling gives booking is time: the earliest start a teacher's minimum
notice allows (`earliest_bookable_start` and its SQL form), the slots near a
slot within a buffer (`slots_near`), and the lock that puts one teacher's
holds in a row (`teacher_rules_lock`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import (
    DateTimeField,
    DurationField,
    Expression,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)

from accounts.models import TeacherProfile, User
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from scheduling.models import LIVE, Slot, TimeOff


def live_slots() -> QuerySet[Slot]:
    """Slots not removed: the base of every read of slots a teacher or student can act on."""
    return Slot.objects.filter(LIVE)


def earliest_bookable_start(*, now: datetime, notice_hours: int) -> datetime:
    """Slots starting before this cannot be held: `now` plus a teacher's
    minimum notice (`TeacherProfile.notice_hours`)."""
    return now + timedelta(hours=notice_hours)


def _duration(amount, unit: timedelta) -> ExpressionWrapper:
    """An integer expression times `unit`, as a duration (SQL on SQLite and PostgreSQL)."""
    return ExpressionWrapper(
        ExpressionWrapper(amount, output_field=IntegerField()) * Value(unit), output_field=DurationField()
    )


def earliest_bookable_start_expression(*, now: datetime) -> Expression:
    """`earliest_bookable_start` per slot row, from its teacher's profile."""
    notice = TeacherProfile.notice_hours_expression("teacher__teacher_profile")
    return ExpressionWrapper(Value(now) + _duration(notice, timedelta(hours=1)), output_field=DateTimeField())


def buffer_expression() -> ExpressionWrapper:
    """The buffer of the teacher of a slot row (OuterRef), as a duration."""
    return _duration(OuterRef("teacher__teacher_profile__buffer_minutes"), timedelta(minutes=1))


def slots_near(*, teacher, start_at, end_at, buffer, other_than) -> QuerySet[Slot]:
    """The teacher's live slots (other than `other_than`) that start or end
    within `buffer` of [start_at, end_at): a gap of exactly `buffer` is fine.
    Arguments are values or expressions (`OuterRef`), so one rule serves both
    a single slot and a listing of slots."""
    return (
        live_slots()
        .filter(teacher=teacher, start_at__lt=end_at + buffer)
        .filter(end_at__gt=start_at - buffer)
        .exclude(pk__in=other_than)
    )


def _in_range(slots: QuerySet[Slot], *, start: datetime | None, end: datetime | None) -> QuerySet[Slot]:
    """Slots starting in [start, end); either bound may be open."""
    if start is not None:
        slots = slots.filter(start_at__gte=start)
    if end is not None:
        slots = slots.filter(start_at__lt=end)
    return slots


def teacher_slots(
    *,
    teacher: User,
    start: datetime | None = None,
    end: datetime | None = None,
) -> QuerySet[Slot]:
    """A teacher's own live slots starting in [start, end), by start."""
    return _in_range(live_slots().filter(teacher=teacher), start=start, end=end).order_by("start_at", "id")


def slot_for_teacher(*, user: User, slot_id) -> Slot:
    """The live slot if `user` is the teacher who owns it; not-found for a
    removed slot and for anyone else (another teacher, a student, staff,
    anonymous) so ids cannot be probed."""
    if not user.is_authenticated or not user.is_teacher:
        raise NotFound()
    try:
        return live_slots().get(pk=object_id(slot_id), teacher=user)
    except Slot.DoesNotExist as exc:
        raise NotFound() from exc


def teacher_rules_lock(*, slot_id: int | None = None, teacher_id: int | None = None) -> None:
    """Lock the profile row of the slot's teacher (FOR NO KEY UPDATE).

    Every hold and reschedule of one teacher's slots runs one after the other
    from here: the buffer rule looks at the teacher's *other* slots, which the
    slot's own row lock does not cover (two holds on adjacent slots would
    each see the other's slot still free). The profile row is the natural
    one: it holds the rules being applied and the published flag (a teacher
    changing their buffer waits for running holds, and they for it), while
    the user row is also locked by slot writes (`scheduling.services`) and
    updated at each login. FOR NO KEY UPDATE leaves foreign-key inserts
    unblocked. A no-op on SQLite, which runs write transactions one at a time.

    By `slot_id` (its teacher), or by `teacher_id` for a change of many of
    one teacher's slots (a weekly series) that locks once, first.
    """
    teacher = teacher_id if slot_id is None else Subquery(live_slots().filter(pk=slot_id).values("teacher_id"))
    list(TeacherProfile.objects.select_for_update(no_key=True).filter(pk=teacher).values("pk"))


def time_off_upcoming(*, teacher, now: datetime) -> QuerySet[TimeOff]:
    """The teacher's time off not over at `now`."""
    return TimeOff.objects.filter(teacher=teacher, end_at__gt=now)


def time_off_for_teacher(*, user: User, time_off_id) -> TimeOff:
    """Access helper: a time off of the signed-in teacher; not-found for anyone else."""
    found = TimeOff.objects.filter(teacher_id=user.pk, pk=object_id(time_off_id)).first()
    if found is None:
        raise NotFound()
    return found
