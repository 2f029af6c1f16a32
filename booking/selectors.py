from __future__ import annotations

from datetime import datetime

from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.functions import Now
from django.utils import timezone

from booking.models import Booking
from guitaronline.core.errors import NotFound


def with_effective_status(bookings: QuerySet[Booking], *, now: datetime | None = None) -> QuerySet[Booking]:
    """Annotate `effective_status`: a hold past its expiry reads as expired
    wherever it is shown, before the periodic job has persisted it."""
    moment = Value(now) if now is not None else Now()
    return bookings.annotate(
        effective_status=Case(
            When(Q(status=Booking.Status.HOLD) & Q(hold_expires_at__lte=moment), then=Value(Booking.Status.EXPIRED)),
            default=F("status"),
        )
    )


def _base() -> QuerySet[Booking]:
    return Booking.objects.select_related(
        "slot", "slot__teacher", "slot__teacher__teacher_profile", "student", "rescheduled_to"
    )


def bookings_for_user(*, user, status: str | None = None, now: datetime | None = None) -> QuerySet[Booking]:
    """A student's own bookings; for a teacher, the bookings of their slots."""
    bookings = with_effective_status(_base().filter(Q(student=user) | Q(slot__teacher=user)), now=now)
    if status:
        bookings = bookings.filter(effective_status=status)
    return bookings.order_by("-created_at", "-id")


def booking_for_user(*, user, booking_id) -> Booking:
    """The booking's student, the slot's teacher or staff may see it; anyone
    else gets not-found."""
    bookings = _base()
    if not user.is_staff:
        bookings = bookings.filter(Q(student=user) | Q(slot__teacher=user))
    try:
        return with_effective_status(bookings).get(pk=int(booking_id))
    except (Booking.DoesNotExist, TypeError, ValueError) as exc:
        raise NotFound() from exc


def holds_stale(*, now: datetime | None = None) -> QuerySet[Booking]:
    """Holds past their expiry that the periodic job has not persisted yet."""
    return Booking.objects.filter(status=Booking.Status.HOLD, hold_expires_at__lte=now or timezone.now())
