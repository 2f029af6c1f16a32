"""Scheduling errors with stable codes (the API maps them to the single error shape)."""

from django.utils.translation import gettext_lazy as _

from guitaronline.core.errors import Conflict, Forbidden, InvalidInput


class NotATeacher(Forbidden):
    code = "not_a_teacher"
    default_message = _("Only teachers can manage slots.")


class SlotStartInPast(InvalidInput):
    """A new slot (or its start) lies in the past: the input is wrong."""

    code = "slot_in_past"
    default_message = _("A slot cannot start in the past.")


class SlotTooFarAhead(InvalidInput):
    """A new slot starts later than SCHEDULING_MAX_DAYS_AHEAD days from now."""

    code = "slot_too_far_ahead"
    default_message = _("This slot starts too far ahead.")


class SlotInPast(Conflict):
    """An existing slot has already started, so it can no longer be changed."""

    code = "slot_in_past"
    default_message = _("This slot has already started.")


class SlotOverlap(Conflict):
    code = "slot_overlap"
    default_message = _("This slot overlaps another of your slots.")


class TimeOffOverlap(Conflict):
    code = "time_off_overlap"
    default_message = _("These days overlap time off you have already entered.")


class SlotInTimeOff(Conflict):
    code = "slot_in_time_off"
    default_message = _("This slot falls in your time off.")
