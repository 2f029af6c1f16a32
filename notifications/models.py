import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from guitaronline.core.models import TimeStampedModel
from guitaronline.core.retries import RetryQuerySet


class Notification(TimeStampedModel):
    """One message to one person about one outbox event, in-app, by e-mail or
    by Telegram.

    (event, recipient, channel) is unique: the idempotency key that keeps a
    re-processed event from notifying anyone twice. A notification keeps its
    template and parameters, not its text: it is rendered when shown or sent,
    in the recipient's language and zone of that moment (`content`). Rows
    stored before that keep the text they were written with.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("in-app")
        EMAIL = "email", _("e-mail")
        TELEGRAM = "telegram", _("Telegram")

    OUTGOING = (Channel.EMAIL, Channel.TELEGRAM)  # sent by the worker, with retries and a dead letter

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    event_id = models.UUIDField(_("outbox event"))
    event_type = models.CharField(_("event type"), max_length=100)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    template = models.CharField(_("template"), max_length=100, blank=True)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(_("link"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sending_since = models.DateTimeField(_("sending since"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = RetryQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "recipient", "channel"], name="notification_once_per_event"),
            models.CheckConstraint(
                condition=Q(channel__in=["in_app", "email", "telegram"]), name="notification_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]), name="notification_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "channel", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["next_attempt_at", "created_at"],
                name="notification_outgoing_due_idx",
                condition=Q(channel__in=["email", "telegram"], status__in=["pending", "failed"]),
            ),
            models.Index(fields=["status", "channel"], name="notification_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.recipient_id} ({self.channel}, {self.status})"

    @cached_property
    def content(self):
        """Subject, text and link in the active language and zone (the viewer's,
        on a page); secret links (a password reset, say) are left out."""
        from notifications.rendering import content  # rendering reads accounts; models load first

        return content(self)


class NotificationSettings(models.Model):
    """A user's choices: per kind of message and channel, the reminders they
    want, and the Telegram chat linked to the account. No row: the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_settings",
    )
    # {kind: {channel: bool}}; a kind or channel not named keeps its default (on)
    choices = models.JSONField(_("choices"), default=dict, blank=True)
    reminder_hours = models.JSONField(_("reminders, hours before"), null=True, blank=True)  # None: all
    telegram_chat_id = models.BigIntegerField(_("Telegram chat"), null=True, blank=True)
    telegram_username = models.CharField(_("Telegram name"), max_length=64, blank=True)
    telegram_linked_at = models.DateTimeField(_("Telegram linked at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")
        constraints = [
            models.UniqueConstraint(fields=["telegram_chat_id"], name="notification_telegram_chat_unique"),
        ]

    def __str__(self) -> str:
        return str(self.user_id)


class TelegramLinkToken(models.Model):
    """The one-time secret of a bot deep link (t.me/<bot>?start=<token>): kept
    hashed, valid for TELEGRAM_LINK_MINUTES, used once."""

    token_hash = models.CharField(_("token hash"), max_length=64, primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Telegram link token")
        verbose_name_plural = _("Telegram link tokens")
        indexes = [models.Index(fields=["user", "-created_at"], name="telegram_token_user_idx")]

    def __str__(self) -> str:
        return f"{self.user_id} ({self.expires_at:%Y-%m-%d %H:%M})"
