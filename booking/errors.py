"""Booking errors with stable codes (the API maps them to the single error shape)."""

from django.utils.translation import gettext_lazy as _

from billing.errors import BUY_LESSONS
from guitaronline.core.errors import Conflict


class HoldExpired(Conflict):
    code = "hold_expired"
    default_message = _("The hold has expired; hold the slot again.")


class BookingNotActive(Conflict):
    code = "booking_not_active"
    default_message = _("This booking is no longer active.")


class BookingNotConfirmed(Conflict):
    code = "booking_not_confirmed"
    default_message = _("Only a confirmed booking can be rescheduled.")


class BookingStarted(Conflict):
    code = "booking_started"
    default_message = _("The lesson has already started.")


class BookingRescheduled(Conflict):
    """A reschedule of a booking already moved, to another slot than the
    first time; details name the booking it was moved to."""

    code = "booking_rescheduled"
    default_message = _("This booking has already been moved to another time.")


class HoldLimitReached(Conflict):
    """More live holds than lessons left in the student's packages."""

    code = "hold_limit_reached"
    default_message = _(
        "You are already holding as many lessons as you have left in your packages. Confirm or release a hold, "
        "or buy a lesson package to book more."
    )
    link = BUY_LESSONS


class SlotInUse(Conflict):
    code = "slot_in_use"
    default_message = _("This slot is held or booked by a student.")


class SlotUnavailable(Conflict):
    """A slot that exists but cannot be held: taken, or its teacher is not bookable."""

    code = "slot_unavailable"
    default_message = _("This slot is already taken or no longer available.")


class SlotTooSoon(Conflict):
    """A slot starting within the minimum notice (or already started)."""

    code = "slot_too_soon"
    default_message = _("This lesson starts too soon to be booked.")


class SlotBuffer(Conflict):
    """A slot starting or ending within the teacher's buffer of another of
    their lessons (a confirmed booking or a live hold)."""

    code = "slot_buffer"
    default_message = _("Too close to another lesson of this teacher.")


class ProposalPending(Conflict):
    code = "proposal_pending"
    default_message = _("A new time for this lesson is already proposed; wait for the student's answer.")


class ProposalClosed(Conflict):
    """The proposal was answered already, or its time to answer is over; details give its status."""

    code = "proposal_closed"
    default_message = _("This proposal has already been answered or has run out.")


class SeriesLongerThanPackage(Conflict):
    """More bookable weeks than lessons left; details give both."""

    code = "series_exceeds_package"
    default_message = _(
        "You have fewer lessons left than the weeks of this series. Buy a package, or book fewer weeks."
    )
    link = BUY_LESSONS


class SeriesNothingBookable(Conflict):
    code = "series_nothing_bookable"
    default_message = _("None of these weeks can be booked now.")
