from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncWeek
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.models import Role, TeacherProfile
from billing import selectors as billing_selectors
from billing.models import LessonPackage
from booking.errors import SlotBuffer, SlotTooSoon, SlotUnavailable
from booking.models import Booking, BookingQuerySet, MoveProposal, Series, WaitlistEntry, WaitlistOffer
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from guitaronline.core.tallies import Tally, tally
from guitaronline.core.times import in_zone, local_to_utc
from guitaronline.core.weeks import local_week, week_monday
from lessons import selectors as lesson_selectors
from lessons.models import Lesson
from scheduling import selectors as scheduling_selectors
from scheduling.models import Slot


def with_effective_status(bookings: BookingQuerySet, *, now: datetime | None = None) -> BookingQuerySet:
    """Annotate `effective_status` (`BookingQuerySet.with_effective_status`)."""
    return bookings.with_effective_status(now=now)


def with_effective_status_in_hand(booking: Booking, *, now: datetime | None = None) -> Booking:
    """`with_effective_status` for a booking already in memory (a service's result)."""
    dead_hold = booking.is_dead_hold(now=now or timezone.now())
    booking.effective_status = Booking.Status.EXPIRED if dead_hold else booking.status
    return booking


def _base() -> BookingQuerySet:
    return Booking.objects.select_related(
        "slot", "slot__teacher", "slot__teacher__teacher_profile", "student", "rescheduled_to"
    )


def bookings_for_user(*, user, status: str | None = None, now: datetime | None = None) -> QuerySet[Booking]:
    """A student's own bookings; for a teacher, the bookings of their slots."""
    bookings = _base().filter(Q(student=user) | Q(slot__teacher=user)).with_effective_status(now=now)
    if status:
        bookings = bookings.filter(effective_status=status)  # type: ignore[misc]  # annotated above; the plugin loses it through the queryset's method
    return bookings.order_by("-created_at", "-id")


def booking_for_user(*, user, booking_id) -> Booking:
    """The booking's student, the slot's teacher or staff may see it; anyone
    else gets not-found."""
    bookings = _base()
    if not user.is_staff:
        bookings = bookings.filter(Q(student=user) | Q(slot__teacher=user))
    try:
        return bookings.with_effective_status().get(pk=object_id(booking_id))
    except Booking.DoesNotExist as exc:
        raise NotFound() from exc


def booking_for_teacher(*, user, booking_id) -> Booking:
    """A booking of the signed-in teacher's slots (their pages); not-found for
    anyone else."""
    if not (user.is_authenticated and user.is_teacher):
        raise NotFound()
    try:
        return _base().filter(slot__teacher=user).with_effective_status().get(pk=object_id(booking_id))
    except Booking.DoesNotExist as exc:
        raise NotFound() from exc


def holds_stale(*, now: datetime | None = None) -> QuerySet[Booking]:
    """Holds past their expiry that the periodic job has not persisted yet."""
    return Booking.objects.dead_holds(now=now or timezone.now())


# --- slots: which may be held -------------------------------------------------------
#
# A slot is taken while a booking takes it (`BookingQuerySet.taking_slot`). It may
# be held when its teacher is published and active, it starts outside the
# teacher's minimum notice, it is not taken, and no other taken slot of the
# teacher lies within the teacher's buffer of it. `open_slots` applies this in
# SQL to a listing; `slot_check_open` to the one slot a hold or a reschedule has
# locked (`booking.services`).


def slot_taken_expression(*, now: datetime) -> Exists:
    """True for a taken slot; for `filter()`/`annotate()` on slots."""
    return Exists(Booking.objects.taking_slot(now=now).filter(slot=OuterRef("pk")))


def _taken_slots_near(*, now: datetime, teacher, start_at, end_at, buffer, other_than) -> QuerySet[Slot]:
    """The teacher's taken slots (other than `other_than`) within `buffer` of [start_at, end_at)."""
    nearby = scheduling_selectors.slots_near(
        teacher=teacher, start_at=start_at, end_at=end_at, buffer=buffer, other_than=other_than
    )
    return nearby.filter(slot_taken_expression(now=now))


