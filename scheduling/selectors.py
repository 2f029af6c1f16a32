"""Scheduling reads: open slots, a teacher's own slots, access helpers.

Every read here sees live slots only: a removed slot (`removed_at` set) is
kept for its booking history but is found by no selector or access helper.

A slot is *taken* when it has a confirmed booking or a live hold (status
`hold` with `hold_expires_at` after now). An expired hold never blocks a slot,
even before the periodic job has marked it expired. Takenness is read through
the reverse relation `Slot.bookings`, because scheduling may not import
booking (SPEC §1: booking → scheduling).

A teacher's booking rules live on their profile: the minimum notice (their
own `min_notice_hours`, else BOOKING_MIN_NOTICE_HOURS) and the buffer
(`buffer_minutes` of free time kept around each taken slot). Both are
applied here, in SQL for `open_slots` and under the teacher's profile row
lock for `slot_get_open`, the one way every hold and reschedule takes a slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Role, TeacherProfile, User
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from scheduling.errors import SlotBuffer, SlotTooSoon, SlotUnavailable
from scheduling.models import LIVE, Slot

# The booking statuses that can take a slot. They mirror
# `booking.Booking.ACTIVE_STATUSES` (scheduling must not import booking);
# tests/scheduling checks that the two stay equal.
BOOKING_STATUS_HOLD = "hold"
BOOKING_STATUS_CONFIRMED = "confirmed"


def live_slots() -> QuerySet[Slot]:
    """Slots not removed: the base of every read of slots a teacher or student can act on."""
    return Slot.objects.filter(LIVE)


def _booking_model():
    """`booking.Booking`, reached through `Slot.bookings` without importing booking."""
    return Slot._meta.get_field("bookings").related_model


def _taking_bookings(*, now: datetime) -> QuerySet:
    """Bookings that take their slot at `now`: confirmed ones and live holds."""
    return _booking_model().objects.filter(
        Q(status=BOOKING_STATUS_CONFIRMED) | Q(status=BOOKING_STATUS_HOLD, hold_expires_at__gt=now)
    )


def slot_taken_expression(*, now: datetime | None = None) -> Exists:
    """`Exists(...)` that is true for a taken slot; use in `filter()`/`annotate()` on slots."""
    return Exists(_taking_bookings(now=now or timezone.now()).filter(slot=OuterRef("pk")))


def slot_is_taken(*, slot: Slot, now: datetime | None = None) -> bool:
    return _taking_bookings(now=now or timezone.now()).filter(slot=slot).exists()


def earliest_bookable_start(*, now: datetime | None = None, notice_hours: int | None = None) -> datetime:
    """Slots starting before this cannot be held: `now` plus the minimum
    notice (a teacher's `notice_hours`, by default the school's)."""
    if notice_hours is None:
        notice_hours = settings.BOOKING_MIN_NOTICE_HOURS
    return (now or timezone.now()) + timedelta(hours=notice_hours)


def _duration(amount, unit: timedelta) -> ExpressionWrapper:
    """An integer expression times `unit`, as a duration (SQL on SQLite and PostgreSQL)."""
    return ExpressionWrapper(
        ExpressionWrapper(amount, output_field=IntegerField()) * Value(unit), output_field=DurationField()
    )


def _earliest_bookable_start_expression(*, now: datetime) -> Expression:
    """`earliest_bookable_start` per slot row, from its teacher's profile."""
    notice = Coalesce(F("teacher__teacher_profile__min_notice_hours"), Value(settings.BOOKING_MIN_NOTICE_HOURS))
    return ExpressionWrapper(Value(now) + _duration(notice, timedelta(hours=1)), output_field=DateTimeField())


