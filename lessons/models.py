from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guitaronline.core.models import TimeStampedModel


class Lesson(TimeStampedModel):
    """A one-to-one lesson, created only from a confirmed booking (which holds
    the one-to-one link), canceled with it."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("scheduled")
        COMPLETED = "completed", _("completed")
        NO_SHOW = "no_show", _("no-show")
        CANCELED = "canceled", _("canceled")

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="lessons_taught"
    )
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.PROTECT, related_name="lessons_taken"
    )
    start_at = models.DateTimeField(_("starts at"))
    end_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    notes = models.TextField(_("teacher's notes"), blank=True, max_length=10000)
    homework = models.TextField(_("homework"), blank=True, max_length=10000)
    meeting_url = models.URLField(_("meeting link"), blank=True)
    finished_at = models.DateTimeField(_("marked at"), null=True, blank=True)
    reminded_24h_at = models.DateTimeField(_("24-hour reminder sent at"), null=True, blank=True)
    reminded_1h_at = models.DateTimeField(_("1-hour reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="lesson_end_after_start"),
            models.CheckConstraint(
                condition=Q(status__in=["scheduled", "completed", "no_show", "canceled"]), name="lesson_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["student", "start_at"], name="lesson_student_start_idx"),
            models.Index(fields=["teacher", "start_at"], name="lesson_teacher_start_idx"),
            models.Index(fields=["start_at"], name="lesson_scheduled_start_idx", condition=Q(status="scheduled")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.start_at:%Y-%m-%d %H:%M} UTC ({self.status})"
