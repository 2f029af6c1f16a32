"""The waitlist: students wait for a teacher's slot; freed slots are offered
to them one at a time, in the order they joined.

A slot is offered when it becomes available after an entry joined: a booking
of it is canceled, a hold on it expires, or it is a new slot (picked up by the
periodic `waitlist_offers_advance`). Each slot has at most one open offer, to
the first waiting entry whose window matches; each entry has at most one open
offer at a time and is offered a given slot at most once. While an offer is
open (and not past `expires_at`) the slot is reserved for its student:
`booking.services.booking_hold` refuses anyone else. An offer is accepted when
its student holds the slot, lapses after WAITLIST_OFFER_MINUTES and then
passes to the next entry, and is withdrawn when its entry leaves or the slot
can no longer be held. An entry leaves the waitlist when its student leaves it
or confirms a booking made through an offer.

Every state change writes an audit record and an outbox event
(`booking.waitlist.joined|left|offered|lapsed|accepted|withdrawn`) in its
transaction. `booking.services` calls the hooks here; this module never
imports it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, DateTimeField, Exists, F, OuterRef, Q, QuerySet, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import selectors as account_selectors
from accounts import verification
from audit.services import change_record
from billing import selectors as billing_selectors
from booking import selectors
from booking.errors import SlotUnavailable
from booking.models import Booking, BookingQuerySet, WaitlistEntry, WaitlistOffer
from guitaronline.core.errors import Conflict, Forbidden, InvalidInput
from scheduling import selectors as scheduling_selectors
from scheduling.models import Slot

OPEN = WaitlistOffer.Status.OFFERED
MAX_ACTIVE_ENTRIES = 20


class AlreadyWaitlisted(Conflict):
    code = "already_on_waitlist"
    default_message = gettext_lazy("You are already on this waitlist with this time window.")


class WaitlistLimitReached(Conflict):
    code = "waitlist_limit_reached"
    default_message = gettext_lazy("You are on too many waitlists; leave one first.")


class WaitlistOfferClosed(Conflict):
    code = "waitlist_offer_closed"
    default_message = gettext_lazy("This offer is no longer open.")


def offer_minutes() -> int:
    return getattr(settings, "WAITLIST_OFFER_MINUTES", 30)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _entry_payload(entry: WaitlistEntry, **extra) -> dict:
    return {
        "entry_id": entry.pk,
        "student_id": entry.student_id,
        "teacher_id": entry.teacher_id,
        "weekday": entry.weekday,
        "start_time": entry.start_time.isoformat() if entry.start_time else None,
        "end_time": entry.end_time.isoformat() if entry.end_time else None,
        "timezone": entry.timezone,
        **extra,
    }


def _offer_payload(offer: WaitlistOffer, **extra) -> dict:
    return {
        "offer_id": offer.pk,
        "entry_id": offer.entry_id,
        "student_id": offer.entry.student_id,
        "teacher_id": offer.slot.teacher_id,
        "slot_id": offer.slot_id,
        "start_at": offer.slot.start_at.isoformat(),
        "end_at": offer.slot.end_at.isoformat(),
        "expires_at": offer.expires_at.isoformat(),
        "status": offer.status,
        **extra,
    }


# --- windows ------------------------------------------------------------------------


def slot_fits_window(*, entry: WaitlistEntry, start_at: datetime, end_at: datetime) -> bool:
    """Whether a slot lies in the entry's window, read on the wall clock of the
    entry's zone (DST-safe): on its weekday, if one is given, and wholly
    within [start_time, end_time] of the slot's local day, if a time is given."""
    zone = ZoneInfo(entry.timezone)
    start, end = start_at.astimezone(zone), end_at.astimezone(zone)
    if entry.weekday is not None and start.weekday() != entry.weekday:
        return False
    if entry.start_time is None or entry.end_time is None:  # no window (both or neither: a constraint)
        return True
    return start.time() >= entry.start_time and end.date() == start.date() and end.time() <= entry.end_time


