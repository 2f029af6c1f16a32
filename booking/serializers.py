from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from booking.models import Booking, MoveProposal, Series, WaitlistEntry, WaitlistOffer
from guitaronline.core.api import ZonedDateTimeField
from scheduling.serializers import SlotSerializer


class BookingSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    teacher = serializers.IntegerField(source="teacher_id")
    start_at = ZonedDateTimeField()
    end_at = ZonedDateTimeField()


class BookingSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()
    slot = BookingSlotSerializer()
    student = serializers.IntegerField(source="student_id")
    lesson_id = serializers.IntegerField(allow_null=True)
    package_id = serializers.IntegerField(allow_null=True)
    rescheduled_from = serializers.IntegerField(source="rescheduled_from_id", allow_null=True)
    rescheduled_to = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "status",
            "slot",
            "student",
            "hold_expires_at",
            "confirmed_at",
            "canceled_at",
            "lesson_id",
            "package_id",
            "lesson_returned",
            "cancel_reason",
            "rescheduled_from",
            "rescheduled_to",
            "created_at",
        ]

    def get_status(self, booking: Booking) -> str:
        return getattr(booking, "effective_status", booking.status)

    def get_rescheduled_to(self, booking: Booking) -> int | None:
        successor = getattr(booking, "rescheduled_to", None)
        return successor.pk if successor is not None else None


class HoldRequestSerializer(serializers.Serializer):
    slot_id = serializers.IntegerField(min_value=1)


class CancelRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="Required when the slot's teacher cancels; the student reads it."
    )


class RescheduleRequestSerializer(serializers.Serializer):
    new_slot_id = serializers.IntegerField(min_value=1)


class ExpiredCountSerializer(serializers.Serializer):
    expired = serializers.IntegerField()


class WaitlistOfferSerializer(serializers.ModelSerializer):
    slot = BookingSlotSerializer()
    entry = serializers.IntegerField(source="entry_id")
    booking = serializers.IntegerField(source="booking_id", allow_null=True)

    class Meta:
        model = WaitlistOffer
        fields = ["id", "entry", "slot", "status", "expires_at", "booking"]


class WaitlistEntrySerializer(serializers.ModelSerializer):
    teacher = serializers.IntegerField(source="teacher_id")
    teacher_name = serializers.CharField(source="teacher.display_name", read_only=True)
    open_offer = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "teacher",
            "teacher_name",
            "weekday",
            "start_time",
            "end_time",
            "timezone",
            "active",
            "created_at",
            "open_offer",
        ]

    @extend_schema_field(WaitlistOfferSerializer(allow_null=True))
    def get_open_offer(self, entry: WaitlistEntry) -> dict | None:
        offers = getattr(entry, "open_offers", [])
        return WaitlistOfferSerializer(offers[0]).data if offers else None


class WaitlistJoinSerializer(serializers.Serializer):
    teacher_id = serializers.IntegerField(min_value=1)
    weekday = serializers.ChoiceField(choices=WaitlistEntry.Weekday.choices, required=False, allow_null=True)
    start_time = serializers.TimeField(required=False, allow_null=True)
    end_time = serializers.TimeField(required=False, allow_null=True)


class TeacherSlotSerializer(SlotSerializer):
    taken = serializers.BooleanField(read_only=True, help_text="Held (a live hold) or booked.")

    class Meta(SlotSerializer.Meta):
        fields = [*SlotSerializer.Meta.fields, "taken"]
        read_only_fields = fields


class TimeOffBookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    student = serializers.IntegerField(source="student_id")
    start_at = ZonedDateTimeField(source="slot.start_at")
    end_at = ZonedDateTimeField(source="slot.end_at")


class TimeOffSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    bookings = TimeOffBookingSerializer(many=True, read_only=True, help_text="Lessons still booked in these days.")


class TimeOffCreatedSerializer(TimeOffSerializer):
    slots_removed = serializers.IntegerField(read_only=True)


class MoveProposalRequestSerializer(serializers.Serializer):
    new_slot_id = serializers.IntegerField(min_value=1)
    message = serializers.CharField(required=False, allow_blank=True, default="")


class MoveProposalSerializer(serializers.ModelSerializer):
    booking_id = serializers.IntegerField()
    new_slot = BookingSlotSerializer()
    expires_at = ZonedDateTimeField()
    answered_at = ZonedDateTimeField(allow_null=True)
    moved_to = serializers.IntegerField(source="moved_to_id", allow_null=True)

    class Meta:
        model = MoveProposal
        fields = ["id", "booking_id", "new_slot", "status", "message", "expires_at", "answered_at", "moved_to"]


class SeriesTermsSerializer(serializers.Serializer):
    """How a series ends: `weeks`, `until`, or `open_ended` (one of them; the service checks)."""

    slot_id = serializers.IntegerField(min_value=1)
    weeks = serializers.IntegerField(required=False, allow_null=True, default=None)
    until = serializers.DateField(required=False, allow_null=True, default=None)
    open_ended = serializers.BooleanField(required=False, default=False)


class SeriesWeekSerializer(serializers.Serializer):
    start_at = ZonedDateTimeField(allow_null=True)
    slot_id = serializers.SerializerMethodField()
    bookable = serializers.BooleanField()
    reason = serializers.CharField(help_text="Empty when bookable; else no_slot, taken, too_soon, buffer, time_off.")

    def get_slot_id(self, week) -> int | None:
        return week.slot.pk if week.slot is not None else None


class SeriesPreviewSerializer(serializers.Serializer):
    weeks = SeriesWeekSerializer(many=True)


class SeriesBookingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    slot_id = serializers.IntegerField()
    start_at = ZonedDateTimeField(source="slot.start_at")


class SeriesSerializer(serializers.ModelSerializer):
    teacher = serializers.IntegerField(source="teacher_id")
    student = serializers.IntegerField(source="student_id")
    bookings = SeriesBookingSerializer(many=True)

    class Meta:
        model = Series
        fields = [
            "id",
            "student",
            "teacher",
            "timezone",
            "weekday",
            "local_time",
            "first_date",
            "weeks",
            "until",
            "open_ended",
            "status",
            "bookings",
        ]


class SeriesCancelSerializer(serializers.Serializer):
    from_booking_id = serializers.IntegerField(min_value=1)
