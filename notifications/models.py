import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guitaronline.core.models import TimeStampedModel
from guitaronline.core.retries import RetryQuerySet


class Notification(TimeStampedModel):
    """One message to one person about one outbox event, in-app or by e-mail.

    (event, recipient, channel) is unique: the idempotency key that keeps a
    re-processed event from notifying anyone twice. Content is rendered once,
    in the recipient's language and time zone, when the event is processed.
    """

    class Channel(models.TextChoices):
        IN_APP = "in_app", _("in-app")
        EMAIL = "email", _("e-mail")

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
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
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
            models.CheckConstraint(condition=Q(channel__in=["in_app", "email"]), name="notification_channel_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]), name="notification_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "channel", "-created_at"], name="notification_inbox_idx"),
            models.Index(
                fields=["next_attempt_at", "created_at"],
                name="notification_email_due_idx",
                condition=Q(channel="email", status__in=["pending", "failed"]),
            ),
            models.Index(fields=["status", "channel"], name="notification_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.recipient_id} ({self.channel}, {self.status})"
