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
        TEACHER_NO_SHOW = "teacher_no_show", _("teacher's no-show")
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
                condition=Q(status__in=["scheduled", "completed", "no_show", "teacher_no_show", "canceled"]),
                name="lesson_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["student", "start_at"], name="lesson_student_start_idx"),
            models.Index(fields=["teacher", "start_at"], name="lesson_teacher_start_idx"),
            models.Index(fields=["start_at"], name="lesson_scheduled_start_idx", condition=Q(status="scheduled")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.start_at:%Y-%m-%d %H:%M} UTC ({self.status})"


class HomeworkItem(TimeStampedModel):
    """One piece of homework of a lesson: a piece to learn, a technique, or a
    practice target. The lesson's teacher writes it; its student ticks it done."""

    class Kind(models.TextChoices):
        PIECE = "piece", _("piece")
        TECHNIQUE = "technique", _("technique")
        PRACTICE_TARGET = "practice_target", _("practice target")

    lesson = models.ForeignKey(
        Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE, related_name="homework_items"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices, default=Kind.PIECE)
    title = models.CharField(_("title"), max_length=200)
    details = models.TextField(_("details"), blank=True, max_length=2000)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("homework item")
        verbose_name_plural = _("homework items")
        ordering = ["lesson", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["piece", "technique", "practice_target"]), name="homework_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(done=True, done_at__isnull=False) | Q(done=False, done_at__isnull=True),
                name="homework_done_at_when_done",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="homework_title_not_empty"),
        ]
        indexes = [models.Index(fields=["lesson", "position"], name="homework_lesson_position_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"
