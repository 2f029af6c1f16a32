from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language, pgettext_lazy
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


class Product(TimeStampedModel):
    """What the school sells: a number of lessons, valid for some days, at a
    price. Staff keep the catalogue in the admin; students see the active
    products, by position, and buy one through a checkout."""

    name_en = models.CharField(_("name (English)"), max_length=120)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    description_en = models.TextField(_("description (English)"), blank=True, max_length=2000)
    description_ru = models.TextField(_("description (Russian)"), blank=True, max_length=2000)
    lessons = models.PositiveIntegerField(_("lessons"), validators=[MinValueValidator(1)])
    validity_days = models.PositiveIntegerField(_("valid for, days"), validators=[MinValueValidator(1)])
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0.01)])
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    is_active = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0, help_text=_("Lower comes first."))

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(lessons__gte=1), name="product_lessons_positive"),
            models.CheckConstraint(condition=Q(validity_days__gte=1), name="product_validity_positive"),
            models.CheckConstraint(condition=Q(price__gt=0), name="product_price_positive"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Russian, else English)."""
        return self.name_ru if get_language() == "ru" and self.name_ru else self.name_en

    @property
    def description(self) -> str:
        return self.description_ru if get_language() == "ru" and self.description_ru else self.description_en


# How a payment was made, as the student and staff read it (the provider's own name otherwise).
PROVIDER_LABELS = {
    "offline": _("to the school (cash or bank transfer)"),
    "stripe": "Stripe",
    "yookassa": pgettext_lazy("payment provider", "YooKassa"),
}


class Payment(TimeStampedModel):
    """Money for lessons.

    A checkout payment is made for a product before any package exists:
    pending while the student pays at the provider, succeeded (with its new
    package) when the provider confirms it, expired when abandoned, failed
    when refused. A payment recorded by staff for an existing package has
    its package from the start. A refund gives back `refunded_amount`, at
    most what was paid, and cancels the lessons the package had left.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")
        REFUNDED = "refunded", _("refunded")
        EXPIRED = "expired", pgettext_lazy("payment status", "expired")

    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("student"), on_delete=models.PROTECT, related_name="payments"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    package = models.ForeignKey(
        LessonPackage,
        verbose_name=_("package"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    provider = models.CharField(_("provider"), max_length=32, default="offline")
    provider_reference = models.CharField(_("provider reference"), max_length=128, blank=True)
    checkout_url = models.URLField(_("checkout address"), max_length=1000, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    refunded_amount = models.DecimalField(_("refunded amount"), max_digits=12, decimal_places=2, default=0)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "succeeded", "failed", "refunded", "expired"]),
                name="payment_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["succeeded", "refunded"]) | Q(paid_at__isnull=False),
                name="payment_paid_has_paid_at",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["succeeded", "refunded"]) | Q(package__isnull=False),
                name="payment_paid_has_package",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=F("amount")),
                name="payment_refund_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(status="refunded", refunded_amount__gt=0, refunded_at__isnull=False)
                | (~Q(status="refunded") & Q(refunded_amount=0, refunded_at__isnull=True)),
                name="payment_refunded_has_amount",
            ),
            # One checkout of a product at a time per student: a second one returns the first.
            models.UniqueConstraint(
                fields=["student", "product"],
                condition=Q(status="pending", product__isnull=False),
                name="payment_one_pending_checkout_per_product",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="payment_status_idx"),
            models.Index(fields=["student", "-created_at"], name="payment_student_idx"),
            models.Index(fields=["provider", "provider_reference"], name="payment_provider_ref_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount} {self.currency} ({self.status})"

    @property
    def provider_label(self) -> str:
        return str(PROVIDER_LABELS.get(self.provider, self.provider))


class PaymentEvent(models.Model):
    """A notification a provider sent us (a webhook), kept whatever came of
    it. The provider's event id is unique per provider: a replay is
    recognised and changes nothing."""

    class Result(models.TextChoices):
        FULFILLED = "fulfilled", _("payment received, package created")
        REFUNDED = "refunded", _("refund recorded")
        FAILED = "failed", _("payment failed or canceled")
        MISMATCH = "mismatch", _("amount or currency differs: not fulfilled")
        UNKNOWN_PAYMENT = "unknown_payment", _("no such payment here")
        IGNORED = "ignored", _("nothing to do")

    provider = models.CharField(_("provider"), max_length=32)
    event_id = models.CharField(_("event id"), max_length=128)
    event_type = models.CharField(_("event type"), max_length=100)
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    detail = models.TextField(_("detail"), blank=True)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("payment provider event")
        verbose_name_plural = _("payment provider events")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="payment_event_once_per_provider"),
        ]
        indexes = [models.Index(fields=["result", "created_at"], name="payment_event_result_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.event_id} ({self.result})"
