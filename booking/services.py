"""Booking writes: hold, confirm, cancel, reschedule, expire holds, and
accepting a waitlist offer.

Each runs in one transaction with its audit record and outbox event. The
slot's last guard is the partial unique constraint on active bookings; the
package row is locked by billing before a lesson is taken from it.

The waitlist (`booking.waitlist`) is told in the same transaction: a slot
freed by a cancel, a reschedule or an expired hold is offered to the next
waiting student, an open offer reserves its slot for its student, and a hold
through an offer settles it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import verification
from audit.services import change_record, records_batched
from billing import selectors as billing_selectors
from billing import services as billing_services
from billing.errors import NoActivePackage
from billing.models import LessonPackage
from booking import selectors, waitlist
from booking.errors import (
    BookingNotActive,
    BookingNotConfirmed,
    BookingRescheduled,
    BookingStarted,
    HoldExpired,
    HoldLimitReached,
    ProposalClosed,
    ProposalPending,
    SeriesLongerThanPackage,
    SeriesNothingBookable,
    SlotBuffer,
    SlotInUse,
    SlotTooSoon,
    SlotUnavailable,
)
from booking.models import CANCEL_REASON_MAX_LENGTH, Booking, BookingQuerySet, MoveProposal, Series, WaitlistOffer
from guitaronline.core import capabilities
from guitaronline.core.capabilities import Capability
from guitaronline.core.errors import Forbidden, InvalidInput, NotFound
from guitaronline.core.ids import object_id
from guitaronline.core.shared_answers import SLOT_AVAILABILITY, answers_outdated
from lessons import services as lesson_services
from lessons.models import Lesson
from scheduling import selectors as scheduling_selectors
from scheduling import services as scheduling_services
from scheduling.models import Slot, TimeOff


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _payload(booking: Booking, **extra) -> dict:
    return {
        "booking_id": booking.pk,
        "student_id": booking.student_id,
        "teacher_id": booking.slot.teacher_id,
        "slot_id": booking.slot_id,
        "start_at": booking.slot.start_at.isoformat(),
        "end_at": booking.slot.end_at.isoformat(),
        "status": booking.status,
        **extra,
    }


def _hold_expiry(now: datetime) -> datetime:
    """When a hold made at `now` dies: BOOKING_HOLD_MINUTES later."""
    return now + timedelta(minutes=settings.BOOKING_HOLD_MINUTES)


def _refuse_taken(slot_id, *, now: datetime) -> int:
    """The slot's id; `SlotUnavailable` when it is already taken.

    Most contenders for a popular slot stop here, before queueing for the
    teacher's lock behind every other one. Without the lock this is only a
    hint: the locked checks decide, and the booking's partial unique
    constraint has the last word on the slot itself."""
    pk = object_id(slot_id)
    if Booking.objects.taking_slot(now=now).filter(slot_id=pk).exists():
        raise SlotUnavailable()
    return pk


def _lock_open_slot(
    pk: int, *, now: datetime, releasing_slot_id: int | None = None, taking: bool = False, rules_locked: bool = False
) -> Slot:
    """Lock the teacher's rules, then the slot `pk` (as `_refuse_taken` gives
    it, after its hint), and check that it can be held
    (`selectors.slot_check_open`; the slot `releasing_slot_id` being given up
    does not count). Not-found when no such live slot exists.

    A caller `taking` the slot (`_take_slot`, which reads its active bookings
    under the lock anyway) leaves the locked "taken" check to that read, one
    query fewer. A caller that holds the teacher's lock already (a series,
    which takes it once for all its weeks) says so with `rules_locked`."""
    if not rules_locked:
        scheduling_selectors.teacher_rules_lock(slot_id=pk)
    try:
        slot = (
            scheduling_selectors.live_slots()
            .select_related("teacher", "teacher__teacher_profile")
            .select_for_update(of=("self",))
            .get(pk=pk)
        )
    except Slot.DoesNotExist as exc:
        raise NotFound() from exc
    selectors.slot_check_open(slot=slot, now=now, releasing_slot_id=releasing_slot_id, check_taken=not taking)
    return slot


def _lock_booking(booking: Booking) -> Booking:
    """The booking row, locked, with what the services and the API answer read:
    the slot, its teacher, the student, the successor of a reschedule and the
    waitlist offer it was held through (`waitlist.entry_leave_after_booking`)."""
    return (
        Booking.objects.select_for_update(of=("self",))
        .select_related("slot", "slot__teacher", "student", "rescheduled_to", "waitlist_offer")
        .get(pk=booking.pk)
    )


def _expire_one(booking_id: int, *, now: datetime, actor=None, offer_freed_slot: bool = False) -> bool:
    """Compare-and-swap a dead hold to expired; True if this call expired it.
    With `offer_freed_slot` the slot goes to the waitlist (not when the dead
    hold is cleared because someone is taking the slot right now)."""
    changed = (
        Booking.objects.dead_holds(now=now).filter(pk=booking_id).update(status=Booking.Status.EXPIRED, updated_at=now)
    )
    if changed:
        answers_outdated(SLOT_AVAILABILITY)
        booking = Booking.objects.select_related("slot").get(pk=booking_id)
        change_record(actor=actor, action="booking.expired", entity=booking, payload=_payload(booking))
        if offer_freed_slot:
            waitlist.slot_offer_next(slot_id=booking.slot_id, now=now)
    return bool(changed)


def _take_slot(*, student, slot: Slot, now: datetime, **fields) -> Booking:
    """Insert the active booking of a locked slot after clearing its dead holds.

    One read of the slot's active bookings (at most one, by the partial unique
    constraint) tells both: a dead hold is expired, a live one refuses. The
    new booking comes back with its slot and with no successor, so the API
    answers from it without reading it again."""
    for active in Booking.objects.filter(slot=slot, status__in=Booking.ACTIVE_STATUSES).only(
        "status", "hold_expires_at"
    ):
        if active.takes_slot(now=now):
            raise SlotUnavailable()
        _expire_one(active.pk, now=now)
    try:
        # No savepoint of its own: the refusal ends the caller's transaction, or the
        # savepoint of a caller that goes on without this slot (`_book_week`).
        booking = Booking.objects.create(student=student, slot=slot, **fields)
    except IntegrityError as exc:  # the partial unique constraint has the last word
        raise SlotUnavailable() from exc
    Booking.rescheduled_to.related.set_cached_value(booking, None)  # a new booking has no successor,
    Booking.waitlist_offer.related.set_cached_value(booking, None)  # nor a waitlist offer until `offer_settle`
    answers_outdated(SLOT_AVAILABILITY)
    return booking


def _require_lesson_for_a_new_hold(student, *, now: datetime) -> None:
    """A student holds at most as many live slots as they have lessons left
    in usable packages. Those packages are locked first (as a confirm locks
    the one it takes a lesson from), so the student's concurrent holds are
    counted one after the other."""
    usable = billing_selectors.packages_usable(student=student, now=now).select_for_update(no_key=True)
    left = sum(usable.values_list("lessons_left", flat=True))
    if not left:
        raise NoActivePackage()
    # Read after the lock is granted. The student's holds, the live ones counted: found by the
    # student, not by an expiry range the planner would take for nearly empty (live holds are
    # few among all bookings).
    holding = Booking.objects.filter(student=student, status=Booking.Status.HOLD).aggregate(
        n=Count("pk", filter=BookingQuerySet.live_hold_q(now=now))
    )["n"]
    if holding >= left:
        raise HoldLimitReached(details={"lessons_left": left, "live_holds": holding})


def booking_hold(*, student, slot_id, now: datetime | None = None) -> Booking:
    """Hold an open slot for BOOKING_HOLD_MINUTES; needs a lesson left for
    it (`_require_lesson_for_a_new_hold`). A slot already taken is refused
    before the transaction begins."""
    now = _now(now)
    if not student.is_student:
        raise Forbidden(message=_("Only students can book lessons."))
    verification.require_verified(student)
    slot_pk = _refuse_taken(slot_id, now=now)
    with transaction.atomic():
        return _hold_locked(student, slot_pk, now=now)


def _hold_locked(student, slot_pk: int, *, now: datetime) -> Booking:
    slot = _lock_open_slot(slot_pk, now=now, taking=True)
    offer = waitlist.slot_open_offer(slot=slot, student=student, now=now)  # reserved for another student?
    _require_lesson_for_a_new_hold(student, now=now)
    expires_at = _hold_expiry(now)
    booking = _take_slot(student=student, slot=slot, now=now, status=Booking.Status.HOLD, hold_expires_at=expires_at)
    change_record(
        actor=student,
        action="booking.held",
        entity=booking,
        payload=_payload(booking, hold_expires_at=expires_at.isoformat()),
    )
    if offer is not None:
        waitlist.offer_settle(offer=offer, booking=booking, now=now)
    return booking


def _confirm_locked(booking: Booking, *, actor, now: datetime) -> Booking:
    """Confirm the locked hold: a lesson taken from the package, the lesson
    created, the booking confirmed; their three records written together."""
    with records_batched():
        package = billing_services.package_consume_lesson(student=booking.student, now=now, actor=actor)
        lesson = lesson_services.lesson_create(
            teacher=booking.slot.teacher,
            student=booking.student,
            start_at=booking.slot.start_at,
            end_at=booking.slot.end_at,
            actor=actor,
        )
        booking.status = Booking.Status.CONFIRMED
        booking.confirmed_at = now
        booking.package = package
        booking.lesson = lesson
        booking.save(update_fields=["status", "confirmed_at", "package", "lesson", "updated_at"])
        change_record(
            actor=actor,
            action="booking.confirmed",
            entity=booking,
            payload=_payload(
                booking,
                lesson_id=lesson.pk,
                package_id=package.pk,
                rescheduled_from=booking.rescheduled_from_id,
                **({"series_id": booking.series_id} if booking.series_id else {}),  # told once, for the series
            ),
        )
        waitlist.entry_leave_after_booking(booking=booking, actor=actor, now=now)
    return booking


@transaction.atomic
def booking_confirm(*, booking: Booking, actor, now: datetime | None = None) -> Booking:
    """Confirm a live hold: one lesson from the package, exactly one lesson.
    Confirming a confirmed booking returns it unchanged; a hold whose lesson
    has started can no longer be confirmed (`booking_started`)."""
    now = _now(now)
    booking = _lock_booking(booking)
    if booking.student_id != actor.pk:
        raise Forbidden(message=_("Only the student who holds the slot can confirm it."))
    if booking.status == Booking.Status.CONFIRMED:
        return booking
    if booking.status != Booking.Status.HOLD:
        raise BookingNotActive(details={"status": booking.status})
    expires_at = cast(datetime, booking.hold_expires_at)  # a hold has its expiry
    if expires_at <= now:
        raise HoldExpired(details={"hold_expires_at": expires_at.isoformat()})
    if now >= booking.slot.start_at:
        raise BookingStarted(details={"start_at": booking.slot.start_at.isoformat()})
    return _confirm_locked(booking, actor=actor, now=now)


def _require_may_cancel(booking: Booking, actor) -> None:
    """The student, the slot's teacher, or staff who cancel for students."""
    if actor.pk not in (booking.student_id, booking.slot.teacher_id):
        capabilities.require(actor, Capability.CANCEL_FOR_STUDENTS)


