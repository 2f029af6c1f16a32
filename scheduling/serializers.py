"""Scheduling API input parsing and output shapes (no rules: those live in services)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guitaronline.core.api import ZonedDateTimeField
from scheduling import services
from scheduling.models import Slot


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its UTC offset (no guessing of zones)."""

    default_error_messages = {
        "offset_required": _("Include the time zone offset, e.g. 2027-03-02T18:00:00+01:00."),
        "overflow": _("This date is too far from today."),  # e.g. 9999-12-31T23:00-05:00: year 10000 in UTC
    }

    def default_timezone(self):
        return dt.UTC

    def enforce_timezone(self, value: dt.datetime) -> dt.datetime:
        if timezone.is_naive(value):
            self.fail("offset_required")
        return super().enforce_timezone(value)


class DateOrDateTimeField(serializers.Field):
    """A range bound given as an ISO 8601 date or datetime.

    A date, or a datetime without offset, is read in the active time zone
    (the viewer's). A date as an upper bound (`end_of_day=True`) includes that
    whole day.
    """

    default_error_messages = {
        "invalid": _("Use an ISO 8601 date or date and time, e.g. 2027-03-02 or 2027-03-02T18:00Z."),
        "out_of_range": _("This date is too far from today."),
    }

    def __init__(self, *, end_of_day: bool = False, **kwargs) -> None:
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> dt.datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            moment = self._parse(data.strip())
        except OverflowError:  # e.g. 9999-12-31 as an upper bound: the end of that day is in year 10000
            self.fail("out_of_range")
        except ValueError:  # e.g. 2027-02-30
            moment = None
        if moment is None:
            self.fail("invalid")
        return moment

    def _parse(self, text: str) -> dt.datetime | None:
        day = parse_date(text)  # first: parse_datetime would read a bare date as midnight
        moment: dt.datetime | None
        if day is not None:
            moment = dt.datetime.combine(day + dt.timedelta(days=1 if self.end_of_day else 0), dt.time.min)
        else:
            moment = parse_datetime(text)
            if moment is None:
                return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.astimezone(dt.UTC)

    def to_representation(self, value):
        return value.isoformat()


class SlotRangeQuerySerializer(serializers.Serializer):
    """`?from=&to=`: slots starting in [from, to)."""

    def get_fields(self):
        # `from` is a Python keyword, so the fields are declared here.
        fields = super().get_fields()
        fields["from"] = DateOrDateTimeField(required=False)
        fields["to"] = DateOrDateTimeField(required=False, end_of_day=True)
        return fields

    def validate(self, attrs):
        start, end = attrs.get("from"), attrs.get("to")
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"to": [_("Must be after `from`.")]})
        return attrs


class OpenSlotQuerySerializer(SlotRangeQuerySerializer):
    teacher = serializers.IntegerField(required=False, min_value=1)


class SlotSerializer(serializers.ModelSerializer):
    teacher = serializers.IntegerField(source="teacher_id", read_only=True, help_text="The teacher's user id.")
    start_at = ZonedDateTimeField(read_only=True)
    end_at = ZonedDateTimeField(read_only=True)

    class Meta:
        model = Slot
        fields = ["id", "teacher", "start_at", "end_at"]
        read_only_fields = fields


class SlotCreateSerializer(serializers.Serializer):
    start_at = AwareDateTimeField()
    end_at = AwareDateTimeField()


class SlotRecurringSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday.")
    start_time = serializers.TimeField(help_text="Wall-clock time in the teacher's time zone, e.g. 18:00.")
    end_time = serializers.TimeField(help_text="Wall-clock time in the teacher's time zone, e.g. 20:00.")
    slot_minutes = serializers.IntegerField(min_value=services.SLOT_MIN_MINUTES, max_value=services.SLOT_MAX_MINUTES)
    weeks = serializers.IntegerField(min_value=1, max_value=services.RECURRING_MAX_WEEKS)


class SkippedOccurrenceSerializer(serializers.Serializer):
    local_date = serializers.DateField(help_text="Date in the teacher's time zone.")
    local_time = serializers.SerializerMethodField(help_text="Wall-clock start, HH:MM, in the teacher's time zone.")

    @extend_schema_field({"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "18:00"})
    def get_local_time(self, occurrence: dict) -> str:
        return occurrence["local_time"].strftime("%H:%M")

    start_at = serializers.DateTimeField(allow_null=True, help_text="Null when that local time does not exist.")
    reason = serializers.ChoiceField(
        choices=[
            services.SKIP_PAST,
            services.SKIP_OVERLAP,
            services.SKIP_NONEXISTENT,
            services.SKIP_BEYOND_MAX_DAYS_AHEAD,
        ]
    )


class RecurringResultSerializer(serializers.Serializer):
    created = SlotSerializer(many=True)
    skipped = SkippedOccurrenceSerializer(many=True)
