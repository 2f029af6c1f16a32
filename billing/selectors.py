"""Billing reads and the access helpers that guard every object fetch.

A package past `expires_at` is expired wherever it is read, before the
periodic job has persisted it: lists carry an `effective_status` annotation
and `package_effective_status` gives the same answer for one instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Case, CharField, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import timezone

from accounts.models import Role, User
from billing.models import LessonPackage, Payment, PaymentEvent, Product
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from guitaronline.core.tallies import Tally, tally

Status = LessonPackage.Status


def _overdue_q(now: datetime) -> Q:
    """Active packages whose time is up (the job has not persisted it yet)."""
    return Q(status=Status.ACTIVE, expires_at__lte=now)


def _usable_q(now: datetime) -> Q:
    return Q(status=Status.ACTIVE, lessons_left__gt=0, expires_at__gt=now)


def _is_staff(user) -> bool:
    return bool(user.is_authenticated and user.is_staff)


def _is_student(user) -> bool:
    return bool(user.is_authenticated and user.is_student)


# --- packages ---------------------------------------------------------------


def package_effective_status(*, package: LessonPackage, now: datetime | None = None) -> str:
    """The status to show: `expired` for an active package past `expires_at`."""
    annotated = getattr(package, "effective_status", None)
    if annotated is not None:
        return annotated
    now = now or timezone.now()
    if package.status == Status.ACTIVE and package.expires_at <= now:
        return Status.EXPIRED
    return package.status


def package_is_usable(*, package: LessonPackage, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return package.status == Status.ACTIVE and package.lessons_left > 0 and package.expires_at > now


def packages_with_effective_status(*, now: datetime | None = None) -> QuerySet[LessonPackage]:
    now = now or timezone.now()
    return LessonPackage.objects.annotate(
        effective_status=Case(
            When(_overdue_q(now), then=Value(Status.EXPIRED.value)),
            default=F("status"),
            output_field=CharField(),
        )
    )


def packages_usable(*, student: User, now: datetime | None = None) -> QuerySet[LessonPackage]:
    """The student's packages a lesson can be taken from, the one expiring first first."""
    now = now or timezone.now()
    return LessonPackage.objects.filter(_usable_q(now), student=student).order_by("expires_at", "pk")


def package_usable(*, student: User, now: datetime | None = None) -> LessonPackage | None:
    return packages_usable(student=student, now=now).first()


def package_list_for_student(*, student: User, now: datetime | None = None) -> QuerySet[LessonPackage]:
    return packages_with_effective_status(now=now).filter(student=student).order_by("-created_at", "-pk")


def packages_overdue(*, now: datetime | None = None) -> QuerySet[LessonPackage]:
    """Active packages past `expires_at` that the expiry job has not persisted yet."""
    now = now or timezone.now()
    return LessonPackage.objects.filter(_overdue_q(now)).select_related("student").order_by("expires_at", "pk")


def student_for_user(*, user, student_id) -> User:
    """The student whose packages `user` may read: themselves, or anyone for staff.

    Everyone else gets not-found (never forbidden), so ids leak nothing.
    """
    student_id = object_id(student_id)
    if _is_staff(user):
        student = User.objects.filter(pk=student_id, role=Role.STUDENT).first()
    elif _is_student(user) and user.pk == student_id:
        student = user
    else:
        student = None
    if student is None:
        raise NotFound()
    return student


def package_for_user(*, user, package_id, now: datetime | None = None) -> LessonPackage:
    """A package its owner student or staff may read; not-found for anyone else."""
    if _is_staff(user):
        packages = packages_with_effective_status(now=now)
    elif _is_student(user):
        packages = packages_with_effective_status(now=now).filter(student=user)
    else:
        raise NotFound()
    try:
        return packages.select_related("student").get(pk=object_id(package_id))
    except LessonPackage.DoesNotExist as exc:
        raise NotFound() from exc


# --- payments ---------------------------------------------------------------


def payments_list_for_user(*, user) -> QuerySet[Payment]:
    """Staff: every payment; a student: payments of their own packages; others: none."""
    payments = Payment.objects.select_related("package", "product").order_by("-created_at", "-pk")
    if _is_staff(user):
        return payments
    if _is_student(user):
        return payments.filter(student=user)
    return payments.none()


def payment_for_user(*, user, payment_id) -> Payment:
    """A payment the owner student or staff may read; not-found for anyone else."""
    try:
        return payments_list_for_user(user=user).get(pk=object_id(payment_id))
    except Payment.DoesNotExist as exc:
        raise NotFound() from exc


# --- counts for staff -------------------------------------------------------


def packages_by_status(*, now: datetime | None = None) -> Tally:
    """Packages by effective status (an overdue active package counts as expired)."""
    return tally(packages_with_effective_status(now=now), "effective_status", Status)


def payments_by_status() -> Tally:
    return tally(Payment.objects.all(), "status", Payment.Status)


