"""Billing writes: lesson packages, their balance and expiry (payments are
in `billing.payments`).

Every function is one transaction (joining the caller's, e.g. booking's), and
every state change writes its audit record and outbox event through
`audit.services.change_record` in that transaction.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import change_record
from billing import selectors
from billing.errors import InvalidTransition, NoActivePackage
from billing.models import LessonPackage, Product
from guitaronline.core import capabilities
from guitaronline.core.capabilities import Capability
from guitaronline.core.errors import InvalidInput
from guitaronline.core.transactions import joins_transaction

PackageStatus = LessonPackage.Status

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_CENT = Decimal("0.01")
_MONEY_LIMIT = Decimal("1e10")  # DecimalField(max_digits=12, decimal_places=2)
_MAX_LESSONS = 2_147_483_647  # PositiveIntegerField on every supported database


# --- input checks -----------------------------------------------------------


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(details={field: [message]})


def validated_money(value, *, field: str, allow_zero: bool) -> Decimal:
    if isinstance(value, (bool, float)):
        raise _invalid(field, _("Give the amount as a decimal number, e.g. 1500.00."))
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise _invalid(field, _("Give the amount as a decimal number, e.g. 1500.00."))
    if not amount.is_finite() or abs(amount) >= _MONEY_LIMIT:
        raise _invalid(field, _("The amount is out of range."))
    if amount != amount.quantize(_CENT):
        raise _invalid(field, _("Use at most two decimal places."))
    if amount < 0 or (amount == 0 and not allow_zero):
        message = _("The amount must not be negative.") if allow_zero else _("The amount must be greater than zero.")
        raise _invalid(field, message)
    return amount.quantize(_CENT)


def validated_currency(value) -> str:
    currency = value.strip().upper() if isinstance(value, str) else ""
    if not _CURRENCY.match(currency):
        raise _invalid("currency", _("Use a three-letter ISO 4217 code, e.g. RUB."))
    return currency


def _validated_lessons_total(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _invalid("lessons_total", _("Give a whole number of lessons."))
    if value < 1:
        raise _invalid("lessons_total", _("A package holds at least one lesson."))
    if value > _MAX_LESSONS:
        raise _invalid("lessons_total", _("Too many lessons for one package."))
    return value


def _validated_expiry(value, *, now: datetime) -> datetime:
    if not isinstance(value, datetime) or timezone.is_naive(value):
        raise _invalid("expires_at", _("Give a date and time with a time zone."))
    if value <= now:
        raise _invalid("expires_at", _("The expiry must be in the future."))
    return value


def _locked_package(package: LessonPackage) -> LessonPackage:
    return LessonPackage.objects.select_for_update().get(pk=package.pk)


def _refresh_from(target, source, fields: list[str]) -> None:
    """Let the caller's instance see what the service wrote."""
    for field in fields:
        setattr(target, field, getattr(source, field))


# --- packages ---------------------------------------------------------------


@transaction.atomic
def package_create(
    *,
    student: User,
    lessons_total: int,
    price: Decimal,
    currency: str,
    expires_at: datetime,
    actor: User | None,
    now: datetime | None = None,
    payment_id: int | None = None,
) -> LessonPackage:
    """A new active package with every lesson left (staff need
    `manage_packages`), or bought (`payment_id`: its receipt tells the
    student)."""
    capabilities.require(actor, Capability.MANAGE_PACKAGES)
    now = now or timezone.now()
    if not getattr(student, "is_student", False):
        raise _invalid("student_id", _("Packages are for students only."))
    lessons_total = _validated_lessons_total(lessons_total)
    price = validated_money(price, field="price", allow_zero=True)
    currency = validated_currency(currency)
    expires_at = _validated_expiry(expires_at, now=now)
    package = LessonPackage.objects.create(
        student=student,
        lessons_total=lessons_total,
        lessons_left=lessons_total,
        price=price,
        currency=currency,
        expires_at=expires_at,
        status=PackageStatus.ACTIVE,
    )
    change_record(
        actor=actor,
        action="billing.package.created",
        entity=package,
        payload={
            "student_id": student.pk,
            "lessons_total": lessons_total,
            "price": str(price),
            "currency": currency,
            "expires_at": expires_at.isoformat(),
            "payment_id": payment_id,
        },
    )
    return package


@joins_transaction  # a step of the caller's change (a confirm): no savepoint of its own
def package_consume_lesson(*, student: User, now: datetime | None = None, actor: User | None = None) -> LessonPackage:
    """Take one lesson from the student's usable package (the one expiring first).

    The package row is locked before it is checked and decremented, so
    concurrent callers never take more lessons than there are. Joins the
    caller's transaction (booking confirms inside its own).
    """
    now = now or timezone.now()
    # FOR UPDATE waits for a concurrent taker; PostgreSQL then re-evaluates
    # the WHERE clause on the row it committed, and we check again below.
    package = selectors.packages_usable(student=student, now=now).select_for_update().first()
    if package is None or not selectors.package_is_usable(package=package, now=now):
        raise NoActivePackage()
    package.lessons_left -= 1
    if package.lessons_left == 0:
        package.status = PackageStatus.DEPLETED
    package.save(update_fields=["lessons_left", "status", "updated_at"])
    change_record(
        actor=actor,
        action="billing.package.lesson_consumed",
        entity=package,
        payload={"student_id": student.pk, "lessons_left": package.lessons_left, "status": package.status},
    )
    return package


