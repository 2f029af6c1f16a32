from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guitaronline.core.models import TimeStampedModel


class Booking(TimeStampedModel):
    """A student's hold on, then confirmed booking of, one slot.

    hold -> confirmed -> canceled; hold -> expired; hold -> canceled.
    At most one active (hold or confirmed) booking per slot, enforced by a
    partial unique constraint. A hold past `hold_expires_at` is dead wherever
    it is read; services expire it before taking the slot again.
    """

    class Status(models.TextChoices):
        # A context of their own: in Russian they agree with "запись" (feminine).
        HOLD = "hold", pgettext_lazy("booking status", "on hold")
        CONFIRMED = "confirmed", pgettext_lazy("booking status", "confirmed")
        CANCELED = "canceled", pgettext_lazy("booking status", "canceled")
        EXPIRED = "expired", pgettext_lazy("booking status", "expired")

    ACTIVE_STATUSES = (Status.HOLD, Status.CONFIRMED)

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.PROTECT, related_name="bookings"
    )
    slot = models.ForeignKey(
        "scheduling.Slot", verbose_name=_("slot"), on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.HOLD)
    hold_expires_at = models.DateTimeField(_("hold expires at"), null=True, blank=True)
    package = models.ForeignKey(
        "billing.LessonPackage",
        verbose_name=_("package"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
    )
    lesson = models.OneToOneField(
        "lessons.Lesson",
        verbose_name=_("lesson"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="booking",
    )
    rescheduled_from = models.OneToOneField(
        "self",
        verbose_name=_("rescheduled from"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rescheduled_to",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    canceled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("canceled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    lesson_returned = models.BooleanField(_("lesson returned"), null=True, blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status__in=["hold", "confirmed"]), name="booking_one_active_per_slot"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["hold", "confirmed", "canceled", "expired"]), name="booking_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="hold") | Q(hold_expires_at__isnull=False), name="booking_hold_has_expiry"
            ),
            models.CheckConstraint(
                condition=~Q(status="confirmed") | (Q(package__isnull=False) & Q(lesson__isnull=False)),
                name="booking_confirmed_has_package_and_lesson",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "-created_at"], name="booking_student_created_idx"),
            models.Index(fields=["hold_expires_at"], name="booking_live_hold_idx", condition=Q(status="hold")),
            models.Index(fields=["status", "created_at"], name="booking_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} slot {self.slot_id} ({self.status})"
