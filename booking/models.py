from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.db import models
from django.db.models import Case, Expression, F, Q, Value, When
from django.db.models.functions import Coalesce, Now
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guitaronline.core.models import TimeStampedModel


def _moment(now: datetime | None) -> Expression:
    return Value(now) if now is not None else Now()


class BookingQuerySet(models.QuerySet["Booking"]):
    """Which bookings take their slot, and which holds are dead, at a moment:
    the one statement of these rules. A hold takes its slot until
    `hold_expires_at`; after that it is dead wherever it is read, before the
    periodic job has persisted `expired`."""

    @staticmethod
    def live_hold_q(*, now: datetime) -> Q:
        return Q(status=Booking.Status.HOLD, hold_expires_at__gt=now)

    @staticmethod
    def dead_hold_q(*, now: datetime | None = None) -> Q:
        return Q(status=Booking.Status.HOLD, hold_expires_at__lte=_moment(now))

    @classmethod
    def taking_slot_q(cls, *, now: datetime) -> Q:
        return Q(status=Booking.Status.CONFIRMED) | cls.live_hold_q(now=now)

    def taking_slot(self, *, now: datetime) -> BookingQuerySet:
        """Confirmed bookings and live holds."""
        return self.filter(self.taking_slot_q(now=now))

    def live_holds(self, *, now: datetime) -> BookingQuerySet:
        return self.filter(self.live_hold_q(now=now))

    def dead_holds(self, *, now: datetime) -> BookingQuerySet:
        """Holds past their expiry that the periodic job has not persisted yet."""
        return self.filter(self.dead_hold_q(now=now))

    def with_effective_status(self, *, now: datetime | None = None) -> BookingQuerySet:
        """Annotate `effective_status`: a dead hold reads as expired."""
        return self.annotate(
            effective_status=Case(
                When(self.dead_hold_q(now=now), then=Value(Booking.Status.EXPIRED)), default=F("status")
            )
        )


CANCEL_REASON_MAX_LENGTH = 500