def _cancel_locked(
    booking: Booking, *, actor, now: datetime, rescheduling: bool = False, with_series: bool = False
) -> Booking:
    if booking.status == Booking.Status.HOLD:
        booking.lesson_returned = None
    else:
        if actor.pk == booking.student_id and now >= booking.slot.start_at:
            raise BookingStarted()
        # The same rule the pages show before the click (one function for both).
        refund = selectors.booking_cancel_returns_lesson(booking=booking, actor=actor, now=now)
        # a confirmed booking has its lesson and the package the lesson came from
        lesson_services.lesson_cancel(lesson=cast(Lesson, booking.lesson), actor=actor)
        if refund:
            billing_services.package_return_lesson(package=cast(LessonPackage, booking.package), actor=actor, now=now)
        booking.lesson_returned = refund
    answers_outdated(SLOT_AVAILABILITY)
    MoveProposal.objects.filter(booking=booking, status=MoveProposal.Status.PENDING).update(
        status=MoveProposal.Status.WITHDRAWN, answered_at=now, updated_at=now
    )
    booking.status = Booking.Status.CANCELED
    booking.canceled_at = now
    booking.canceled_by = actor
    booking.save(
        update_fields=["status", "canceled_at", "canceled_by", "lesson_returned", "cancel_reason", "updated_at"]
    )
    change_record(
        actor=actor,
        action="booking.canceled",
        entity=booking,
        payload=_payload(
            booking,
            lesson_returned=booking.lesson_returned,
            rescheduling=rescheduling,
            **({"with_series": True} if with_series else {}),  # told once, for the series
            by_teacher=actor.pk == booking.slot.teacher_id,
            reason=booking.cancel_reason,
        ),
    )
    return booking


