from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils.timezone import now
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_timezone
from guitaronline.core.capabilities import Capability
from guitaronline.core.models import TimeStampedModel


def default_timezone() -> str:
    return settings.DEFAULT_USER_TIMEZONE


def default_language() -> str:
    return settings.LANGUAGE_CODE


def new_calendar_token() -> str:
    """The secret of a calendar feed URL: 256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


class Role(models.TextChoices):
    STUDENT = "student", _("student")
    TEACHER = "teacher", _("teacher")
    ADMIN = "admin", _("admin")


class Language(models.TextChoices):
    RU = "ru", _("Russian")
    EN = "en", _("English")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def create_user(self, email: str, password: str | None = None, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("role", Role.ADMIN)
        fields.setdefault("email_verified_at", now())  # made on the command line by whoever owns the address
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), max_length=254, unique=True)
    email_verified_at = models.DateTimeField(_("e-mail confirmed at"), null=True, blank=True)
    # A new address waiting for its confirmation; `email` stays until then.
    pending_email = models.EmailField(_("new e-mail, not yet confirmed"), max_length=254, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.STUDENT)
    timezone = models.CharField(_("time zone"), max_length=64, default=default_timezone, validators=[validate_timezone])
    language = models.CharField(_("language"), max_length=8, choices=Language.choices, default=default_language)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=now)
    # Kept as issued (not hashed): the profile page and the API show the feed
    # URL again at any time, and it guards only the lessons stored beside it.
    # Its unique constraint is the feed's lookup index.
    calendar_token = models.CharField(_("calendar token"), max_length=64, default=new_calendar_token, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.UniqueConstraint(fields=["calendar_token"], name="user_calendar_token_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="user_role_valid"),
            models.CheckConstraint(condition=Q(language__in=Language.values), name="user_language_valid"),
        ]
        indexes = [models.Index(fields=["role"], name="user_role_idx")]

    def __str__(self) -> str:
        return self.email

    @property
    def is_student(self) -> bool:
        return self.role == Role.STUDENT

    @property
    def is_teacher(self) -> bool:
        return self.role == Role.TEACHER

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def display_name(self) -> str:
        """How the user is shown to others: a teacher by the display name of
        their profile, everyone else (and a teacher without one) by full name.
        Load `teacher_profile` with the user where many are shown."""
        profile = getattr(self, "teacher_profile", None)  # None when the user has no profile
        return (profile.display_name if profile is not None else "") or self.full_name

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    def get_calendar_feed_url(self) -> str:
        """The absolute URL of this user's private iCalendar feed (SITE_URL based)."""
        return settings.SITE_URL + reverse("lessons:calendar-feed", kwargs={"token": self.calendar_token})


class Level(models.TextChoices):
    BEGINNER = "beginner", _("beginner")
    INTERMEDIATE = "intermediate", _("intermediate")
    ADVANCED = "advanced", _("advanced")


MIN_NOTICE_HOURS_MAX = 168  # one week
BUFFER_MINUTES_MAX = 120


class TeacherProfile(TimeStampedModel):
    """A teacher's public profile; its primary key is the teacher's user id."""

    user = models.OneToOneField(
        User, verbose_name=_("user"), primary_key=True, on_delete=models.CASCADE, related_name="teacher_profile"
    )
    display_name = models.CharField(_("display name"), max_length=150)
    bio = models.TextField(_("about"), blank=True, max_length=4000)
    styles = models.CharField(_("styles"), max_length=255, blank=True, help_text=_("e.g. rock, blues, fingerstyle"))
    levels = models.JSONField(_("levels taught"), default=list, blank=True)
    lesson_minutes = models.PositiveSmallIntegerField(_("lesson length, minutes"), default=60)
    # Booking rules. An empty notice follows the school's BOOKING_MIN_NOTICE_HOURS.
    min_notice_hours = models.PositiveSmallIntegerField(
        _("minimum notice, hours"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MIN_NOTICE_HOURS_MAX)],
        help_text=_("Students book at least this many hours before a lesson starts; empty: the school's default."),
    )
    buffer_minutes = models.PositiveSmallIntegerField(
        _("buffer between lessons, minutes"),
        default=0,
        validators=[MaxValueValidator(BUFFER_MINUTES_MAX)],
        help_text=_("Free time kept before and after each booked lesson."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("teacher profile")
        verbose_name_plural = _("teacher profiles")
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lesson_minutes__gte=15) & Q(lesson_minutes__lte=240),
                name="teacher_lesson_minutes_range",
            ),
            models.CheckConstraint(
                condition=Q(min_notice_hours__isnull=True)
                | (Q(min_notice_hours__gte=0) & Q(min_notice_hours__lte=MIN_NOTICE_HOURS_MAX)),
                name="teacher_min_notice_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(buffer_minutes__gte=0) & Q(buffer_minutes__lte=BUFFER_MINUTES_MAX),
                name="teacher_buffer_minutes_range",
            ),
        ]
        indexes = [models.Index(fields=["is_published", "display_name"], name="teacher_published_idx")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def notice_hours(self) -> int:
        """The minimum notice that applies: the teacher's own, else the school's."""
        if self.min_notice_hours is None:
            return settings.BOOKING_MIN_NOTICE_HOURS
        return self.min_notice_hours

    @staticmethod
    def notice_hours_expression(path: str) -> Coalesce:
        """`notice_hours` in SQL, for rows that reach the profile through `path`
        (e.g. "teacher__teacher_profile")."""
        return Coalesce(F(f"{path}__min_notice_hours"), Value(settings.BOOKING_MIN_NOTICE_HOURS))


class StaffCapability(models.Model):
    """Not a table: it carries one permission per staff capability
    (`guitaronline.core.capabilities.Capability`), which groups are given."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = Capability.choices  # type: ignore[assignment]  # the stubs' list is invariant in its labels
        verbose_name = _("staff capability")
        verbose_name_plural = _("staff capabilities")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class SessionKind(models.TextChoices):
    BROWSER = "browser", _("browser")
    API = "api", _("app")


class AuthSession(models.Model):
    """One signed-in device: a browser's session, or an API client's chain of
    refresh tokens (each rotation keeps the session). Access tokens and the
    browser's session carry its id; once `ended_at` is set neither is taken
    again (`accounts.auth_sessions`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auth_sessions", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=SessionKind.choices)
    # A browser's: the key of the Django session it rides on (kept current when the key changes).
    session_key = models.CharField(_("session key"), max_length=40, blank=True, editable=False)
    # An API client's: the id of its live refresh token, and when that token expires.
    refresh_jti = models.CharField(_("refresh token id"), max_length=255, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed in at"), default=now)
    last_used_at = models.DateTimeField(_("last used at"), default=now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    # Not columns: what `accounts.selectors.devices_signed_in` attaches for the device list.
    label: str
    current: bool

    class Meta:
        verbose_name = _("signed-in device")
        verbose_name_plural = _("signed-in devices")
        ordering = ["-last_used_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SessionKind.values), name="auth_session_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind=SessionKind.BROWSER) | Q(expires_at__isnull=False), name="auth_session_api_expires"
            ),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("created_at")),
                name="auth_session_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(
                fields=["user", "-last_used_at"], condition=Q(ended_at__isnull=True), name="auth_session_live_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.kind}:{self.id}"
