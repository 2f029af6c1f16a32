from rest_framework import serializers

from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """An in-app notification, in the viewer's current language and zone."""

    read = serializers.SerializerMethodField()
    subject = serializers.CharField(source="content.subject", read_only=True)
    body = serializers.CharField(source="content.body", read_only=True)
    link = serializers.CharField(source="content.link", read_only=True)

    class Meta:
        model = Notification
        fields = ["id", "event_type", "subject", "body", "link", "created_at", "read", "read_at"]

    def get_read(self, notification: Notification) -> bool:
        return notification.read_at is not None


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=500)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class PreferencesSerializer(serializers.Serializer):
    kinds = serializers.DictField(
        child=serializers.DictField(child=serializers.BooleanField()),
        help_text="kind -> channel -> on; kinds: reminders, waitlist, series, changes.",
    )
    reminder_hours = serializers.ListField(child=serializers.IntegerField(), help_text="Of 24 and 1.")
    telegram = serializers.DictField(help_text="available, linked, username.")


class PreferencesUpdateSerializer(serializers.Serializer):
    """Checked by `notifications.preferences` (unknown kinds and channels are named in the error)."""

    kinds = serializers.JSONField(required=False)
    reminder_hours = serializers.JSONField(required=False)


class TelegramLinkSerializer(serializers.Serializer):
    url = serializers.URLField()
    expires_in_minutes = serializers.IntegerField()