def _buffer_conflict_expression(*, now: datetime) -> Q:
    """True for a slot row within its teacher's buffer of another taken slot."""
    nearby = _taken_slots_near(
        now=now,
        teacher=OuterRef("teacher"),
        start_at=OuterRef("start_at"),
        end_at=OuterRef("end_at"),
        buffer=scheduling_selectors.buffer_expression(),
        other_than=[OuterRef("pk")],
    )
    return Q(teacher__teacher_profile__buffer_minutes__gt=0) & Q(Exists(nearby))


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
    slots = scheduling_selectors.live_slots().filter(
        ~slot_taken_expression(now=now),
        teacher__is_active=True,
        teacher__role=Role.TEACHER,
        teacher__teacher_profile__is_published=True,
    )
    # `start_at >= now` is implied by the per-teacher notice (never negative); stated on
    # its own it lets PostgreSQL range-scan the start_at index instead of every slot ever published.
    slots = slots.filter(start_at__gte=now).filter(
        start_at__gte=scheduling_selectors.earliest_bookable_start_expression(now=now)
    )
    slots = slots.exclude(_buffer_conflict_expression(now=now))
    if teacher_id is not None:
        slots = slots.filter(teacher_id=teacher_id)
    if start is not None:
        slots = slots.filter(start_at__gte=start)
    if end is not None:
        slots = slots.filter(start_at__lt=end)
    return slots.select_related("teacher", "teacher__teacher_profile").order_by("start_at", "id")


def slot_check_open(
    *, slot: Slot, now: datetime, releasing_slot_id: int | None = None, check_taken: bool = True
) -> None:
    """Refuse to hold `slot` (loaded with its teacher and profile) unless it is open.

    `SlotUnavailable` (409) when its teacher is not published or inactive, or
    the slot is taken; `SlotTooSoon` (409) when it starts within the teacher's
    minimum notice or has started; `SlotBuffer` (409) when it starts or ends
    within the teacher's buffer of another of their taken slots
    (`releasing_slot_id`, the slot a reschedule frees in the same
    transaction, does not count). The booking services call it under the
    teacher's and the slot's locks, so what it reads cannot change before
    they commit; one about to take the slot reads its bookings under those
    locks itself and passes `check_taken=False`.
    """
    teacher = slot.teacher
    profile = getattr(teacher, "teacher_profile", None)
    if not (teacher.is_active and teacher.is_teacher and profile is not None and profile.is_published):
        raise SlotUnavailable()
    if slot.start_at < scheduling_selectors.earliest_bookable_start(now=now, notice_hours=profile.notice_hours):
        raise SlotTooSoon(details={"min_notice_hours": profile.notice_hours})
    if check_taken and Booking.objects.taking_slot(now=now).filter(slot=slot).exists():
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


# --- slots: a teacher's own, with who takes them -------------------------------------


