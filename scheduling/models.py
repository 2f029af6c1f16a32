from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guitaronline.core.models import TimeStampedModel

LIVE = Q(removed_at__isnull=True)


class Slot(TimeStampedModel):
    """A teacher's open time, stored in UTC. One teacher's live slots never
    overlap (an exclusion constraint on PostgreSQL, the service's check under
    the teacher's row lock everywhere).

    A removed slot keeps its row (`removed_at` set) because bookings that no
    longer take it (canceled, expired) still point at it; it is invisible to
    every selector and no longer blocks the teacher's time.
    """

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.CASCADE,
        related_name="slots",
        limit_choices_to={"role": "teacher"},
    )
    start_at = models.DateTimeField(_("starts at"))
    end_at = models.DateTimeField(_("ends at"))
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    # Not columns: what `booking.selectors.teacher_slots_with_takers` attaches
    # to the slots of a teacher's week.
    booking_status: str | None
    hold_expires_at: datetime | None

    class Meta:
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        ordering = ["start_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="slot_end_after_start"),
            # Also the index for a teacher's live slots by start.
            models.UniqueConstraint(fields=["teacher", "start_at"], condition=LIVE, name="slot_teacher_start_unique"),
        ]
        indexes = [
            models.Index(fields=["start_at"], condition=LIVE, name="slot_live_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id} {self.start_at:%Y-%m-%d %H:%M}–{self.end_at:%H:%M} UTC"


class TimeOff(TimeStampedModel):
    """Days a teacher does not teach, from `start_date` to `end_date`
    inclusive, in the teacher's own calendar; `start_at` and `end_at` are
    those days' bounds in UTC (local midnight to the midnight after the last
    day). No slot is open in them. One teacher's periods of time off never
    overlap (an exclusion constraint on PostgreSQL, the service's check under
    the teacher's row lock everywhere)."""

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.CASCADE,
        related_name="time_off",
        limit_choices_to={"role": "teacher"},
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    start_at = models.DateTimeField(_("starts at"))
    end_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    bookings: list  # not a column: the lessons still booked in it, attached by `booking.selectors`

    class Meta:
        verbose_name = _("time off")
        verbose_name_plural = _("time off")
        ordering = ["start_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="time_off_dates_in_order"),
            models.CheckConstraint(condition=Q(end_at__gt=F("start_at")), name="time_off_end_after_start"),
        ]
        indexes = [models.Index(fields=["teacher", "end_at"], name="time_off_teacher_end_idx")]

    def __str__(self) -> str:
        return f"{self.teacher_id} {self.start_date}–{self.end_date}"