class Series(TimeStampedModel):
    """A standing weekly lesson: one student, one teacher, the same weekday
    and local time in the teacher's zone (`timezone`, kept from when it was
    booked, so DST changes keep the wall-clock time), from `first_date`:
    for `weeks` weeks, until `until`, or open-ended (the next weeks are
    booked as the teacher's availability and the student's package allow).
    Each occurrence is an ordinary booking (`Booking.series`)."""

    class Status(models.TextChoices):
        ACTIVE = "active", pgettext_lazy("series status", "running")
        ENDED = "ended", pgettext_lazy("series status", "ended")
        CANCELED = "canceled", pgettext_lazy("series status", "canceled")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.PROTECT, related_name="series"
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("teacher"), on_delete=models.PROTECT, related_name="series_taught"
    )
    timezone = models.CharField(_("time zone"), max_length=64)
    weekday = models.PositiveSmallIntegerField(_("weekday"))  # 0 = Monday, in `timezone`
    local_time = models.TimeField(_("local time"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    first_date = models.DateField(_("first week"))
    weeks = models.PositiveSmallIntegerField(_("weeks"), null=True, blank=True)
    until = models.DateField(_("until"), null=True, blank=True)
    open_ended = models.BooleanField(_("open-ended"), default=False)
    # the last week an open-ended series has been booked (or found unbookable) for: each week is tried once
    looked_through = models.DateField(_("weeks looked at through"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("weekly series")
        verbose_name_plural = _("weekly series")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="series_weekday_valid"),
            models.CheckConstraint(condition=Q(status__in=["active", "ended", "canceled"]), name="series_status_valid"),
            # exactly one way to end: a number of weeks, a date, or none (open-ended)
            models.CheckConstraint(
                condition=(Q(weeks__isnull=False) & Q(until__isnull=True) & Q(open_ended=False))
                | (Q(weeks__isnull=True) & Q(until__isnull=False) & Q(open_ended=False))
                | (Q(weeks__isnull=True) & Q(until__isnull=True) & Q(open_ended=True)),
                name="series_one_end",
            ),
        ]
        indexes = [
            models.Index(fields=["open_ended"], name="series_open_active_idx", condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.student_id} with {self.teacher_id}, weekday {self.weekday} {self.local_time:%H:%M}"


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
    series = models.ForeignKey(
        Series,
        verbose_name=_("weekly series"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
    )
    cancel_reason = models.CharField(
        _("reason for canceling"), max_length=CANCEL_REASON_MAX_LENGTH, blank=True, help_text=_("The student reads it.")
    )

    objects = BookingQuerySet.as_manager()

    # Not columns: what the selectors attach to a booking they read for display
    # (`with_effective_status`, `booking.selectors._for_display`).
    effective_status: str
    status_label: str | Promise
    is_upcoming: bool
    is_live_hold: bool
    is_confirmed: bool
    hold_seconds_left: int
    hold_minutes_left: int
    successor: Booking | None
    can_change: bool
    refund_window_hours: int
    cancel_returns_lesson: bool | None

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
            # a student's live holds: the limit of holds by lessons left, the student's dashboard
            models.Index(
                fields=["student", "hold_expires_at"], name="booking_student_hold_idx", condition=Q(status="hold")
            ),
            models.Index(fields=["status", "created_at"], name="booking_status_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} slot {self.slot_id} ({self.status})"

    def is_dead_hold(self, *, now: datetime) -> bool:
        """`BookingQuerySet.dead_holds` for a booking in hand."""
        return self.status == self.Status.HOLD and self.hold_expires_at is not None and self.hold_expires_at <= now

    def takes_slot(self, *, now: datetime) -> bool:
        """`BookingQuerySet.taking_slot` for a booking in hand."""
        return self.status == self.Status.CONFIRMED or (
            self.status == self.Status.HOLD and not self.is_dead_hold(now=now)
        )


class WaitlistEntry(TimeStampedModel):
    """A student waiting for a slot of one teacher, optionally only in a
    weekly window ("Tuesdays 18:00–21:00") read in `timezone`, the student's
    zone when they joined (so the window keeps its meaning, also across DST).

    Entries are served in the order they joined; an entry leaves the waitlist
    (`active` false) when its student leaves it or books through an offer.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Mondays")
        TUESDAY = 1, _("Tuesdays")
        WEDNESDAY = 2, _("Wednesdays")
        THURSDAY = 3, _("Thursdays")
        FRIDAY = 4, _("Fridays")
        SATURDAY = 5, _("Saturdays")
        SUNDAY = 6, _("Sundays")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("teacher"),
        on_delete=models.CASCADE,
        related_name="waitlisted_by",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, null=True, blank=True)
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64)
    active = models.BooleanField(_("active"), default=True)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "id"]
        constraints = [
            # NULL ("any day", "any time") counts as one value here, on SQLite and PostgreSQL alike.
            models.UniqueConstraint(
                F("student"),
                F("teacher"),
                Coalesce("weekday", Value(-1)),
                Coalesce("start_time", Value(time.min)),
                Coalesce("end_time", Value(time.min)),
                condition=Q(active=True),
                name="waitlist_one_active_entry_per_window",
            ),
            models.CheckConstraint(
                condition=Q(weekday__isnull=True) | Q(weekday__gte=0, weekday__lte=6), name="waitlist_weekday_valid"
            ),
            models.CheckConstraint(
                condition=Q(start_time__isnull=True, end_time__isnull=True)
                | Q(start_time__isnull=False, end_time__isnull=False, end_time__gt=F("start_time")),
                name="waitlist_window_valid",
            ),
            models.CheckConstraint(
                condition=Q(active=True, left_at__isnull=True) | Q(active=False, left_at__isnull=False),
                name="waitlist_left_at_when_inactive",
            ),
        ]
        indexes = [
            models.Index(
                fields=["teacher", "created_at"], name="waitlist_active_teacher_idx", condition=Q(active=True)
            ),
            models.Index(fields=["student", "-created_at"], name="waitlist_student_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} student {self.student_id} → teacher {self.teacher_id}"

    @property
    def has_window(self) -> bool:
        return self.start_time is not None


class WaitlistOffer(TimeStampedModel):
    """A freed slot offered to one waitlist entry until `expires_at`.

    offered -> accepted (its student held the slot) | lapsed (not taken in
    time; it passes to the next entry) | withdrawn (the entry left, or the
    slot can no longer be held). While an offer is open the slot is reserved
    for its student. At most one open offer per slot and per entry, and an
    entry is offered a slot at most once (database constraints).
    """

    class Status(models.TextChoices):
        OFFERED = "offered", pgettext_lazy("waitlist offer status", "open")
        ACCEPTED = "accepted", pgettext_lazy("waitlist offer status", "accepted")
        LAPSED = "lapsed", pgettext_lazy("waitlist offer status", "lapsed")
        WITHDRAWN = "withdrawn", pgettext_lazy("waitlist offer status", "withdrawn")

    entry = models.ForeignKey(
        WaitlistEntry, verbose_name=_("waitlist entry"), on_delete=models.CASCADE, related_name="offers"
    )
    slot = models.ForeignKey(
        "scheduling.Slot", verbose_name=_("slot"), on_delete=models.PROTECT, related_name="waitlist_offers"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.OFFERED)
    expires_at = models.DateTimeField(_("expires at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    booking = models.OneToOneField(
        Booking,
        verbose_name=_("booking"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="waitlist_offer",
    )

    # Not columns: what `booking.selectors` attaches to an offer it shows.
    is_open: bool
    effective_status: str
    status_label: str | Promise

    class Meta:
        verbose_name = _("waitlist offer")
        verbose_name_plural = _("waitlist offers")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["slot"], condition=Q(status="offered"), name="waitlist_one_open_offer_per_slot"
            ),
            models.UniqueConstraint(
                fields=["entry"], condition=Q(status="offered"), name="waitlist_one_open_offer_per_entry"
            ),
            models.UniqueConstraint(fields=["entry", "slot"], name="waitlist_offer_once_per_entry_and_slot"),
            models.CheckConstraint(
                condition=Q(status__in=["offered", "accepted", "lapsed", "withdrawn"]),
                name="waitlist_offer_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="offered", closed_at__isnull=True)
                | (~Q(status="offered") & Q(closed_at__isnull=False)),
                name="waitlist_offer_closed_at_when_closed",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(booking__isnull=False), name="waitlist_offer_accepted_has_booking"
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], name="waitlist_offer_open_idx", condition=Q(status="offered")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} slot {self.slot_id} → entry {self.entry_id} ({self.status})"


class MoveProposal(TimeStampedModel):
    """A teacher's proposal to move a booked lesson to another of their slots.

    pending -> accepted (the booking moved; the package is unchanged) |
    declined | expired (not answered by `expires_at`) | withdrawn (the
    booking was canceled or moved meanwhile). Declined, expired or withdrawn,
    the booking stays as it was. At most one pending proposal per booking
    (a database constraint)."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("move proposal status", "waiting for the student")
        ACCEPTED = "accepted", pgettext_lazy("move proposal status", "accepted")
        DECLINED = "declined", pgettext_lazy("move proposal status", "declined")
        EXPIRED = "expired", pgettext_lazy("move proposal status", "not answered in time")
        WITHDRAWN = "withdrawn", pgettext_lazy("move proposal status", "withdrawn")

    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), on_delete=models.CASCADE, related_name="move_proposals"
    )
    new_slot = models.ForeignKey(
        "scheduling.Slot", verbose_name=_("proposed slot"), on_delete=models.PROTECT, related_name="move_proposals"
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    message = models.CharField(_("message to the student"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("answer by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    moved_to = models.OneToOneField(
        Booking,
        verbose_name=_("booking after the move"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("move proposal")
        verbose_name_plural = _("move proposals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"], condition=Q(status="pending"), name="move_proposal_one_pending_per_booking"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "declined", "expired", "withdrawn"]),
                name="move_proposal_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(moved_to__isnull=False), name="move_proposal_accepted_has_booking"
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], name="move_proposal_pending_idx", condition=Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} booking {self.booking_id} -> slot {self.new_slot_id} ({self.status})"
