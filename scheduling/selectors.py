"""Scheduling reads: open slots, a teacher's own slots, access helpers.

Every read here sees live slots only: a removed slot (`removed_at` set) is
kept for its booking history but is found by no selector or access helper.

A slot is *taken* when it has a confirmed booking or a live hold (status
`hold` with `hold_expires_at` after now). An expired hold never blocks a slot,
even before the periodic job has marked it expired. Takenness is read through
the reverse relation `Slot.bookings`, because scheduling may not import
booking (SPEC §1: booking → scheduling).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import Role, User
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from scheduling.errors import SlotTooSoon, SlotUnavailable
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


def earliest_bookable_start(*, now: datetime | None = None) -> datetime:
    """Slots starting before this cannot be held (minimum notice)."""
    return (now or timezone.now()) + timedelta(hours=settings.BOOKING_MIN_NOTICE_HOURS)


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
    """Slots a student can hold: far enough ahead (minimum notice), of a
    published active teacher, not taken; starting in [start, end), by start."""
    now = now or timezone.now()
    slots = live_slots().filter(
        ~slot_taken_expression(now=now),
        start_at__gte=earliest_bookable_start(now=now),
        teacher__is_active=True,
        teacher__role=Role.TEACHER,
        teacher__teacher_profile__is_published=True,
    )
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


def slot_get_open(*, slot_id, now: datetime | None = None, for_update: bool = False) -> Slot:
    """The slot to hold, for the booking service.

    Raises `NotFound` when no such live slot exists; `SlotUnavailable` (409) when
    its teacher is not published or inactive, or the slot is taken;
    `SlotTooSoon` (409) when it starts within BOOKING_MIN_NOTICE_HOURS or has
    started. With `for_update=True` (inside a transaction) the slot row
    alone is locked first and takenness is read after the lock is granted.
    The booking's partial unique constraint still has the last word, and a
    dead hold on the slot must be expired before a new hold is inserted.
    """
    now = now or timezone.now()
    slots = live_slots().select_related("teacher", "teacher__teacher_profile")
    if for_update:
        slots = slots.select_for_update(of=("self",))
    try:
        slot = slots.get(pk=object_id(slot_id))
    except Slot.DoesNotExist as exc:
        raise NotFound() from exc
    teacher = slot.teacher
    profile = getattr(teacher, "teacher_profile", None)
    if not (teacher.is_active and teacher.role == Role.TEACHER and profile is not None and profile.is_published):
        raise SlotUnavailable()
    if slot.start_at < earliest_bookable_start(now=now):
        raise SlotTooSoon(details={"min_notice_hours": settings.BOOKING_MIN_NOTICE_HOURS})
    if slot_is_taken(slot=slot, now=now):
        raise SlotUnavailable()
    return slot