@transaction.atomic
def package_return_lesson(
    *, package: LessonPackage, actor: User | None = None, now: datetime | None = None
) -> LessonPackage:
    """Give one lesson back (never above the total).

    A depleted package comes back to life: active when `expires_at` is still
    ahead, expired otherwise. A package already full is returned unchanged,
    with no audit record.
    """
    now = now or timezone.now()
    locked = _locked_package(package)
    if locked.lessons_left >= locked.lessons_total:
        _refresh_from(package, locked, ["lessons_left", "status", "updated_at"])
        return locked
    previous_status = locked.status
    locked.lessons_left += 1
    if locked.status == PackageStatus.DEPLETED:
        locked.status = PackageStatus.ACTIVE if locked.expires_at > now else PackageStatus.EXPIRED
    locked.save(update_fields=["lessons_left", "status", "updated_at"])
    change_record(
        actor=actor,
        action="billing.package.lesson_returned",
        entity=locked,
        payload={"student_id": locked.student_id, "lessons_left": locked.lessons_left, "status": locked.status},
    )
    if previous_status != PackageStatus.EXPIRED and locked.status == PackageStatus.EXPIRED:
        _record_expired(package=locked, actor=actor)
    _refresh_from(package, locked, ["lessons_left", "status", "updated_at"])
    return locked


def _record_expired(*, package: LessonPackage, actor: User | None) -> None:
    change_record(
        actor=actor,
        action="billing.package.expired",
        entity=package,
        payload={
            "student_id": package.student_id,
            "lessons_left": package.lessons_left,
            "expires_at": package.expires_at.isoformat(),
        },
    )


@transaction.atomic
def package_expire(*, package: LessonPackage, now: datetime | None = None, actor: User | None = None) -> bool:
    """Persist `expired` for an active package past `expires_at`.

    A compare-and-swap `UPDATE ... WHERE status = 'active'`: of two concurrent
    runs exactly one changes the row and emits `billing.package.expired`.
    Returns whether this call expired it; anything else is a no-op. Staff
    need `expire_overdue`.
    """
    capabilities.require(actor, Capability.EXPIRE_OVERDUE)
    now = now or timezone.now()
    updated = LessonPackage.objects.filter(pk=package.pk, status=PackageStatus.ACTIVE, expires_at__lte=now).update(
        status=PackageStatus.EXPIRED, updated_at=timezone.now()
    )
    if not updated:
        return False
    package.refresh_from_db()
    _record_expired(package=package, actor=actor)
    return True


@transaction.atomic
def packages_expire_overdue(*, now: datetime | None = None, actor: User | None = None) -> int:
    """Expire every active package past `expires_at`; returns how many this run expired."""
    capabilities.require(actor, Capability.EXPIRE_OVERDUE)
    now = now or timezone.now()
    return sum(
        package_expire(package=package, now=now, actor=actor)
        for package in selectors.packages_overdue(now=now).select_related(None)
    )


@transaction.atomic
def package_cancel(*, package: LessonPackage, actor: User | None, now: datetime | None = None) -> LessonPackage:
    """Staff (with `manage_packages`) cancel an active or depleted package;
    canceling it again is a no-op."""
    capabilities.require(actor, Capability.MANAGE_PACKAGES)
    now = now or timezone.now()
    locked = _locked_package(package)
    current = selectors.package_effective_status(package=locked, now=now)
    if current == PackageStatus.CANCELED:
        return locked
    if current not in (PackageStatus.ACTIVE, PackageStatus.DEPLETED):
        raise InvalidTransition(details={"from": current, "to": PackageStatus.CANCELED.value})
    locked.status = PackageStatus.CANCELED
    locked.save(update_fields=["status", "updated_at"])
    change_record(
        actor=actor,
        action="billing.package.canceled",
        entity=locked,
        payload={"student_id": locked.student_id, "from": current, "lessons_left": locked.lessons_left},
    )
    _refresh_from(package, locked, ["status", "updated_at"])
    return locked


# --- products ----------------------------------------------------------------


@transaction.atomic
def product_save(*, product: Product, actor: User | None) -> Product:
    """Staff (with `manage_packages`) add a product to the catalogue or change
    one; a product is never deleted, only taken off sale. The price and
    currency apply to checkouts from now on, not to those already open."""
    capabilities.require(actor, Capability.MANAGE_PACKAGES)
    product.price = validated_money(product.price, field="price", allow_zero=False)
    product.currency = validated_currency(product.currency)
    created = product.pk is None
    try:
        product.full_clean()
    except ValidationError as error:
        raise InvalidInput(details=error.message_dict) from error
    product.save()
    change_record(
        actor=actor,
        action="billing.product.created" if created else "billing.product.changed",
        entity=product,
        payload={
            "name_en": product.name_en,
            "lessons": product.lessons,
            "validity_days": product.validity_days,
            "price": str(product.price),
            "currency": product.currency,
            "is_active": product.is_active,
        },
    )
    return product