def _validated_reason(reason, *, required: bool) -> str:
    reason = str(reason or "").strip()
    if required and not reason:
        raise InvalidInput(details={"reason": [_("Tell the student why the lesson is canceled.")]})
    if len(reason) > CANCEL_REASON_MAX_LENGTH:
        message = _("Keep the reason under %(limit)d characters.") % {"limit": CANCEL_REASON_MAX_LENGTH}
        raise InvalidInput(details={"reason": [message]})
    return reason


@transaction.atomic
def booking_cancel(*, booking: Booking, actor, reason: str = "", now: datetime | None = None) -> Booking:
    """Cancel a hold or a confirmed booking (the student, the slot's teacher or
    staff). Canceling a canceled booking returns it unchanged.

    The slot's teacher cancels before the start and gives a reason the
    student reads: the lesson always goes back to the package, and the slot
    is withdrawn (the teacher cannot teach then: it is not offered to the
    waitlist or to anyone else). The student is told, with the teacher's open
    slots to pick a make-up time from. Otherwise the freed slot goes to the
    waitlist."""
    now = _now(now)
    booking = _lock_booking(booking)
    _require_may_cancel(booking, actor)
    if booking.status == Booking.Status.CANCELED:
        return booking
    if booking.status == Booking.Status.EXPIRED or booking.is_dead_hold(now=now):
        raise BookingNotActive(details={"status": Booking.Status.EXPIRED})
    by_teacher = actor.pk == booking.slot.teacher_id
    booking.cancel_reason = _validated_reason(reason, required=by_teacher)
    if by_teacher and now >= booking.slot.start_at:
        raise BookingStarted()
    booking = _cancel_locked(booking, actor=actor, now=now)
    if by_teacher:
        scheduling_services.slot_delete(teacher=actor, slot=booking.slot, now=now)
    else:
        waitlist.slot_offer_next(slot_id=booking.slot_id, now=now)
    return booking


