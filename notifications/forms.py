from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications import preferences


def _field(kind: str, channel: str) -> str:
    return f"{kind}__{channel}"


class PreferencesForm(forms.Form):
    """One checkbox per kind and channel offered, and the reminder times."""

    reminder_hours = forms.TypedMultipleChoiceField(
        label=_("Remind me"),
        required=False,
        coerce=int,
        choices=list(preferences.REMINDER_HOURS.items()),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        self.summary = summary = preferences.summary(user)
        self.channels = list(next(iter(summary["kinds"].values())))
        initial = {"reminder_hours": summary["reminder_hours"]}
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for kind, label in preferences.KINDS.items():
            for channel in self.channels:
                name = _field(kind, channel)
                self.fields[name] = forms.BooleanField(label=label, required=False)
                self.initial[name] = summary["kinds"][kind][channel]

    def rows(self):
        """(label, [(channel label, bound checkbox)]) per kind, for the table."""
        return [
            (
                label,
                [(preferences.CHANNEL_LABELS[channel], self[_field(kind, channel)]) for channel in self.channels],
            )
            for kind, label in preferences.KINDS.items()
        ]

    def channel_labels(self):
        return [preferences.CHANNEL_LABELS[channel] for channel in self.channels]

    def save(self) -> dict:
        data = self.cleaned_data
        kinds = {
            kind: {channel: data[_field(kind, channel)] for channel in self.channels} for kind in preferences.KINDS
        }
        return preferences.preferences_update(user=self.user, kinds=kinds, reminder_hours=data["reminder_hours"])
