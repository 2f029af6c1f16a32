"""Lesson page forms: they parse input for `lessons.services`; the rules
(who may mark, when, text lengths) stay in the services."""

from __future__ import annotations

from typing import cast

from django import forms
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from lessons.models import HomeworkItem, Lesson
from lessons.selectors import PAST, UPCOMING
from lessons.services import HOMEWORK_DETAILS_MAX_LENGTH, HOMEWORK_TITLE_MAX_LENGTH, TEXT_MAX_LENGTH


def _label(field: str):
    """The model field's (translated) name as a form label."""
    return capfirst(cast(models.Field, Lesson._meta.get_field(field)).verbose_name)


def _text_input(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "maxlength": TEXT_MAX_LENGTH})


class PeriodForm(forms.Form):
    """`?when=upcoming|past` on the lesson list."""

    when = forms.ChoiceField(choices=[(UPCOMING, UPCOMING), (PAST, PAST)], required=False)

    def period(self) -> str:
        if not self.is_valid():
            return UPCOMING
        return self.cleaned_data["when"] or UPCOMING


class LessonMarkForm(forms.Form):
    """The teacher marks a started lesson completed or no-show, with notes and homework."""

    status = forms.ChoiceField(
        label=_("How did the lesson go?"),
        choices=[
            (Lesson.Status.COMPLETED, capfirst(Lesson.Status.COMPLETED.label)),
            (Lesson.Status.NO_SHOW, capfirst(Lesson.Status.NO_SHOW.label)),
        ],
        initial=Lesson.Status.COMPLETED,
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(label=_label("notes"), required=False, widget=_text_input())
    homework = forms.CharField(label=_label("homework"), required=False, widget=_text_input())


class LessonNotesForm(forms.Form):
    """The teacher's notes, homework and meeting link, at any time before a cancel."""

    notes = forms.CharField(label=_label("notes"), required=False, widget=_text_input())
    homework = forms.CharField(label=_label("homework"), required=False, widget=_text_input())
    meeting_url = forms.URLField(
        label=_label("meeting_url"),
        required=False,
        assume_scheme="https",
        help_text=_("A video call link, e.g. https://meet.example.org/guitar-lesson"),
    )


class HomeworkItemForm(forms.Form):
    """The teacher adds a homework item: a piece, a technique or a practice target."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(value, capfirst(label)) for value, label in HomeworkItem.Kind.choices],
        initial=HomeworkItem.Kind.PIECE,
    )
    title = forms.CharField(
        label=_("What to practise"),
        max_length=HOMEWORK_TITLE_MAX_LENGTH,
        help_text=_("e.g. Romanza, first part; alternate picking; C major scale at 90 bpm"),
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=HOMEWORK_DETAILS_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": HOMEWORK_DETAILS_MAX_LENGTH}),
    )


class HomeworkDoneForm(forms.Form):
    """The student's tick: checked means done (an unchecked box sends nothing)."""

    done = forms.BooleanField(required=False)
