"""Schedule page forms: they parse what the teacher typed into the service's
arguments (local wall-clock times in the teacher's zone become aware
datetimes); the rules (lengths, overlap, past, number of weeks) stay in
`scheduling.services`, whose errors `guitaronline.core.pages.form_errors`
puts on the form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from guitaronline.core.times import local_to_utc
from guitaronline.core.widgets import DatePicker, TimePicker
from scheduling import services


class SlotForm(forms.Form):
    """One slot on a date, from a start to an end time in the teacher's zone."""

    date = forms.DateField(label=_("Date"), widget=DatePicker())
    start_time = forms.TimeField(label=_("Start time"), widget=TimePicker())
    end_time = forms.TimeField(label=_("End time"), widget=TimePicker())

    # service argument -> form field, for the service's field errors
    service_fields = {"start_at": "start_time", "end_at": "end_time"}

    def __init__(self, *args, zone: dt.tzinfo, **kwargs):
        self.zone = zone
        super().__init__(*args, **kwargs)

    def _aware(self, day: dt.date, at: dt.time, field: str) -> dt.datetime | None:
        as_utc = local_to_utc(dt.datetime.combine(day, at), self.zone)
        if as_utc is None:
            self.add_error(
                field,
                _("This time does not exist on that day in your time zone (the clocks are put forward)."),
            )
        return as_utc

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        day, start, end = cleaned.get("date"), cleaned.get("start_time"), cleaned.get("end_time")
        if day is not None and start is not None and end is not None:
            try:
                cleaned["start_at"] = self._aware(day, start, "start_time")
                cleaned["end_at"] = self._aware(day, end, "end_time")
            except OverflowError:  # e.g. 31 December 9999 west of UTC: no datetime holds it in UTC
                self.add_error("date", _("This date is too far from today."))
        return cleaned


class RecurringForm(forms.Form):
    """Weekly availability: a weekday, a window of local time, a slot length and a number of weeks."""

    weekday = forms.TypedChoiceField(
        label=_("Weekday"), coerce=int, choices=[(number, name) for number, name in WEEKDAYS.items()]
    )
    start_time = forms.TimeField(label=_("From"), widget=TimePicker())
    end_time = forms.TimeField(label=_("Until"), widget=TimePicker())
    slot_minutes = forms.IntegerField(
        label=_("Slot length, minutes"),
        initial=60,
        widget=forms.NumberInput(attrs={"min": services.SLOT_MIN_MINUTES, "max": services.SLOT_MAX_MINUTES}),
    )
    weeks = forms.IntegerField(
        label=_("Number of weeks"),
        initial=8,
        help_text=_("Starting with the current week."),
        widget=forms.NumberInput(attrs={"min": 1, "max": services.RECURRING_MAX_WEEKS}),
    )

    service_fields: dict[str, str] = {}
