from django.utils.translation import gettext_lazy as _

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
