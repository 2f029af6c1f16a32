from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import AuthSession, Language, Level, Role, TeacherProfile, User
from accounts.validators import timezone_names
from guitaronline.core.api import ZonedDateTimeField


class RegisterSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    full_name = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=[Role.STUDENT, Role.TEACHER], default=Role.STUDENT)
    timezone = serializers.CharField(max_length=64, required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)

    def validate_timezone(self, value: str) -> str:
        if value not in timezone_names():
            raise serializers.ValidationError(_("Unknown time zone."))
        return value


class RegisteredUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "role"]


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField(max_length=4096)


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(read_only=True, help_text="Whether the e-mail address is confirmed.")
    pending_email = serializers.CharField(
        read_only=True, help_text="A new address waiting for its confirmation link; empty when none."
    )

    class Meta:
        model = User
        fields = ["id", "email", "email_verified", "pending_email", "full_name", "role", "timezone", "language"]
        read_only_fields = ["id", "email", "role"]

    def validate_timezone(self, value: str) -> str:
        if value not in timezone_names():
            raise serializers.ValidationError(_("Unknown time zone."))
        return value


class DeviceSerializer(serializers.ModelSerializer):
    device = serializers.CharField(source="label", read_only=True, help_text='What signed in: "Firefox on Ubuntu".')
    current = serializers.BooleanField(read_only=True, help_text="Whether this request comes from this device.")
    created_at = ZonedDateTimeField(read_only=True, help_text="When it signed in.")
    last_used_at = ZonedDateTimeField(
        read_only=True, help_text="Its last request, to within AUTH_SESSION_TOUCH_SECONDS."
    )

    class Meta:
        model = AuthSession
        fields = ["id", "kind", "device", "ip", "created_at", "last_used_at", "current"]
        read_only_fields = fields


class VerifySerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1000, help_text="The token of the confirmation link.")


class VerifiedSerializer(serializers.Serializer):
    email = serializers.EmailField()
    email_verified = serializers.BooleanField()


class ResentSerializer(serializers.Serializer):
    email = serializers.EmailField(help_text="Where the link went.")


class PasswordResetSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class EmailChangeSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})


class PasswordChangeSerializer(serializers.Serializer):
    current_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, style={"input_type": "password"})


class CalendarFeedSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The private iCalendar (ICS) feed of the user's lessons; keep it secret.")


class TeacherSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    levels = serializers.ListField(child=serializers.ChoiceField(choices=Level.choices))
    min_notice_hours = serializers.IntegerField(
        source="notice_hours", read_only=True, help_text="Slots starting sooner than this cannot be held."
    )
    buffer_minutes = serializers.IntegerField(
        read_only=True, help_text="Slots within this many minutes of another lesson of the teacher cannot be held."
    )

    class Meta:
        model = TeacherProfile
        fields = [
            "id",
            "display_name",
            "bio",
            "styles",
            "levels",
            "lesson_minutes",
            "min_notice_hours",
            "buffer_minutes",
        ]


class TeacherFilterSerializer(serializers.Serializer):
    """Query filters of the teacher directory (CharField refuses NUL characters)."""

    style = serializers.CharField(required=False, max_length=100)  # type: ignore[assignment]  # a field named like Field.style
    search = serializers.CharField(required=False, max_length=100)