def _taken_slots_near(*, now: datetime, teacher, start_at, end_at, buffer, other_than) -> QuerySet[Slot]:
    """The teacher's taken slots (other than `other_than`) that start or end
    within `buffer` of [start_at, end_at): a gap of exactly `buffer` is fine.
    Arguments are values or expressions (`OuterRef`), so the one rule serves
    both the single slot to hold and the open-slots listing."""
    return (
        live_slots()
        .filter(slot_taken_expression(now=now), teacher=teacher, start_at__lt=end_at + buffer)
        .filter(end_at__gt=start_at - buffer)
        .exclude(pk__in=other_than)
    )


def _buffer_conflict_expression(*, now: datetime) -> Q:
    """True for a slot row within its teacher's buffer of another taken slot."""
    buffer = _duration(OuterRef("teacher__teacher_profile__buffer_minutes"), timedelta(minutes=1))
    nearby = _taken_slots_near(
        now=now,
        teacher=OuterRef("teacher"),
        start_at=OuterRef("start_at"),
        end_at=OuterRef("end_at"),
        buffer=buffer,
        other_than=[OuterRef("pk")],
    )
    return Q(teacher__teacher_profile__buffer_minutes__gt=0) & Q(Exists(nearby))


def _in_range(slots: QuerySet[Slot], *, start: datetime | None, end: datetime | None) -> QuerySet[Slot]:
    """Slots starting in [start, end); either bound may be open."""
    if start is not None:
        slots = slots.filter(start_at__gte=start)
    if end is not None:
        slots = slots.filter(start_at__lt=end)
    return slots


def open_slots(
    *,
    teacher_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Slot]:
    """Slots a student can hold: of a published active teacher, far enough
    ahead (the teacher's minimum notice), not taken, not within the teacher's
    buffer of a taken slot; starting in [start, end), by start. One query."""
    now = now or timezone.now()
    slots = live_slots().filter(
        ~slot_taken_expression(now=now),
        teacher__is_active=True,
        teacher__role=Role.TEACHER,
        teacher__teacher_profile__is_published=True,
    )
    # `start_at >= now` is implied by the per-teacher notice (never negative); stated on
    # its own it lets PostgreSQL range-scan the start_at index instead of every slot ever published.
    slots = slots.filter(start_at__gte=now).filter(start_at__gte=_earliest_bookable_start_expression(now=now))
    slots = slots.exclude(_buffer_conflict_expression(now=now))
    if teacher_id is not None:
        slots = slots.filter(teacher_id=teacher_id)
    slots = _in_range(slots, start=start, end=end)
    return slots.select_related("teacher", "teacher__teacher_profile").order_by("start_at", "id")


def teacher_slots(
    *,
    teacher: User,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Slot]:
    """A teacher's own live slots starting in [start, end), each annotated with `taken`."""
    slots = live_slots().filter(teacher=teacher).annotate(taken=slot_taken_expression(now=now))
    return _in_range(slots, start=start, end=end).order_by("start_at", "id")


def teacher_slots_with_takers(
    *,
    teacher: User,
    start: datetime | None = None,
    end: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Slot]:
    """`teacher_slots` with who takes each slot, in one query: `booking_status`
    ("confirmed", "hold" or None), `booked_by` (the student's name),
    `lesson_id`, and `started`."""
    now = now or timezone.now()
    taking = _taking_bookings(now=now).filter(slot=OuterRef("pk")).order_by("pk")
    return teacher_slots(teacher=teacher, start=start, end=end, now=now).annotate(
        booking_status=Subquery(taking.values("status")[:1]),
        booked_by=Subquery(taking.values("student__full_name")[:1]),
        lesson_id=Subquery(taking.values("lesson_id")[:1]),
        started=ExpressionWrapper(Q(start_at__lte=now), output_field=BooleanField()),
    )


