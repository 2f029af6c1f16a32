from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guitaronline.core.models import TimeStampedModel


class Slot(TimeStampedModel):
    """A teacher's open time, stored in UTC. One teacher's slots never overlap
    (an exclusion constraint on PostgreSQL, the service's check under the
    teacher's row lock everywhere)."""

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.CASCADE,
        related_name="slots",
        limit_choices_to={"role": "teacher"},
    )
    start_at = models.DateTimeField(_("starts at"))
    end_at = models.DateTimeField(_("ends at"))

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="slot_end_after_start"),
            models.UniqueConstraint(fields=["teacher", "start_at"], name="slot_teacher_start_unique"),
        ]
        indexes = [
            models.Index(fields=["teacher", "start_at"], name="slot_teacher_start_idx"),
            models.Index(fields=["start_at"], name="slot_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id} {self.start_at:%Y-%m-%d %H:%M}–{self.end_at:%H:%M} UTC"