def teacher_slots_taken(
    *, teacher, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> QuerySet[Slot]:
    """`scheduling.selectors.teacher_slots`, each annotated with `taken`."""
    now = now or timezone.now()
    return scheduling_selectors.teacher_slots(teacher=teacher, start=start, end=end).annotate(
        taken=slot_taken_expression(now=now)
    )


def teacher_slots_with_takers(
    *, teacher, start: datetime | None = None, end: datetime | None = None, now: datetime | None = None
) -> QuerySet[Slot]:
    """`teacher_slots_taken` with who takes each slot, in one query:
    `booking_status` ("confirmed", "hold" or None), `booked_by` (the
    student's name), `booking_id`, `lesson_id`, `hold_expires_at` (a hold's
    end), and `started`."""
    now = now or timezone.now()
    taking = Booking.objects.taking_slot(now=now).filter(slot=OuterRef("pk")).order_by("pk")
    slots = teacher_slots_taken(teacher=teacher, start=start, end=end, now=now)
    # the plugin takes an annotation of an attribute Slot declares for readers as a redefinition
    return slots.annotate(  # type: ignore[no-redef]
        booking_status=Subquery(taking.values("status")[:1]),
        booked_by=Subquery(taking.values("student__full_name")[:1]),
        booking_id=Subquery(taking.values("pk")[:1]),
        lesson_id=Subquery(taking.values("lesson_id")[:1]),
        hold_expires_at=Subquery(taking.values("hold_expires_at")[:1]),
        started=ExpressionWrapper(Q(start_at__lte=now), output_field=BooleanField()),
    )


def teacher_slot_counts(*, teacher, start: datetime, end: datetime, now: datetime | None = None) -> dict[str, int]:
    """A teacher's live slots starting in [start, end) counted free, held
    (a live hold) and booked (a confirmed booking), in one query."""
    now = now or timezone.now()
    taking = Booking.objects.taking_slot(now=now).filter(slot=OuterRef("pk"))
    counts = scheduling_selectors.teacher_slots(teacher=teacher, start=start, end=end).aggregate(
        total=Count("pk"),
        booked=Count("pk", filter=Exists(taking.filter(status=Booking.Status.CONFIRMED))),
        held=Count("pk", filter=Exists(taking.filter(status=Booking.Status.HOLD))),
    )
    return {
        "free": counts["total"] - counts["booked"] - counts["held"],
        "held": counts["held"],
        "booked": counts["booked"],
    }


# --- counts for staff ----------------------------------------------------------------


def bookings_by_status(*, now: datetime | None = None) -> Tally:
    """Bookings by effective status (a dead hold counts as expired)."""
    return tally(Booking.objects.with_effective_status(now=now), "effective_status", Booking.Status)


def bookings_per_week(*, weeks: int = 12, now: datetime | None = None) -> list[dict]:
    """Bookings made per week (Monday to Sunday, UTC) for the last `weeks`
    weeks, oldest first, with weeks without bookings as zero."""
    now = now or timezone.now()
    this_monday = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    first = this_monday - timedelta(weeks=weeks - 1)
    rows = (
        Booking.objects.filter(created_at__gte=first)
        .annotate(week=TruncWeek("created_at", tzinfo=UTC))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = {row["week"].date(): row["n"] for row in rows}
    mondays = [(first + timedelta(weeks=i)).date() for i in range(weeks)]
    return [{"week": monday, "count": counts.get(monday, 0)} for monday in mondays]


# --- the cancel rule, shared with booking.services -----------------------------


def booking_cancel_returns_lesson(*, booking: Booking, actor, now: datetime | None = None) -> bool:
    """Whether canceling `booking` at `now` gives its lesson back to the package.

    Always when the slot's teacher cancels; otherwise only more than
    BOOKING_REFUND_WINDOW_HOURS before the start. `booking_cancel` (and the
    cancel half of a reschedule) apply this very function, so what a page
    promises before the click is what the service does.
    """
    now = now or timezone.now()
    if actor.pk == booking.slot.teacher_id:
        return True
    return booking.slot.start_at - now > timedelta(hours=settings.BOOKING_REFUND_WINDOW_HOURS)


# --- the student's pages ---------------------------------------------------------

PAGE_SIZE = 20
UPCOMING_LESSONS = 5


def _is_student(user) -> bool:
    return bool(user.is_authenticated and user.is_student)


def _for_display(booking: Booking, *, now: datetime) -> Booking:
    """Attach what the student's pages show about a booking of theirs: its
    status label, the hold's time left, and what canceling it would do."""
    status = booking.effective_status
    booking.status_label = Booking.Status(status).label
    booking.is_upcoming = booking.slot.start_at > now
    booking.is_live_hold = status == Booking.Status.HOLD
    booking.is_confirmed = status == Booking.Status.CONFIRMED
    expires_at = booking.hold_expires_at
    booking.hold_seconds_left = (
        max(0, math.floor((expires_at - now).total_seconds())) if booking.is_live_hold and expires_at else 0
    )
    booking.hold_minutes_left = math.ceil(booking.hold_seconds_left / 60)
    successor = getattr(booking, "rescheduled_to", None) if booking.status == Booking.Status.CANCELED else None
    booking.successor = successor
    booking.can_change = booking.is_confirmed and booking.is_upcoming
    booking.refund_window_hours = settings.BOOKING_REFUND_WINDOW_HOURS
    booking.cancel_returns_lesson = (
        booking_cancel_returns_lesson(booking=booking, actor=booking.student, now=now) if booking.can_change else None
    )
    return booking


def bookings_for_student(*, student, now: datetime | None = None) -> QuerySet[Booking]:
    """A student's own bookings with `effective_status`, newest first."""
    return with_effective_status(_base().filter(student=student), now=now).order_by("-created_at", "-id")


def bookings_page_for_student(*, student, page_number=None, now: datetime | None = None) -> Page:
    """One page of the student's bookings, each ready for display (`_for_display`)."""
    now = now or timezone.now()
    page = Paginator(bookings_for_student(student=student, now=now), PAGE_SIZE).get_page(page_number)
    page.object_list = [_for_display(booking, now=now) for booking in page.object_list]
    return page


def booking_for_student(*, user, booking_id, now: datetime | None = None) -> Booking:
    """The signed-in student's own booking, ready for display; not-found for
    anyone else (the slot's teacher and staff too: these are the student's pages)."""
    if not _is_student(user):
        raise NotFound()
    now = now or timezone.now()
    bookings = bookings_for_student(student=user, now=now).select_related(
        "lesson", "package", "rescheduled_from", "rescheduled_from__slot"
    )
    try:
        booking = bookings.get(pk=object_id(booking_id))
    except Booking.DoesNotExist as exc:
        raise NotFound() from exc
    return _for_display(booking, now=now)


# --- open slots by week, in the viewer's time zone ----------------------------------


@dataclass(frozen=True)
class SlotDay:
    day: date
    slots: list[Slot]


@dataclass(frozen=True)
class SlotWeek:
    """A teacher's open slots of one week (Monday to Sunday in the active
    time zone), grouped by day."""

    start: date
    end: date  # the Sunday
    days: list[SlotDay] = field(default_factory=list)
    previous: date | None = None  # None when that week is wholly past
    next: date | None = None
    next_open: date | None = None  # when this week has none: the week of the next open slot

    @property
    def slot_count(self) -> int:
        return sum(len(day.slots) for day in self.days)


def open_slot_week(*, teacher_id: int, week: date | None = None, now: datetime | None = None) -> SlotWeek:
    """The teacher's open slots in the week holding `week` (default: this
    week), days and times in the active time zone (DST-safe: the week's
    bounds are local midnights)."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    this_week = week_monday(timezone.localtime(now, zone).date())
    monday = week_monday(week) if week is not None else this_week
    bounds = local_week(monday, zone)
    start, end = bounds.start, bounds.end
    days: dict[date, list[Slot]] = {}
    for slot in open_slots(teacher_id=teacher_id, start=start, end=end, now=now):
        days.setdefault(timezone.localtime(slot.start_at, zone).date(), []).append(slot)
    next_open = None
    if not days:
        first = open_slots(teacher_id=teacher_id, start=max(end, now), now=now).first()
        if first is not None:
            next_open = week_monday(in_zone(first.start_at, zone).date())
    return SlotWeek(
        start=monday,
        end=monday + timedelta(days=6),
        days=[SlotDay(day=day, slots=slots) for day, slots in sorted(days.items())],
        previous=monday - timedelta(days=7) if monday > this_week else None,
        next=monday + timedelta(days=7),
        next_open=next_open,
    )


@dataclass(frozen=True)
class TeacherPage:
    profile: TeacherProfile
    week: SlotWeek


def teacher_page(*, teacher_id, week: date | None = None, now: datetime | None = None) -> TeacherPage:
    """A published teacher's profile and open slots of one week; not-found
    for anyone unpublished."""
    profile = account_selectors.teacher_published_get(teacher_id=teacher_id)
    return TeacherPage(profile=profile, week=open_slot_week(teacher_id=profile.pk, week=week, now=now))


@dataclass(frozen=True)
class ReschedulePage:
    booking: Booking
    week: SlotWeek | None  # None when the booking cannot be moved


def reschedule_page(*, user, booking_id, week: date | None = None, now: datetime | None = None) -> ReschedulePage:
    """The student's booking and, when it can still be moved, its teacher's
    open slots of one week (by default the week of the booked lesson)."""
    now = now or timezone.now()
    booking = booking_for_student(user=user, booking_id=booking_id, now=now)
    slots = None
    if booking.can_change:
        booked = in_zone(booking.slot.start_at).date()
        # this week instead of a booked week whose Sunday no date holds (the end of 9999)
        week = week or (booked if booked <= date.max - timedelta(days=7) else None)
        slots = open_slot_week(teacher_id=booking.slot.teacher_id, week=week, now=now)
    return ReschedulePage(booking=booking, week=slots)


# --- the student's dashboard --------------------------------------------------------


@dataclass(frozen=True)
class StudentDashboard:
    upcoming_lessons: list[Lesson]
    live_holds: list[Booking]
    packages: list[LessonPackage]

    @property
    def lessons_left(self) -> int:
        return sum(package.lessons_left for package in self.packages)

    @property
    def changes_at(self) -> datetime | None:
        """When this dashboard changes with time alone: the next lesson starts,
        a hold or a package runs out (None: only a change can change it)."""
        moments: list[datetime | None] = [lesson.start_at for lesson in self.upcoming_lessons]
        moments += [moment for hold in self.live_holds for moment in (hold.hold_expires_at, hold.slot.start_at)]
        moments += [package.expires_at for package in self.packages]
        return min((moment for moment in moments if moment is not None), default=None)


def live_holds_for_student(*, student, now: datetime) -> list[Booking]:
    """The student's holds still waiting for confirmation, the one expiring
    first first, with only what the dashboard shows: the slot's times and the
    hold's expiry. (`status = hold` and a future expiry is exactly
    `effective_status = hold`: a hold always has an expiry.)"""
    holds = (
        Booking.objects.live_holds(now=now)
        .filter(student=student)
        .select_related("slot")
        .only("hold_expires_at", "slot__start_at", "slot__end_at")
        .order_by("hold_expires_at", "id")
    )
    return list(holds)


def student_dashboard(*, student, now: datetime | None = None) -> StudentDashboard:
    """The next lessons, the holds waiting for confirmation and the packages
    lessons can be taken from (lessons and holds with only the columns shown)."""
    now = now or timezone.now()
    return StudentDashboard(
        upcoming_lessons=lesson_selectors.student_next_lessons(student=student, now=now, count=UPCOMING_LESSONS),
        live_holds=live_holds_for_student(student=student, now=now),
        packages=list(billing_selectors.packages_usable(student=student, now=now)),
    )


# --- the teacher's dashboard ----------------------------------------------------------


@dataclass(frozen=True)
class TeacherDashboard:
    profile: TeacherProfile
    next_lessons: list[Lesson]
    to_mark_count: int
    week_first_day: date
    week_last_day: date
    slots_free: int
    slots_held: int
    slots_booked: int


def teacher_dashboard(*, teacher, zone, now: datetime | None = None) -> TeacherDashboard:
    """The teacher's home page: the profile, the next lessons, the started
    lessons still to mark, and this week's slots (the week of `now` in `zone`)
    counted free / held / booked. Not-found for anyone but a teacher."""
    now = now or timezone.now()
    profile = account_selectors.teacher_profile_for_user(user=teacher)
    lessons = lesson_selectors.teacher_lessons_overview(teacher=teacher, now=now)
    week = local_week(timezone.localtime(now, zone).date(), zone)
    counts = teacher_slot_counts(teacher=teacher, start=week.start, end=week.end, now=now)
    return TeacherDashboard(
        profile=profile,
        next_lessons=lessons.next_lessons,
        to_mark_count=lessons.to_mark_count,
        week_first_day=week.monday,
        week_last_day=week.sunday,
        slots_free=counts["free"],
        slots_held=counts["held"],
        slots_booked=counts["booked"],
    )


# --- the waitlist ------------------------------------------------------------------------


def _open_offers(*, now: datetime) -> Prefetch:
    """An entry's open offer (at most one), with its slot, as `open_offers`."""
    offers = WaitlistOffer.objects.filter(status=WaitlistOffer.Status.OFFERED, expires_at__gt=now).select_related(
        "slot"
    )
    return Prefetch("offers", queryset=offers.order_by("expires_at", "id"), to_attr="open_offers")


def waitlist_entries_for_student(*, student, now: datetime | None = None) -> QuerySet[WaitlistEntry]:
    """The student's active waitlist entries, oldest first, each with its
    teacher and `open_offers` (the live offer, if any)."""
    now = now or timezone.now()
    return (
        WaitlistEntry.objects.filter(student=student, active=True)
        .select_related("teacher", "teacher__teacher_profile")
        .prefetch_related(_open_offers(now=now))
        .order_by("created_at", "id")
    )


def waitlist_entry_for_student(*, user, entry_id) -> WaitlistEntry:
    """Access helper: the signed-in student's own entry; not-found for anyone else."""
    if not _is_student(user):
        raise NotFound()
    try:
        return WaitlistEntry.objects.select_related("teacher").get(pk=object_id(entry_id), student=user)
    except WaitlistEntry.DoesNotExist as exc:
        raise NotFound() from exc


def waitlist_offer_for_student(*, user, offer_id, now: datetime | None = None) -> WaitlistOffer:
    """Access helper: the signed-in student's own offer, with `is_open` (it
    still reserves the slot) and `effective_status` (an open offer past its
    time reads as lapsed); not-found for anyone else."""
    if not _is_student(user):
        raise NotFound()
    now = now or timezone.now()
    offers = WaitlistOffer.objects.select_related(
        "entry", "slot", "slot__teacher", "slot__teacher__teacher_profile", "booking"
    )
    try:
        offer = offers.get(pk=object_id(offer_id), entry__student=user)
    except WaitlistOffer.DoesNotExist as exc:
        raise NotFound() from exc
    offer.is_open = offer.status == WaitlistOffer.Status.OFFERED and offer.expires_at > now
    expired = offer.status == WaitlistOffer.Status.OFFERED and not offer.is_open
    offer.effective_status = WaitlistOffer.Status.LAPSED if expired else offer.status
    offer.status_label = WaitlistOffer.Status(offer.effective_status).label
    return offer


def waitlisted_with_teacher(*, user, teacher_id) -> bool:
    """Whether the signed-in student waits for this teacher (the teacher page says so)."""
    return _is_student(user) and WaitlistEntry.objects.filter(student=user, teacher_id=teacher_id, active=True).exists()


# --- time off ------------------------------------------------------------------


def bookings_in_time_off(*, time_off, now: datetime | None = None) -> QuerySet[Booking]:
    """The confirmed lessons still booked in a teacher's days off: theirs to
    cancel or move."""
    now = now or timezone.now()
    return (
        Booking.objects.taking_slot(now=now)
        .filter(
            status=Booking.Status.CONFIRMED,
            slot__teacher_id=time_off.teacher_id,
            slot__start_at__lt=time_off.end_at,
            slot__end_at__gt=time_off.start_at,
            slot__start_at__gt=now,
        )
        .select_related("slot", "student")
        .order_by("slot__start_at")
    )


def time_off_for_teacher(*, teacher, now: datetime | None = None) -> list:
    """The teacher's time off not over yet, each with `bookings`: the lessons
    still booked in it."""
    now = now or timezone.now()
    periods = list(scheduling_selectors.time_off_upcoming(teacher=teacher, now=now))
    for period in periods:
        period.bookings = list(bookings_in_time_off(time_off=period, now=now))
    return periods


# --- a teacher's proposals to move a lesson ------------------------------------------


PROPOSAL_WEEKS_AHEAD = 4


def proposal_pending(*, booking: Booking) -> MoveProposal | None:
    """The booking's proposal waiting for the student's answer, with its slot."""
    return booking.move_proposals.filter(status=MoveProposal.Status.PENDING).select_related("new_slot").first()


def proposal_slots(*, booking: Booking, now: datetime | None = None) -> QuerySet[Slot]:
    """The teacher's slots a booked lesson may be moved to: open now, in the
    next PROPOSAL_WEEKS_AHEAD weeks, other than its own."""
    now = now or timezone.now()
    return open_slots(
        teacher_id=booking.slot.teacher_id, start=now, end=now + timedelta(weeks=PROPOSAL_WEEKS_AHEAD), now=now
    ).exclude(pk=booking.slot_id)


def proposal_for_student(*, user, proposal_id) -> MoveProposal:
    """A proposal to move one of the signed-in student's lessons; not-found otherwise."""
    if not _is_student(user):
        raise NotFound()
    found = (
        MoveProposal.objects.filter(pk=object_id(proposal_id), booking__student=user)
        .select_related("booking", "new_slot")
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def proposals_for_user(*, user) -> QuerySet[MoveProposal]:
    """Proposals waiting for an answer: to the student's lessons, or made by the teacher."""
    pending = MoveProposal.objects.filter(status=MoveProposal.Status.PENDING).select_related(
        "booking", "booking__slot", "new_slot"
    )
    return pending.filter(Q(booking__student=user) | Q(booking__slot__teacher=user)).order_by("expires_at")


# --- weekly series ---------------------------------------------------------------------

SERIES_MAX_WEEKS = 52
SERIES_AHEAD_WEEKS = 4  # how far ahead an open-ended series is booked (and previewed)

# Why a week of a series cannot be booked (said in templates/booking/includes/week_reason.html).
NO_SLOT = "no_slot"
TAKEN = "taken"
TOO_SOON = "too_soon"
BUFFER = "buffer"
TIME_OFF = "time_off"
NO_LESSON = "no_lesson"


@dataclass
class SeriesWeek:
    """One week of a series: the local date, the start in UTC (None when the
    local time does not exist that day), the teacher's slot, and whether it
    can be booked now, or why not."""

    local_date: date
    start_at: datetime | None
    slot: Slot | None = None
    reason: str = ""
    shifted: bool = False  # for a student whose clock moves where the teacher's does not (their page sets it)

    @property
    def bookable(self) -> bool:
        return not self.reason


def _check_reason(slot: Slot, *, now: datetime) -> str:
    try:
        slot_check_open(slot=slot, now=now)
    except SlotTooSoon:
        return TOO_SOON
    except SlotBuffer:
        return BUFFER
    except SlotUnavailable:
        return TAKEN
    return ""


def series_weeks(
    *, teacher, zone: ZoneInfo, weekday_date: date, local_time, minutes: int, count: int, now: datetime
) -> list[SeriesWeek]:
    """`count` weeks from `weekday_date` at `local_time` in the teacher's
    `zone` (the same wall-clock time across DST changes), each with the
    teacher's slot of exactly that start and length, and whether it can be
    booked now. Two queries, whatever the count."""
    weeks = []
    for index in range(count):
        local_date = weekday_date + timedelta(weeks=index)
        weeks.append(SeriesWeek(local_date, local_to_utc(datetime.combine(local_date, local_time), zone)))
    starts = [week.start_at for week in weeks if week.start_at is not None]
    slots = {
        slot.start_at: slot
        for slot in scheduling_selectors.live_slots()
        .filter(teacher=teacher, start_at__in=starts)
        .select_related("teacher", "teacher__teacher_profile")
    }
    away = list(scheduling_selectors.time_off_upcoming(teacher=teacher, now=now).values_list("start_at", "end_at"))
    for week in weeks:
        slot = slots.get(week.start_at) if week.start_at is not None else None
        if week.start_at is not None and any(start <= week.start_at < end for start, end in away):
            week.reason = TIME_OFF
        elif slot is None or slot.end_at - slot.start_at != timedelta(minutes=minutes):
            week.reason = NO_SLOT
        else:
            week.slot = slot
            week.reason = _check_reason(slot, now=now)
    return weeks


@dataclass(frozen=True)
class SeriesStart:
    """The open slot a series starts from, on its teacher's clock."""

    slot: Slot
    zone: ZoneInfo
    local: datetime  # the slot's start in the teacher's zone
    minutes: int


def series_start(*, slot_id) -> SeriesStart:
    """The live slot a series starts from; not-found when there is none."""
    slot = scheduling_selectors.live_slots().select_related("teacher").filter(pk=object_id(slot_id)).first()
    if slot is None:
        raise NotFound()
    zone = ZoneInfo(slot.teacher.timezone)
    minutes = int((slot.end_at - slot.start_at).total_seconds() // 60)
    return SeriesStart(slot=slot, zone=zone, local=slot.start_at.astimezone(zone), minutes=minutes)


def series_plan(*, start: SeriesStart, weeks: int | None, until: date | None, now: datetime) -> list[SeriesWeek]:
    """The weeks of a series from `start`: `weeks` of them, those up to
    `until`, or (neither) the next SERIES_AHEAD_WEEKS of an open-ended one."""
    return series_weeks(
        teacher=start.slot.teacher,
        zone=start.zone,
        weekday_date=start.local.date(),
        local_time=start.local.time(),
        minutes=start.minutes,
        count=series_count(first_date=start.local.date(), weeks=weeks, until=until),
        now=now,
    )


def series_preview(
    *, slot_id, weeks: int | None = None, until: date | None = None, now: datetime | None = None
) -> list[SeriesWeek]:
    """The weeks a series from an open slot would have, each bookable or not, with the reason."""
    return series_plan(start=series_start(slot_id=slot_id), weeks=weeks, until=until, now=now or timezone.now())


def series_count(*, first_date: date, weeks: int | None, until: date | None) -> int:
    """How many weeks a series has (within SERIES_MAX_WEEKS): `weeks`, those up
    to `until`, or SERIES_AHEAD_WEEKS ahead for an open-ended one."""
    if weeks is not None:
        return max(0, min(weeks, SERIES_MAX_WEEKS))
    if until is not None:
        return max(0, min((until - first_date).days // 7 + 1, SERIES_MAX_WEEKS))
    return SERIES_AHEAD_WEEKS


def series_for_user(*, user) -> QuerySet[Series]:
    """The signed-in student's or teacher's series, newest first, with their bookings."""
    return (
        Series.objects.filter(Q(student=user) | Q(teacher=user))
        .select_related("student", "teacher")
        .prefetch_related(
            Prefetch("bookings", queryset=Booking.objects.select_related("slot").order_by("slot__start_at"))
        )
    )


def series_of_user(*, user, series_id) -> Series:
    found = series_for_user(user=user).filter(pk=object_id(series_id)).first()
    if found is None:
        raise NotFound()
    return found