@transaction.atomic
def booking_reschedule(*, booking: Booking, new_slot_id, actor, now: datetime | None = None) -> Booking:
    """Cancel a confirmed booking and confirm another slot in its place, in
    one transaction. A retry (the same `new_slot_id`) returns the booking
    made by the first call; another slot for a booking already moved is
    refused, naming the booking it was moved to (`booking_rescheduled`)."""
    now = _now(now)
    booking = _lock_booking(booking)
    if booking.student_id != actor.pk:
        raise Forbidden(message=_("Only the student of the booking can reschedule it."))
    try:
        new_slot_id = int(new_slot_id)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(details={"new_slot_id": [_("A slot id is required.")]}) from exc
    successor = getattr(booking, "rescheduled_to", None)
    if successor is not None:
        if successor.slot_id == new_slot_id:
            return successor
        raise BookingRescheduled(details={"rescheduled_to": successor.pk, "slot_id": successor.slot_id})
    if booking.status != Booking.Status.CONFIRMED:
        raise BookingNotConfirmed(details={"status": booking.status})
    if new_slot_id == booking.slot_id:
        raise InvalidInput(details={"new_slot_id": [_("Choose a different slot.")]})

    new_slot = _lock_open_slot(_refuse_taken(new_slot_id, now=now), now=now, releasing_slot_id=booking.slot_id)
    return _move_locked(booking, new_slot, actor=actor, now=now)


def _move_locked(booking: Booking, new_slot: Slot, *, actor, now: datetime, canceled_by=None) -> Booking:
    """Cancel a locked confirmed booking and confirm its locked new slot in
    its place. The old lesson goes back by the cancel rule of `canceled_by`
    (the actor by default; the teacher when the move is the teacher's
    proposal, so it always goes back)."""
    offer = waitlist.slot_open_offer(slot=new_slot, student=booking.student, now=now)
    _cancel_locked(booking, actor=canceled_by or actor, now=now, rescheduling=True)
    successor = _take_slot(
        student=booking.student,
        slot=new_slot,
        now=now,
        status=Booking.Status.HOLD,
        hold_expires_at=_hold_expiry(now),
        rescheduled_from=booking,
        series_id=booking.series_id,  # a moved occurrence stays in its series
    )
    if offer is not None:
        waitlist.offer_settle(offer=offer, booking=successor, now=now)
    successor = _confirm_locked(successor, actor=actor, now=now)
    change_record(
        actor=actor,
        action="booking.rescheduled",
        entity=successor,
        payload=_payload(
            successor,
            rescheduled_from=booking.pk,
            previous_slot_id=booking.slot_id,
            previous_start_at=booking.slot.start_at.isoformat(),
        ),
    )
    waitlist.slot_offer_next(slot_id=booking.slot_id, now=now)  # the old time is free again
    return successor


@transaction.atomic
def slot_remove(*, teacher, slot: Slot, now: datetime | None = None) -> None:
    """The teacher removes a free future slot of theirs
    (`scheduling.services.slot_delete`). Refused while a booking takes it
    (`slot_in_use`): a lesson is canceled first, never removed with its slot."""
    now = _now(now)
    locked = scheduling_selectors.live_slots().select_for_update().filter(pk=slot.pk, teacher=teacher).first()
    if locked is None:
        raise NotFound()
    if Booking.objects.taking_slot(now=now).filter(slot=locked).exists():
        raise SlotInUse()
    scheduling_services.slot_delete(teacher=teacher, slot=locked, now=now)


@transaction.atomic
def lesson_teacher_no_show(*, booking: Booking, actor, now: datetime | None = None) -> Booking:
    """Staff (who cancel for students) record that the teacher did not come to
    the booked lesson: the lesson goes back to the student's package, once. A
    student's no-show still counts as a lesson (the teacher marks it)."""
    capabilities.require(actor, Capability.CANCEL_FOR_STUDENTS)
    now = _now(now)
    booking = _lock_booking(booking)
    if booking.status != Booking.Status.CONFIRMED or booking.lesson_id is None:
        raise BookingNotConfirmed(details={"status": booking.status})
    _, changed = lesson_services.lesson_mark_teacher_no_show(lesson=cast(Lesson, booking.lesson), actor=actor, now=now)
    if changed:  # a confirmed booking's lesson came from its package
        billing_services.package_return_lesson(package=cast(LessonPackage, booking.package), actor=actor, now=now)
    return booking


@transaction.atomic
def time_off_take(
    *, teacher, start_date, end_date, reason: str = "", actor, now: datetime | None = None
) -> tuple[TimeOff, int]:
    """The teacher (or staff who run bookings) enters days off
    (`scheduling.services.time_off_create`): the free slots in them are
    removed; the booked lessons stay, for the teacher to cancel or move
    (`selectors.bookings_in_time_off`). Returns the time off and how many
    free slots were removed."""
    if actor.pk != teacher.pk:
        capabilities.require(actor, Capability.CANCEL_FOR_STUDENTS)
    now = _now(now)
    time_off = scheduling_services.time_off_create(
        teacher=teacher, start_date=start_date, end_date=end_date, reason=reason, actor=actor, now=now
    )
    free = (
        scheduling_selectors.live_slots()
        .filter(teacher=teacher, start_at__lt=time_off.end_at, end_at__gt=time_off.start_at, start_at__gt=now)
        .exclude(pk__in=Booking.objects.taking_slot(now=now).values("slot_id"))
    )
    removed = 0
    for slot in free.select_for_update():
        scheduling_services.slot_delete(teacher=teacher, slot=slot, now=now)
        removed += 1
    return time_off, removed


