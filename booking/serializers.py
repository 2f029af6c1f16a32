from rest_framework import serializers

from booking.models import Booking


class BookingSlotSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    teacher = serializers.IntegerField(source="teacher_id")
    start_at = serializers.DateTimeField()
    end_at = serializers.DateTimeField()


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


class RescheduleRequestSerializer(serializers.Serializer):
    new_slot_id = serializers.IntegerField(min_value=1)


class ExpiredCountSerializer(serializers.Serializer):
    expired = serializers.IntegerField()
