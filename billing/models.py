from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from guitaronline.core.models import TimeStampedModel

currency_validator = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. RUB."))


class LessonPackage(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        EXPIRED = "expired", _("expired")
        DEPLETED = "depleted", _("depleted")
        CANCELED = "canceled", _("canceled")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("student"),
        on_delete=models.PROTECT,
        related_name="packages",
        limit_choices_to={"role": "student"},
    )
    lessons_total = models.PositiveIntegerField(_("lessons in total"), validators=[MinValueValidator(1)])
    lessons_left = models.PositiveIntegerField(_("lessons left"))
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = _("lesson package")
        verbose_name_plural = _("lesson packages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(lessons_total__gte=1), name="package_total_positive"),
            models.CheckConstraint(
                condition=Q(lessons_left__gte=0) & Q(lessons_left__lte=F("lessons_total")),
                name="package_left_within_total",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="package_price_not_negative"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "expired", "depleted", "canceled"]), name="package_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["student", "status", "expires_at"], name="package_student_status_idx"),
            models.Index(fields=["expires_at"], name="package_active_expiry_idx", condition=Q(status="active")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.lessons_left}/{self.lessons_total} ({self.status})"


class Payment(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        REFUNDED = "refunded", _("refunded")

    package = models.ForeignKey(
        LessonPackage, verbose_name=_("package"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(_("provider"), max_length=32, default="offline")
    provider_reference = models.CharField(_("provider reference"), max_length=128, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed", "refunded"]), name="payment_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["succeeded", "refunded"]) | Q(paid_at__isnull=False),
                name="payment_paid_has_paid_at",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount} {self.currency} ({self.status})"
