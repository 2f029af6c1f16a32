"""Forms of the student's booking pages: they parse input, nothing more.
The rules live in booking.services and the selectors."""

from __future__ import annotations

from datetime import date
from typing import cast

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from booking.models import WaitlistEntry
from guitaronline.core.times import in_zone
from guitaronline.core.widgets import DatePicker

# Weeks far outside any schedule are refused, so date arithmetic never overflows.
_FIRST_WEEK = date(2000, 1, 1)
_LAST_WEEK = date(9000, 1, 1)


class WeekForm(forms.Form):
    """`?week=YYYY-MM-DD`: any day of the week to show."""

    week = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        validators=[MinValueValidator(_FIRST_WEEK), MaxValueValidator(_LAST_WEEK)],
    )

    def week_or_none(self) -> date | None:
        """The asked-for day, or None (this week) when missing or malformed."""
        return self.cleaned_data.get("week") if self.is_valid() else None


class TeacherFilterForm(forms.Form):
    """The teacher directory's filters (GET)."""

    style = forms.CharField(
        label=_("Style"),
        required=False,
        max_length=50,
        help_text=_("e.g. rock, blues, fingerstyle"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    q = forms.CharField(
        label=_("Teacher's name"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )

    def filters(self) -> dict[str, str | None]:
        if not self.is_valid():
            return {"style": None, "search": None}
        return {"style": self.cleaned_data["style"].strip() or None, "search": self.cleaned_data["q"].strip() or None}


class SlotChoiceForm(forms.Form):
    """The slot picked on a teacher page (hold) or on the reschedule page."""

    slot = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    week = forms.DateField(
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.HiddenInput,
        validators=[MinValueValidator(_FIRST_WEEK), MaxValueValidator(_LAST_WEEK)],
    )


class WaitlistJoinForm(forms.Form):
    """Join a teacher's waitlist: any time, or a weekday and/or a time window
    in the student's own zone. The rules (a valid window, no duplicate) live
    in booking.waitlist."""

    weekday = forms.TypedChoiceField(
        label=_("Day"),
        choices=[("", _("Any day")), *WaitlistEntry.Weekday.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    start_time = forms.TimeField(
        label=_("From"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    end_time = forms.TimeField(
        label=_("Until"),
        required=False,
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )


class TeacherCancelForm(forms.Form):
    """The teacher's reason for canceling a lesson; the service checks it."""

    reason = forms.CharField(
        label=_("Why is the lesson canceled?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The student reads it in the message that tells them of the cancellation."),
    )


class TimeOffForm(forms.Form):
    """Days off (the teacher's own calendar); the service checks them."""

    start_date = forms.DateField(label=_("First day"), widget=DatePicker())
    end_date = forms.DateField(label=_("Last day"), widget=DatePicker())
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=200, help_text=_("For the school; students do not see it.")
    )


class MoveProposalForm(forms.Form):
    """The new time a teacher proposes (one of `slots`) and a word to the student."""

    new_slot = forms.TypedChoiceField(label=_("New time"), coerce=int, widget=forms.RadioSelect)
    message = forms.CharField(
        label=_("Message to the student"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, slots=(), **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["new_slot"]).choices = [(slot.pk, _slot_label(slot)) for slot in slots]


def _slot_label(slot) -> str:
    start, end = in_zone(slot.start_at), in_zone(slot.end_at)
    return f"{date_format(start, 'l, j E, H:i')}–{date_format(end, 'H:i')}"


class SeriesForm(forms.Form):
    """A weekly series from an open slot: for some weeks, until a date, or open-ended."""

    FOR_WEEKS, UNTIL, OPEN_ENDED = "weeks", "until", "open"
    slot = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    length = forms.ChoiceField(
        label=_("How long"),
        choices=[
            (FOR_WEEKS, _("For a number of weeks")),
            (UNTIL, _("Until a date")),
            (OPEN_ENDED, _("Open-ended, while my package lasts")),
        ],
        widget=forms.RadioSelect,
        initial=FOR_WEEKS,
    )
    weeks = forms.IntegerField(label=_("Weeks"), required=False, min_value=2, max_value=52, initial=8)
    until = forms.DateField(label=_("Last date"), required=False, widget=DatePicker())

    def terms(self) -> dict:
        """The service's terms: exactly one of weeks, until, open_ended."""
        length = self.cleaned_data["length"]
        if length == self.FOR_WEEKS:
            return {"weeks": self.cleaned_data.get("weeks") or self.fields["weeks"].initial}
        if length == self.UNTIL:
            return {"until": self.cleaned_data.get("until")}
        return {"open_ended": True}

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("length") == self.UNTIL and not data.get("until"):
            self.add_error("until", _("Choose the last date."))
        return data