def _money(value: Decimal | None) -> str:
    return f"{(value or Decimal('0')):.2f}"


def payment_amounts() -> dict[str, dict[str, str]]:
    """Per currency: `succeeded` = all money received (also what was later
    refunded), `refunded` = what was given back, and `net` = succeeded - refunded."""
    rows = (
        Payment.objects.filter(status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED])
        .values("currency")
        .annotate(succeeded=Sum("amount"), refunded=Sum("refunded_amount"))
        .order_by("currency")
    )
    return {
        row["currency"]: {
            "succeeded": _money(row["succeeded"]),
            "refunded": _money(row["refunded"]),
            "net": _money(row["succeeded"] - row["refunded"]),
        }
        for row in rows
    }


# --- products and checkouts -------------------------------------------------


def products_on_sale() -> QuerySet[Product]:
    """The active products, in their display order."""
    return Product.objects.filter(is_active=True).order_by("position", "id")


def checkout_pending(*, student: User, product: Product) -> Payment | None:
    """The student's checkout of `product` still waiting for its money, if any."""
    return Payment.objects.filter(student=student, product=product, status=Payment.Status.PENDING).first()


def payment_for_student(*, user, payment_id) -> Payment:
    """Access helper: the signed-in student's own payment, with its product
    and package; not-found for anyone else."""
    if not _is_student(user):
        raise NotFound()
    try:
        return Payment.objects.select_related("product", "package").get(pk=object_id(payment_id), student=user)
    except Payment.DoesNotExist as exc:
        raise NotFound() from exc


def payments_pending_stale(*, now: datetime | None = None, older_than: timedelta = timedelta(days=1)):
    """Payments still pending after `older_than` (a day): money to chase."""
    now = now or timezone.now()
    return (
        Payment.objects.filter(status=Payment.Status.PENDING, created_at__lte=now - older_than)
        .select_related("student", "product")
        .order_by("created_at", "pk")
    )


def payment_events_mismatched() -> QuerySet[PaymentEvent]:
    """Provider notifications whose amount or currency differs from our payment: never fulfilled, for staff."""
    return PaymentEvent.objects.filter(result=PaymentEvent.Result.MISMATCH)


# --- finance ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthMoney:
    month: date
    revenue: Decimal  # received that month (also what was refunded later)
    refunds: Decimal  # given back that month


def _months(now: datetime, count: int) -> list[date]:
    first = timezone.localtime(now).date().replace(day=1)
    months = []
    for _ in range(count):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return months[::-1]


def money_by_month(*, months: int = 12, now: datetime | None = None) -> dict[str, list[MonthMoney]]:
    """Revenue (payments received, by the month they were paid) and refunds
    (by the month of the refund) per currency, for the last `months`
    months in the current time zone up to the month of `now`, oldest first,
    months without money as zero. Two grouped queries."""
    now = now or timezone.now()
    calendar = _months(now, months)
    since = timezone.make_aware(datetime.combine(calendar[0], datetime.min.time()))
    next_month = (calendar[-1] + timedelta(days=32)).replace(day=1)
    until = timezone.make_aware(datetime.combine(next_month, datetime.min.time()))
    paid = (
        Payment.objects.filter(
            status__in=[Payment.Status.SUCCEEDED, Payment.Status.REFUNDED], paid_at__gte=since, paid_at__lt=until
        )
        .annotate(month=TruncMonth("paid_at"))
        .values("currency", "month")
        .annotate(total=Sum("amount"))
    )
    refunded = (
        Payment.objects.filter(status=Payment.Status.REFUNDED, refunded_at__gte=since, refunded_at__lt=until)
        .annotate(month=TruncMonth("refunded_at"))
        .values("currency", "month")
        .annotate(total=Sum("refunded_amount"))
    )
    sums: dict[str, dict[date, list[Decimal]]] = {}
    for index, rows in enumerate((paid, refunded)):
        for row in rows:
            month = timezone.localtime(row["month"]).date() if isinstance(row["month"], datetime) else row["month"]
            cells = sums.setdefault(row["currency"], {})
            cells.setdefault(month, [Decimal("0.00"), Decimal("0.00")])[index] += row["total"] or Decimal("0")
    return {
        currency: [MonthMoney(month, *cells.get(month, [Decimal("0.00"), Decimal("0.00")])) for month in calendar]
        for currency, cells in sorted(sums.items())
    }


def payments_for_export(*, start: date, end: date) -> QuerySet[Payment]:
    """The payments created from `start` to `end` (inclusive days, current time zone), oldest first."""
    since = timezone.make_aware(datetime.combine(start, datetime.min.time()))
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), datetime.min.time()))
    return (
        Payment.objects.filter(created_at__gte=since, created_at__lt=until)
        .select_related("student", "product")
        .order_by("created_at", "pk")
    )