@transaction.atomic
def time_off_cancel(*, time_off: TimeOff, actor) -> None:
    """The teacher (or staff) takes time off back; the days are open to new slots."""
    if actor.pk != time_off.teacher_id:
        capabilities.require(actor, Capability.CANCEL_FOR_STUDENTS)
    scheduling_services.time_off_delete(time_off=time_off, actor=actor)


def bookings_expire_holds(*, now: datetime | None = None, actor=None, batch_size: int = 500) -> int:
    """Persist `expired` for dead holds and emit `booking.expired` once each.
    Holds are already dead wherever they are read; this only tidies up.
    Staff need `expire_overdue`."""
    capabilities.require(actor, Capability.EXPIRE_OVERDUE)
    now = _now(now)
    expired = 0
    while True:
        ids = list(
            Booking.objects.dead_holds(now=now).order_by("hold_expires_at").values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            return expired
        with transaction.atomic():
            expired += sum(_expire_one(booking_id, now=now, actor=actor, offer_freed_slot=True) for booking_id in ids)


@transaction.atomic
def waitlist_offer_accept(*, offer: WaitlistOffer, student, now: datetime | None = None) -> Booking:
    """The offer's student holds its slot (the offer link); confirming the
    hold then follows the normal flow. Accepting an accepted offer again
    returns its booking while that still takes the slot; a lapsed or
    withdrawn offer, or one whose booking has since ended, is refused
    (`waitlist_offer_closed`)."""
    now = _now(now)
    offer = WaitlistOffer.objects.select_related("entry", "booking").get(pk=offer.pk)
    if offer.entry.student_id != student.pk:
        raise Forbidden()
    if offer.status == WaitlistOffer.Status.ACCEPTED and offer.booking is not None:
        if offer.booking.takes_slot(now=now):
            return offer.booking  # a retry of the accept
        raise waitlist.WaitlistOfferClosed(details={"status": offer.status, "booking_id": offer.booking_id})
    if offer.status != WaitlistOffer.Status.OFFERED or offer.expires_at <= now:
        status = offer.status if offer.status != WaitlistOffer.Status.OFFERED else WaitlistOffer.Status.LAPSED
        raise waitlist.WaitlistOfferClosed(details={"status": status})
    return booking_hold(student=student, slot_id=offer.slot_id, now=now)


# --- a teacher's proposal to move a lesson ----------------------------------------------------

PROPOSAL_MESSAGE_MAX_LENGTH = 500


def _proposal_payload(proposal: MoveProposal, booking: Booking, **extra) -> dict:
    """What the messages need; no lesson id, so the student's link is the booking's page."""
    return {
        "proposal_id": proposal.pk,
        "booking_id": booking.pk,
        "student_id": booking.student_id,
        "teacher_id": booking.slot.teacher_id,
        "start_at": booking.slot.start_at.isoformat(),
        "end_at": booking.slot.end_at.isoformat(),
        "new_slot_id": proposal.new_slot_id,
        "new_start_at": proposal.new_slot.start_at.isoformat(),
        "new_end_at": proposal.new_slot.end_at.isoformat(),
        "expires_at": proposal.expires_at.isoformat(),
        "message": proposal.message,
        **extra,
    }


@transaction.atomic
def booking_move_propose(
    *, booking: Booking, teacher, new_slot_id, message: str = "", now: datetime | None = None
) -> MoveProposal:
    """The lesson's teacher proposes another of their open slots for a booked
    lesson that has not started; the student has until BOOKING_PROPOSAL_HOURS
    from now (never past either start) to accept or decline. The new slot is
    not reserved: it must still be open when the student accepts."""
    now = _now(now)
    booking = _lock_booking(booking)
    if teacher.pk != booking.slot.teacher_id:
        raise Forbidden(message=_("Only the lesson's teacher can propose a new time."))
    if booking.status != Booking.Status.CONFIRMED:
        raise BookingNotConfirmed(details={"status": booking.status})
    if now >= booking.slot.start_at:
        raise BookingStarted()
    try:
        new_slot_id = int(new_slot_id)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(details={"new_slot_id": [_("A slot id is required.")]}) from exc
    if new_slot_id == booking.slot_id:
        raise InvalidInput(details={"new_slot_id": [_("Choose a different slot.")]})
    message = str(message or "").strip()
    if len(message) > PROPOSAL_MESSAGE_MAX_LENGTH:
        limit = {"limit": PROPOSAL_MESSAGE_MAX_LENGTH}
        raise InvalidInput(details={"message": [_("Keep the message under %(limit)d characters.") % limit]})
    new_slot = _lock_open_slot(_refuse_taken(new_slot_id, now=now), now=now, releasing_slot_id=booking.slot_id)
    if new_slot.teacher_id != teacher.pk:
        raise InvalidInput(details={"new_slot_id": [_("Propose one of your own open slots.")]})
    expires_at = min(now + timedelta(hours=settings.BOOKING_PROPOSAL_HOURS), booking.slot.start_at, new_slot.start_at)
    try:
        with transaction.atomic():
            proposal = MoveProposal.objects.create(
                booking=booking, new_slot=new_slot, message=message, expires_at=expires_at
            )
    except IntegrityError as exc:  # one pending proposal per booking
        raise ProposalPending() from exc
    change_record(
        actor=teacher, action="booking.move_proposed", entity=proposal, payload=_proposal_payload(proposal, booking)
    )
    return proposal


def _lock_proposal(proposal: MoveProposal) -> MoveProposal:
    return (
        MoveProposal.objects.select_for_update(of=("self",))
        .select_related("new_slot", "booking", "booking__slot")
        .get(pk=proposal.pk)
    )


def _answerable(proposal: MoveProposal, student, *, now: datetime) -> tuple[MoveProposal, Booking]:
    """The proposal and its booking, locked (the booking first, as a cancel
    locks it before withdrawing its proposals), when `student` may still
    answer it."""
    booking = _lock_booking(proposal.booking)
    proposal = _lock_proposal(proposal)
    if student.pk != booking.student_id:
        raise Forbidden(message=_("Only the lesson's student can answer this proposal."))
    if proposal.status != MoveProposal.Status.PENDING:
        raise ProposalClosed(details={"status": proposal.status})
    if now >= proposal.expires_at:
        raise ProposalClosed(details={"status": MoveProposal.Status.EXPIRED})
    return proposal, booking


@transaction.atomic
def move_proposal_accept(*, proposal: MoveProposal, student, now: datetime | None = None) -> Booking:
    """The student accepts: the booking moves to the proposed slot and the
    package is unchanged (the old lesson goes back, the new one is taken).
    Returns the booking at the new time."""
    now = _now(now)
    proposal, booking = _answerable(proposal, student, now=now)
    new_slot = _lock_open_slot(_refuse_taken(proposal.new_slot_id, now=now), now=now, releasing_slot_id=booking.slot_id)
    successor = _move_locked(booking, new_slot, actor=student, now=now, canceled_by=booking.slot.teacher)
    proposal.status, proposal.answered_at, proposal.moved_to = MoveProposal.Status.ACCEPTED, now, successor
    proposal.save(update_fields=["status", "answered_at", "moved_to", "updated_at"])
    change_record(
        actor=student,
        action="booking.move_accepted",
        entity=proposal,
        payload=_proposal_payload(proposal, booking, moved_to=successor.pk),
    )
    return successor


@transaction.atomic
def move_proposal_decline(*, proposal: MoveProposal, student, now: datetime | None = None) -> MoveProposal:
    """The student declines: the booking stays as it was; the teacher is told."""
    now = _now(now)
    proposal, booking = _answerable(proposal, student, now=now)
    proposal.status, proposal.answered_at = MoveProposal.Status.DECLINED, now
    proposal.save(update_fields=["status", "answered_at", "updated_at"])
    change_record(
        actor=student, action="booking.move_declined", entity=proposal, payload=_proposal_payload(proposal, booking)
    )
    return proposal


def move_proposals_expire(*, now: datetime | None = None) -> int:
    """The periodic step: proposals not answered by their time expire (the
    bookings stay as they were) and both sides are told, once each."""
    now = _now(now)
    expired = 0
    due = MoveProposal.objects.filter(status=MoveProposal.Status.PENDING, expires_at__lte=now)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            changed = MoveProposal.objects.filter(pk=pk, status=MoveProposal.Status.PENDING).update(
                status=MoveProposal.Status.EXPIRED, answered_at=now, updated_at=now
            )
            if changed:
                proposal = MoveProposal.objects.select_related("new_slot", "booking__slot").get(pk=pk)
                change_record(
                    actor=None,
                    action="booking.move_expired",
                    entity=proposal,
                    payload=_proposal_payload(proposal, proposal.booking),
                )
                expired += 1
    return expired


# --- weekly series -------------------------------------------------------------------------


def _series_payload(series: Series, **extra) -> dict:
    return {
        "series_id": series.pk,
        "student_id": series.student_id,
        "teacher_id": series.teacher_id,
        "timezone": series.timezone,
        "weekday": series.weekday,
        "local_time": series.local_time.isoformat(timespec="minutes"),
        "first_date": series.first_date.isoformat(),
        "weeks": series.weeks,
        "until": series.until.isoformat() if series.until else None,
        "open_ended": series.open_ended,
        **extra,
    }


def _series_terms(*, weeks, until, open_ended: bool, first_date) -> tuple[int | None, object, bool]:
    """Exactly one way for the series to end, within SERIES_MAX_WEEKS."""
    given = [weeks is not None, until is not None, bool(open_ended)]
    if sum(given) != 1:
        message = _("Give the number of weeks, a last date, or make the series open-ended: one of them.")
        raise InvalidInput(details={"weeks": [message]})
    limit = selectors.SERIES_MAX_WEEKS
    if weeks is not None:
        try:
            weeks = int(weeks)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(details={"weeks": [_("A whole number of weeks is required.")]}) from exc
        if not 2 <= weeks <= limit:
            message = _("A series lasts from 2 to %(max)d weeks.") % {"max": limit}
            raise InvalidInput(details={"weeks": [message]})
    if until is not None:
        if until < first_date + timedelta(weeks=1):
            raise InvalidInput(details={"until": [_("The last date must be at least a week after the first lesson.")]})
        if until > first_date + timedelta(weeks=limit - 1):
            message = _("A series lasts at most %(max)d weeks.") % {"max": limit}
            raise InvalidInput(details={"until": [message]})
    return weeks, until, bool(open_ended)


def _book_week(series: Series, week, *, now: datetime) -> Booking | None:
    """Book one week of a series as a hold made and confirmed at once; None
    when its slot was taken meanwhile (another student's series got it).
    The caller holds the teacher's lock (`teacher_rules_lock`), so the slot's
    active bookings, read under it by `_take_slot`, decide at once: no
    unlocked hint first."""
    try:
        with transaction.atomic(), records_batched():
            slot = _lock_open_slot(week.slot.pk, now=now, taking=True, rules_locked=True)
            offer = waitlist.slot_open_offer(slot=slot, student=series.student, now=now)
            booking = _take_slot(
                student=series.student,
                slot=slot,
                now=now,
                status=Booking.Status.HOLD,
                hold_expires_at=_hold_expiry(now),
                series=series,
            )
            if offer is not None:
                waitlist.offer_settle(offer=offer, booking=booking, now=now)
            return _confirm_locked(booking, actor=series.student, now=now)
    except (SlotUnavailable, SlotTooSoon, SlotBuffer, NotFound):
        return None


def _lessons_left(student, *, now: datetime) -> int:
    """The student's lessons left in usable packages, those packages locked
    (as a hold and a confirm lock them)."""
    usable = billing_selectors.packages_usable(student=student, now=now).select_for_update(no_key=True)
    return sum(usable.values_list("lessons_left", flat=True))


@transaction.atomic
def series_book(
    *,
    student,
    slot_id,
    weeks: int | None = None,
    until=None,
    open_ended: bool = False,
    now: datetime | None = None,
) -> tuple[Series, list, list[Booking]]:
    """A weekly series from an open slot: the same weekday and local time with
    the same teacher, for `weeks` weeks, until a date, or open-ended (the
    next SERIES_AHEAD_WEEKS now; `series_extend` books on). Every bookable
    week is booked as a confirmed lesson, each taking one lesson from the
    package; the student must have a lesson for each (`series_exceeds_package`),
    except open-ended, which books what the package allows. Weeks taken
    meanwhile by another student's series are left out. Returns the series,
    its weeks as seen now (each bookable or not, with the reason) and the
    bookings made."""
    now = _now(now)
    if not student.is_student:
        raise Forbidden(message=_("Only students can book lessons."))
    verification.require_verified(student)
    start = selectors.series_start(slot_id=slot_id)
    first_date = start.local.date()
    weeks, until, open_ended = _series_terms(weeks=weeks, until=until, open_ended=open_ended, first_date=first_date)
    plan = selectors.series_plan(start=start, weeks=weeks, until=until, now=now)
    bookable = [week for week in plan if week.bookable]
    if not bookable:
        raise SeriesNothingBookable()
    # the teacher's lock once for every week, before the packages' as a hold takes them
    scheduling_selectors.teacher_rules_lock(teacher_id=start.slot.teacher_id)
    left = _lessons_left(student, now=now)
    if not left:
        raise NoActivePackage()
    if not open_ended and left < len(bookable):
        raise SeriesLongerThanPackage(details={"lessons_left": left, "bookable_weeks": len(bookable)})
    series = Series.objects.create(
        student=student,
        teacher=start.slot.teacher,
        timezone=start.zone.key,
        weekday=start.local.weekday(),
        local_time=start.local.time(),
        minutes=start.minutes,
        first_date=first_date,
        weeks=weeks,
        until=until,
        open_ended=open_ended,
        looked_through=plan[-1].local_date if open_ended else None,
    )
    with records_batched():  # every week's records and the series' in one INSERT each
        booked = []
        for week in bookable[:left]:
            booking = _book_week(series, week, now=now)
            if booking is None:
                week.reason = selectors.TAKEN
            else:
                booked.append(booking)
        for week in bookable[left:]:
            week.reason = selectors.NO_LESSON
        if not booked:
            raise SeriesNothingBookable()  # every week went to someone else meanwhile: nothing is kept
        change_record(
            actor=student,
            action="booking.series.created",
            entity=series,
            payload=_series_payload(
                series,
                booking_ids=[booking.pk for booking in booked],
                booked=[booking.slot.start_at.isoformat() for booking in booked],
                skipped=[
                    {"date": week.local_date.isoformat(), "reason": week.reason} for week in plan if not week.bookable
                ],
            ),
        )
    return series, plan, booked


@transaction.atomic
def series_cancel(*, series: Series, actor, from_booking_id, now: datetime | None = None) -> list[Booking]:
    """Cancel this occurrence and all later ones (the student, the teacher or
    staff who cancel for students): each by the usual rule (the student's
    lesson comes back more than BOOKING_REFUND_WINDOW_HOURS ahead), and the
    series ends. Returns the canceled bookings."""
    now = _now(now)
    series = Series.objects.select_for_update().get(pk=series.pk)
    if actor.pk not in (series.student_id, series.teacher_id):
        capabilities.require(actor, Capability.CANCEL_FOR_STUDENTS)
    start = series.bookings.filter(pk=object_id(from_booking_id)).values_list("slot__start_at", flat=True).first()
    if start is None:
        raise InvalidInput(details={"from_booking_id": [_("Choose a lesson of this series.")]})
    canceled = []
    later = series.bookings.filter(slot__start_at__gte=start, status__in=Booking.ACTIVE_STATUSES).order_by(
        "slot__start_at"
    )
    for booking in later:
        booking = _lock_booking(booking)
        if booking.status == Booking.Status.CONFIRMED and now >= booking.slot.start_at:
            continue  # begun already: it stays
        if not booking.takes_slot(now=now):
            continue
        canceled.append(_cancel_locked(booking, actor=actor, now=now, with_series=True))
        waitlist.slot_offer_next(slot_id=booking.slot_id, now=now)
    series.status, series.ended_at = Series.Status.CANCELED, now
    series.save(update_fields=["status", "ended_at", "updated_at"])
    change_record(
        actor=actor,
        action="booking.series.canceled",
        entity=series,
        payload=_series_payload(
            series,
            from_booking_id=int(from_booking_id),
            canceled=[booking.slot.start_at.isoformat() for booking in canceled],
            lessons_returned=sum(1 for booking in canceled if booking.lesson_returned),
        ),
    )
    return canceled


LOW_LESSONS = 2  # an open-ended series warns when its package has this many lessons left, or fewer


def series_extend(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic step for open-ended series: book each one's weeks up to
    SERIES_AHEAD_WEEKS ahead, as the teacher's slots and the student's
    package allow. Idempotent: each week is looked at once (`looked_through`),
    booked or found unbookable and told. Each run
    that had a week to book writes one event per series (the weeks booked,
    those that could not be, and the lessons left), which tells the student
    when a week was missed or the package is about to run out."""
    now = _now(now)
    result = {"series": 0, "booked": 0, "missed": 0}
    for series_id in Series.objects.filter(status=Series.Status.ACTIVE, open_ended=True).values_list("pk", flat=True):
        with transaction.atomic():
            booked, missed = _series_extend_one(series_id, now=now)
        result["series"] += 1
        result["booked"] += booked
        result["missed"] += missed
    return result


def _series_extend_one(series_id: int, *, now: datetime) -> tuple[int, int]:
    series = Series.objects.select_for_update().select_related("student", "teacher").get(pk=series_id)
    if series.status != Series.Status.ACTIVE:
        return 0, 0
    zone = ZoneInfo(series.timezone)
    today = now.astimezone(zone).date()
    ahead = today + timedelta(weeks=selectors.SERIES_AHEAD_WEEKS)
    first = max(series.first_date, today - timedelta(days=(today.weekday() - series.weekday) % 7))
    count = (ahead - first).days // 7 + 1
    plan = selectors.series_weeks(
        teacher=series.teacher,
        zone=zone,
        weekday_date=first,
        local_time=series.local_time,
        minutes=series.minutes,
        count=count,
        now=now,
    )
    handled = set(series.bookings.values_list("slot__start_at", flat=True))
    seen = series.looked_through or series.first_date
    todo = [
        week
        for week in plan
        if week.local_date > seen and week.start_at not in handled and (week.start_at is None or week.start_at > now)
    ]
    if not todo:
        return 0, 0
    series.looked_through = plan[-1].local_date
    series.save(update_fields=["looked_through", "updated_at"])
    # the teacher's lock once for every week, before the packages' as a hold takes them
    scheduling_selectors.teacher_rules_lock(teacher_id=series.teacher_id)
    left = _lessons_left(series.student, now=now)
    booked: list[Booking] = []
    missed: list = []
    for week in todo:
        if week.bookable and left > len(booked):  # each week is tried once: a missed one is told, not retried
            booking = _book_week(series, week, now=now)
            if booking is not None:
                booked.append(booking)
                continue
            week.reason = selectors.TAKEN
        elif week.bookable:
            week.reason = selectors.NO_LESSON
        missed.append(week)
    lessons_left = left - len(booked)
    change_record(
        actor=None,
        action="booking.series.extended",
        entity=series,
        payload=_series_payload(
            series,
            booking_ids=[booking.pk for booking in booked],
            booked=[booking.slot.start_at.isoformat() for booking in booked],
            missed=[{"date": week.local_date.isoformat(), "reason": week.reason} for week in missed],
            lessons_left=lessons_left,
            low=lessons_left <= LOW_LESSONS,
        ),
    )
    return len(booked), len(missed)
