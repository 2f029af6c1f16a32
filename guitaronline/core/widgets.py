"""Form widgets the browser's own pickers serve. An `<input type="date">`
only shows a value in ISO form (2026-12-05), whatever the page's language;
each widget renders its value so."""

from __future__ import annotations

from django import forms


class DatePicker(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TimePicker(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")