def teacher_slot_counts(
    *, teacher: User, start: datetime, end: datetime, now: datetime | None = None
) -> dict[str, int]:
    """A teacher's live slots starting in [start, end) counted free, held
    (a live hold) and booked (a confirmed booking), in one query."""
    now = now or timezone.now()
    taking = _taking_bookings(now=now).filter(slot=OuterRef("pk"))
    counts = _in_range(live_slots().filter(teacher=teacher), start=start, end=end).aggregate(
        total=Count("pk"),
        booked=Count("pk", filter=Exists(taking.filter(status=BOOKING_STATUS_CONFIRMED))),
        held=Count("pk", filter=Exists(taking.filter(status=BOOKING_STATUS_HOLD))),
    )
    return {
        "free": counts["total"] - counts["booked"] - counts["held"],
        "held": counts["held"],
        "booked": counts["booked"],
    }


def slot_for_teacher(*, user: User, slot_id) -> Slot:
    """The live slot if `user` is the teacher who owns it; not-found for a
    removed slot and for anyone else (another teacher, a student, staff,
    anonymous) so ids cannot be probed."""
    if not user.is_authenticated or user.role != Role.TEACHER:
        raise NotFound()
    try:
        return live_slots().get(pk=object_id(slot_id), teacher=user)
    except Slot.DoesNotExist as exc:
        raise NotFound() from exc


def _lock_teacher_rules(slot_id: int) -> None:
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
    """
    teacher_of_slot = live_slots().filter(pk=slot_id).values("teacher_id")
    list(TeacherProfile.objects.select_for_update(no_key=True).filter(pk=Subquery(teacher_of_slot)).values("pk"))


def slot_get_open(
    *, slot_id, now: datetime | None = None, for_update: bool = False, releasing_slot_id: int | None = None
) -> Slot:
    """The slot to hold, for the booking service.

    Raises `NotFound` when no such live slot exists; `SlotUnavailable` (409) when
    its teacher is not published or inactive, or the slot is taken;
    `SlotTooSoon` (409) when it starts within the teacher's minimum notice or
    has started; `SlotBuffer` (409) when it starts or ends within the
    teacher's buffer of another of their taken slots (`releasing_slot_id`,
    the slot a reschedule frees in the same transaction, does not count).

    With `for_update=True` (inside a transaction) the teacher's profile row is
    locked first (see `_lock_teacher_rules`), then the slot row alone, and
    everything is read after the locks are granted. The booking's partial
    unique constraint still has the last word on the slot itself, and a dead
    hold on the slot must be expired before a new hold is inserted.
    """
    now = now or timezone.now()
    pk = object_id(slot_id)
    slots = live_slots().select_related("teacher", "teacher__teacher_profile")
    if for_update:
        # Taken already (the usual answer when many students click one slot): say so
        # without queueing for the teacher's lock behind every other contender.
        # Without the lock this is only a hint; the locked check below decides.
        if _taking_bookings(now=now).filter(slot_id=pk).exists():
            raise SlotUnavailable()
        _lock_teacher_rules(pk)
        slots = slots.select_for_update(of=("self",))
    try:
        slot = slots.get(pk=pk)
    except Slot.DoesNotExist as exc:
        raise NotFound() from exc
    teacher = slot.teacher
    profile = getattr(teacher, "teacher_profile", None)
    if not (teacher.is_active and teacher.role == Role.TEACHER and profile is not None and profile.is_published):
        raise SlotUnavailable()
    if slot.start_at < earliest_bookable_start(now=now, notice_hours=profile.notice_hours):
        raise SlotTooSoon(details={"min_notice_hours": profile.notice_hours})
    if slot_is_taken(slot=slot, now=now):
        raise SlotUnavailable()
    if profile.buffer_minutes:
        nearby = _taken_slots_near(
            now=now,
            teacher=teacher,
            start_at=slot.start_at,
            end_at=slot.end_at,
            buffer=timedelta(minutes=profile.buffer_minutes),
            other_than=[slot.pk] + ([releasing_slot_id] if releasing_slot_id is not None else []),
        )
        if nearby.exists():
            raise SlotBuffer(details={"buffer_minutes": profile.buffer_minutes})
    return slot