def _check_window(weekday, start_time: time | None, end_time: time | None) -> None:
    errors = {}
    if weekday is not None and weekday not in WaitlistEntry.Weekday.values:
        errors["weekday"] = [_("Choose a day of the week.")]
    if (start_time is None) != (end_time is None):
        field = "end_time" if end_time is None else "start_time"
        errors[field] = [_("Give both ends of the time window, or neither.")]
    elif start_time is not None and end_time is not None and end_time <= start_time:
        errors["end_time"] = [_("The window must end after it starts.")]
    if errors:
        raise InvalidInput(details=errors)


# --- joining and leaving ----------------------------------------------------------------


@transaction.atomic
def waitlist_join(
    *,
    student,
    teacher_id,
    weekday: int | None = None,
    start_time: time | None = None,
    end_time: time | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put the student on a published teacher's waitlist, optionally for a
    weekday and a local time window in the student's zone."""
    if not student.is_student:
        raise Forbidden(message=_("Only students can join a waitlist."))
    verification.require_verified(student)
    profile = account_selectors.teacher_published_get(teacher_id=teacher_id)
    _check_window(weekday, start_time, end_time)
    window = {"weekday": weekday, "start_time": start_time, "end_time": end_time}
    mine = WaitlistEntry.objects.filter(student=student, active=True)
    if mine.filter(teacher_id=profile.pk, **window).exists():
        raise AlreadyWaitlisted()
    if mine.count() >= MAX_ACTIVE_ENTRIES:
        raise WaitlistLimitReached(details={"max": MAX_ACTIVE_ENTRIES})
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(
                student=student, teacher_id=profile.pk, timezone=student.timezone, **window
            )
    except IntegrityError as exc:  # a concurrent join of the same window: the constraint has the last word
        raise AlreadyWaitlisted() from exc
    change_record(actor=student, action="booking.waitlist.joined", entity=entry, payload=_entry_payload(entry))
    return entry


@transaction.atomic
def waitlist_leave(*, entry: WaitlistEntry, actor, now: datetime | None = None) -> WaitlistEntry:
    """The student leaves the waitlist; an open offer of theirs passes on to
    the next entry. Leaving twice is a no-op."""
    now = _now(now)
    entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if entry.student_id != actor.pk:
        raise Forbidden()
    if not entry.active:
        return entry
    entry.active = False
    entry.left_at = now
    entry.save(update_fields=["active", "left_at", "updated_at"])
    change_record(
        actor=actor, action="booking.waitlist.left", entity=entry, payload=_entry_payload(entry, reason="left")
    )
    for offer_id, slot_id in entry.offers.filter(status=OPEN).values_list("pk", "slot_id"):
        if _close(offer_id, status=WaitlistOffer.Status.WITHDRAWN, now=now, actor=actor, reason="entry_left"):
            slot_offer_next(slot_id=slot_id, now=now)
    return entry


# --- offers ------------------------------------------------------------------------------

_ACTIONS: dict[str, str] = {
    WaitlistOffer.Status.ACCEPTED: "booking.waitlist.accepted",
    WaitlistOffer.Status.LAPSED: "booking.waitlist.lapsed",
    WaitlistOffer.Status.WITHDRAWN: "booking.waitlist.withdrawn",
}


def _close(
    offer_id: int,
    *,
    status: str,
    now: datetime,
    actor=None,
    booking: Booking | None = None,
    only_if_due: bool = False,
    **extra,
) -> bool:
    """Compare-and-swap an open offer to `status` and record it; True if this call closed it."""
    offers = WaitlistOffer.objects.filter(pk=offer_id, status=OPEN)
    if only_if_due:
        offers = offers.filter(expires_at__lte=now)
    if not offers.update(status=status, closed_at=now, booking=booking, updated_at=now):
        return False
    offer = WaitlistOffer.objects.select_related("entry", "slot").get(pk=offer_id)
    if booking is not None:
        extra["booking_id"] = booking.pk
    change_record(actor=actor, action=_ACTIONS[status], entity=offer, payload=_offer_payload(offer, **extra))
    return True


def _freed_at(*, now: datetime) -> Subquery:
    """When a slot (OuterRef) last became free again: its latest canceled
    booking, or its latest hold that expired (persisted or not yet)."""
    freed = (
        Booking.objects.filter(slot=OuterRef("pk"))
        .annotate(
            freed=Case(
                When(status=Booking.Status.CANCELED, then=F("canceled_at")),
                When(
                    Q(status=Booking.Status.EXPIRED) | BookingQuerySet.dead_hold_q(now=now),
                    then=F("hold_expires_at"),
                ),
                output_field=DateTimeField(),
            )
        )
        .filter(freed__isnull=False)
        .order_by("-freed")
        .values("freed")[:1]
    )
    return Subquery(freed, output_field=DateTimeField())


def _available_since(slot: Slot) -> datetime:
    """A slot is offered to entries that joined before it became available:
    published (created) or freed again, whichever is later."""
    freed = getattr(slot, "freed_at", None)
    return max(slot.created_at, freed) if freed else slot.created_at


def _could_take(entry: WaitlistEntry, slot: Slot) -> bool:
    return entry.created_at <= _available_since(slot) and slot_fits_window(
        entry=entry, start_at=slot.start_at, end_at=slot.end_at
    )


def _waiting_entries(*, teacher_ids) -> QuerySet[WaitlistEntry]:
    """Active entries of these teachers in joining order, each with `busy`
    (it has an open offer already)."""
    return (
        WaitlistEntry.objects.filter(teacher_id__in=teacher_ids, active=True, student__is_active=True)
        .annotate(busy=Exists(WaitlistOffer.objects.filter(entry=OuterRef("pk"), status=OPEN)))
        .select_related("student")
        .order_by("created_at", "id")
    )


def _offer_expiry(slot: Slot, now: datetime) -> datetime:
    """WAITLIST_OFFER_MINUTES from now, but never past the last moment the slot can be held."""
    last_hold = slot.start_at - timedelta(hours=slot.teacher.teacher_profile.notice_hours)
    return min(now + timedelta(minutes=offer_minutes()), last_hold)


def slot_offer_next(*, slot_id, now: datetime) -> WaitlistOffer | None:
    """Offer a free slot to the first waiting entry that may take it, unless
    it is offered already. Locks the slot row (as a hold does), so an offer
    and a hold of one slot never interleave. Runs inside the caller's transaction."""
    slot = scheduling_selectors.live_slots().select_for_update(of=("self",)).filter(pk=slot_id).first()
    if slot is None:
        return None
    holdable = selectors.open_slots(teacher_id=slot.teacher_id, now=now).filter(pk=slot.pk)
    slot = holdable.annotate(freed_at=_freed_at(now=now)).first()
    if slot is None or WaitlistOffer.objects.filter(slot=slot, status=OPEN).exists():
        return None
    offered = set(WaitlistOffer.objects.filter(slot=slot).values_list("entry__student_id", flat=True))
    for entry in _waiting_entries(teacher_ids=[slot.teacher_id]):
        busy = entry.busy  # type: ignore[attr-defined]  # annotated by _waiting_entries
        if busy or entry.student_id in offered or not _could_take(entry, slot):
            continue
        if billing_selectors.package_usable(student=entry.student, now=now) is None:
            continue  # could not hold it: the next one gets the chance
        try:
            with transaction.atomic():
                offer = WaitlistOffer.objects.create(entry=entry, slot=slot, expires_at=_offer_expiry(slot, now))
        except IntegrityError:  # the entry got an open offer meanwhile
            continue
        offer.entry, offer.slot = entry, slot
        change_record(actor=None, action="booking.waitlist.offered", entity=offer, payload=_offer_payload(offer))
        return offer
    return None


def _offer_open_slots(*, now: datetime) -> int:
    """Offer open slots that became available after an entry joined and were
    not offered yet (new slots, and freed slots nobody could take then)."""
    entries_by_teacher: dict[int, list[WaitlistEntry]] = defaultdict(list)
    teacher_ids = WaitlistEntry.objects.filter(active=True).values("teacher_id").distinct()
    for entry in _waiting_entries(teacher_ids=teacher_ids):
        entries_by_teacher[entry.teacher_id].append(entry)
    offered = 0
    for teacher_id, entries in entries_by_teacher.items():
        busy = {entry.pk for entry in entries if entry.busy}  # type: ignore[attr-defined]  # _waiting_entries
        slots = (
            selectors.open_slots(teacher_id=teacher_id, now=now)
            .exclude(Exists(WaitlistOffer.objects.filter(slot=OuterRef("pk"), status=OPEN)))
            .annotate(freed_at=_freed_at(now=now))
        )
        done = set(
            WaitlistOffer.objects.filter(slot__teacher_id=teacher_id, slot__start_at__gt=now).values_list(
                "slot_id", "entry__student_id"
            )
        )
        for slot in slots:
            if not any(
                entry.pk not in busy and (slot.pk, entry.student_id) not in done and _could_take(entry, slot)
                for entry in entries
            ):
                continue
            with transaction.atomic():
                offer = slot_offer_next(slot_id=slot.pk, now=now)
            if offer is not None:
                offered += 1
                busy.add(offer.entry_id)
    return offered


def waitlist_offers_advance(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic step: lapse offers past their time and pass each slot on,
    withdraw offers of slots that can no longer be held, and offer open slots
    that match waiting entries (this is how new slots reach the waitlist)."""
    now = _now(now)
    result = {"lapsed": 0, "withdrawn": 0, "offered": 0}
    due = WaitlistOffer.objects.filter(status=OPEN, expires_at__lte=now).order_by("expires_at", "id")
    for offer_id, slot_id in list(due.values_list("pk", "slot_id")):
        with transaction.atomic():
            if _close(offer_id, status=WaitlistOffer.Status.LAPSED, now=now, only_if_due=True):
                result["lapsed"] += 1
                if slot_offer_next(slot_id=slot_id, now=now) is not None:
                    result["offered"] += 1
    holdable = selectors.open_slots(now=now).values("pk")
    for offer_id in list(
        WaitlistOffer.objects.filter(status=OPEN).exclude(slot__in=holdable).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            if _close(offer_id, status=WaitlistOffer.Status.WITHDRAWN, now=now, reason="slot_unavailable"):
                result["withdrawn"] += 1
    result["offered"] += _offer_open_slots(now=now)
    return result


# --- hooks of the booking services ----------------------------------------------------------


def slot_open_offer(*, slot: Slot, student, now: datetime) -> WaitlistOffer | None:
    """The slot's open offer, if any, for a hold or reschedule onto a locked
    slot. Refuses (`slot_unavailable`) while the offer reserves the slot for
    another student; an offer past its time reserves nothing.

    Offers are made under the slot's row lock (`slot_offer_next`), which the
    caller holds: when the cheap EXISTS finds none, none can appear before the
    caller commits. Most slots have none, so the offer is read only if it exists."""
    open_offers = WaitlistOffer.objects.filter(slot=slot, status=OPEN)
    if not open_offers.exists():
        return None
    offer = open_offers.select_related("entry").first()
    if offer is not None and offer.expires_at > now and offer.entry.student_id != student.pk:
        raise SlotUnavailable()
    return offer


def offer_settle(*, offer: WaitlistOffer, booking: Booking, now: datetime) -> None:
    """The slot of an open offer was just taken by `booking`: the offer is
    accepted when its own student took it, else it had lapsed."""
    if offer.entry.student_id == booking.student_id:
        if _close(offer.pk, status=WaitlistOffer.Status.ACCEPTED, now=now, actor=booking.student, booking=booking):
            offer.status = WaitlistOffer.Status.ACCEPTED
            offer.booking = booking  # as the rows now say; a one-to-one also sets `booking.waitlist_offer`
    else:
        _close(offer.pk, status=WaitlistOffer.Status.LAPSED, now=now)


def entry_leave_after_booking(*, booking: Booking, actor, now: datetime) -> None:
    """A booking made through an offer is confirmed: its entry has been served
    and leaves the waitlist (the student may join again, at the back).
    Reads `booking.waitlist_offer` (a booking has at most one offer), which
    `booking.services` loads with the locked booking."""
    offer = getattr(booking, "waitlist_offer", None)
    if offer is None or offer.status != WaitlistOffer.Status.ACCEPTED:
        return
    if WaitlistEntry.objects.filter(pk=offer.entry_id, active=True).update(active=False, left_at=now, updated_at=now):
        entry = WaitlistEntry.objects.get(pk=offer.entry_id)
        change_record(
            actor=actor,
            action="booking.waitlist.left",
            entity=entry,
            payload=_entry_payload(entry, reason="booked", booking_id=booking.pk, offer_id=offer.pk),
        )
