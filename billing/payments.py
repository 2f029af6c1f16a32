"""Payments: checkouts of products, the provider's confirmations, payments
staff record and settle, refunds.

A student checks out a product: a pending payment whose amount and currency
come from the product, registered with the provider, whose page the student
pays on. The package is created, and the payment marked succeeded, only when
the provider confirms the payment (`payment_fulfil`): by a notification
(`webhook_receive`), by the periodic reconciliation that asks the provider
about checkouts still pending (`payments_reconcile`, for a notification
lost), or, offline, when finance settles it (`payment_settle`). Each payment
row is locked before it changes, so a package is created exactly once
however many notifications arrive, in whatever order.

Every change writes its audit record and outbox event in its transaction;
`billing.payment.status_changed` to `succeeded` or `refunded` e-mails the
student a receipt or a refund notice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import verification
from audit.services import change_record
from billing import selectors, services
from billing.errors import (
    InvalidTransition,
    PackageInactive,
    PaymentProviderUnavailable,
    ProductUnavailable,
    RefundAmountRequired,
    RefundTooLarge,
)
from billing.models import LessonPackage, Payment, PaymentEvent, Product
from billing.providers import CANCELED, PAID, PROVIDERS, REFUNDED, ProviderEvent, get_provider
from guitaronline.core import capabilities
from guitaronline.core.capabilities import Capability
from guitaronline.core.errors import ApplicationError, Forbidden, InvalidInput, NotFound
from guitaronline.core.ids import object_id

Status = Payment.Status


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _payload(payment: Payment, **extra) -> dict:
    return {
        "payment_id": payment.pk,
        "student_id": payment.student_id,
        "product_id": payment.product_id,
        "package_id": payment.package_id,
        "amount": str(payment.amount),
        "currency": payment.currency,
        "provider": payment.provider,
        "provider_reference": payment.provider_reference,
        **extra,
    }


def _record_status(payment: Payment, previous: str, *, actor=None, **extra) -> None:
    change_record(
        actor=actor,
        action="billing.payment.status_changed",
        entity=payment,
        payload=_payload(payment, **{"from": previous, "to": payment.status}, **extra),
    )


_CHANGING = ("status", "paid_at", "package_id", "refunded_amount", "refunded_at", "updated_at")


def _tell(caller: Payment, changed: Payment) -> Payment:
    """Let the caller's instance see what the service wrote; returns it."""
    for name in _CHANGING:
        setattr(caller, name, getattr(changed, name))
    return caller


def _locked(payment: Payment) -> Payment:
    return Payment.objects.select_for_update(of=("self",)).select_related("product", "package").get(pk=payment.pk)


def return_url(payment: Payment) -> str:
    """Where the provider sends the student back: the payment's own page."""
    return settings.SITE_URL + reverse("billing:payment-detail", args=[payment.pk])


# --- checkout ---------------------------------------------------------------------------


def _call_provider(provider, call):
    """A call to `provider`; its failure to answer becomes
    `PaymentProviderUnavailable` (503), which rolls the caller's transaction
    back: nothing half-written."""
    try:
        return call()
    except ApplicationError:
        raise
    except Exception as exc:  # network errors, the provider's own errors: the library's many classes
        raise PaymentProviderUnavailable(details={"provider": provider.name}) from exc


@transaction.atomic
def product_checkout(*, student, product_id, now: datetime | None = None) -> tuple[Payment, bool]:
    """A pending payment for a product, registered with the provider, with
    the address where the student pays (none offline: the page shows how to
    pay the school), and whether it is new: a checkout still pending for the
    same product comes back instead of a second one."""
    now = _now(now)
    if not student.is_student:
        raise Forbidden(message=_("Only students can buy lessons."))
    verification.require_verified(student)
    product = Product.objects.filter(pk=object_id(product_id)).first()
    if product is None:
        raise NotFound()
    if not product.is_active:
        raise ProductUnavailable(details={"product_id": product.pk})
    pending = selectors.checkout_pending(student=student, product=product)
    if pending is not None:
        return pending, False
    provider = get_provider()
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                student=student,
                product=product,
                amount=product.price,
                currency=product.currency,
                status=Status.PENDING,
                provider=provider.name,
            )
    except IntegrityError:  # a concurrent checkout of the same product: the constraint has the last word
        pending = selectors.checkout_pending(student=student, product=product)
        if pending is None:  # another constraint than the one pending checkout per product
            raise
        return pending, False
    checkout = _call_provider(provider, lambda: provider.create_checkout(payment, return_url=return_url(payment)))
    payment.provider_reference, payment.checkout_url = checkout.reference, checkout.url
    payment.save(update_fields=["provider_reference", "checkout_url", "updated_at"])
    change_record(actor=student, action="billing.payment.checkout_started", entity=payment, payload=_payload(payment))
    return payment, True


# --- the provider confirms, or not ---------------------------------------------------------


def _mismatch(payment: Payment, amount: Decimal | None, currency: str | None) -> str:
    """Why a confirmation does not match our payment ("" when it does)."""
    if amount is not None and Decimal(amount) != payment.amount:
        return f"amount {amount} instead of {payment.amount}"
    if currency is not None and currency.upper() != payment.currency:
        return f"currency {currency.upper()} instead of {payment.currency}"
    return ""


@transaction.atomic
def payment_fulfil(
    *, payment: Payment, amount: Decimal | None, currency: str | None, actor=None, now: datetime | None = None
) -> str:
    """The money of `payment` has arrived: its package is created and the
    payment marked succeeded, once. A payment that expired or failed meanwhile
    is fulfilled too (the student did pay). Returns the event's result:
    `fulfilled`, `ignored` (already done) or `mismatch` (the amount or
    currency differs from ours: nothing changes, staff see it)."""
    now = _now(now)
    payment = _locked(payment)
    if payment.status in (Status.SUCCEEDED, Status.REFUNDED) or payment.product_id is None:
        return PaymentEvent.Result.IGNORED  # done already, or a payment recorded for a package it has
    if _mismatch(payment, amount, currency):
        return PaymentEvent.Result.MISMATCH
    product = cast(Product, payment.product)  # product_id checked above
    package = services.package_create(
        student=payment.student,
        lessons_total=product.lessons,
        price=payment.amount,
        currency=payment.currency,
        expires_at=now + timedelta(days=product.validity_days),
        actor=None,  # bought, not granted by staff
        now=now,
        payment_id=payment.pk,
    )
    previous = payment.status
    payment.status, payment.paid_at, payment.package = Status.SUCCEEDED, now, package
    payment.save(update_fields=["status", "paid_at", "package", "updated_at"])
    _record_status(
        payment, previous, actor=actor, lessons_total=package.lessons_total, expires_at=package.expires_at.isoformat()
    )
    return PaymentEvent.Result.FULFILLED


def _close(payment: Payment, status: str, *, actor=None) -> bool:
    """Compare-and-swap a pending payment to `status` (failed, expired)."""
    changed = Payment.objects.filter(pk=payment.pk, status=Status.PENDING).update(
        status=status, updated_at=timezone.now()
    )
    if changed:
        payment.refresh_from_db()
        _record_status(payment, Status.PENDING, actor=actor)
    return bool(changed)


@transaction.atomic
def payment_settle(*, payment: Payment, succeeded: bool, actor, now: datetime | None = None) -> Payment:
    """Finance settles a pending payment of money taken offline: received
    (its package is created) or not (failed)."""
    capabilities.require(actor, Capability.MANAGE_PAYMENTS)
    locked = _locked(payment)
    if locked.status != Status.PENDING or locked.product_id is None:
        raise InvalidTransition(details={"from": locked.status, "to": Status.SUCCEEDED if succeeded else Status.FAILED})
    if succeeded:
        payment_fulfil(payment=locked, amount=locked.amount, currency=locked.currency, actor=actor, now=now)
    else:
        _close(locked, Status.FAILED, actor=actor)
    locked.refresh_from_db()
    return _tell(payment, locked)


@transaction.atomic
def product_sell_offline(*, product: Product, student, actor, now: datetime | None = None) -> Payment:
    """Finance sells a product to a student who paid at the desk: the payment
    and the package at once."""
    capabilities.require(actor, Capability.MANAGE_PAYMENTS)
    if not getattr(student, "is_student", False):
        raise Forbidden(message=_("Only students can buy lessons."))
    payment = Payment.objects.create(
        student=student, product=product, amount=product.price, currency=product.currency, provider="offline"
    )
    payment.provider_reference = f"offline-{payment.pk}"
    payment.save(update_fields=["provider_reference", "updated_at"])
    payment_fulfil(payment=payment, amount=product.price, currency=product.currency, actor=actor, now=now)
    payment.refresh_from_db()
    return payment


def _reconcile_one(payment: Payment, *, now: datetime, expire_before: datetime) -> str:
    """Ask the provider about one pending checkout and act on the answer."""
    provider = get_provider(payment.provider)
    if provider.hosted:
        state = _call_provider(provider, lambda: provider.fetch(payment))
        if state.state == PAID:
            return payment_fulfil(payment=payment, amount=state.amount, currency=state.currency, now=now)
        if state.state == CANCELED:
            return "failed" if _close(payment, Status.FAILED) else "unchanged"
    if payment.created_at <= expire_before:
        return "expired" if _close(payment, Status.EXPIRED) else "unchanged"
    return "unchanged"


def _expire_before(payment: Payment, now: datetime) -> datetime:
    """A checkout created before this is abandoned."""
    if payment.provider == "offline":
        return now - timedelta(days=settings.BILLING_OFFLINE_CHECKOUT_DAYS)
    return now - timedelta(minutes=settings.BILLING_CHECKOUT_MINUTES)


def payment_refresh(*, payment: Payment, now: datetime | None = None) -> Payment:
    """The student is back from the provider's page: a checkout still pending
    there is asked about once, as the reconciliation would (the notification
    may still be on its way), and settled. A provider that does not answer
    leaves it pending; the reconciliation asks again later."""
    if payment.status != Status.PENDING or payment.product_id is None or not get_provider(payment.provider).hosted:
        return payment
    now = _now(now)
    try:
        with transaction.atomic():
            _reconcile_one(payment, now=now, expire_before=_expire_before(payment, now))
    except PaymentProviderUnavailable:
        return payment
    payment.refresh_from_db()
    return payment


def payments_reconcile(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic step for checkouts a notification may have missed: those
    pending for BILLING_RECONCILE_AFTER_MINUTES are asked about at their
    provider and settled; those pending past BILLING_CHECKOUT_MINUTES (offline:
    BILLING_OFFLINE_CHECKOUT_DAYS) are abandoned and expire. A provider that
    does not answer is asked again next time."""
    now = _now(now)
    asked_before = now - timedelta(minutes=settings.BILLING_RECONCILE_AFTER_MINUTES)
    result: dict[str, int] = {}
    pending = Payment.objects.filter(status=Status.PENDING, product__isnull=False, created_at__lte=asked_before)
    for payment in pending.order_by("created_at").iterator():
        try:
            with transaction.atomic():
                outcome = _reconcile_one(payment, now=now, expire_before=_expire_before(payment, now))
        except PaymentProviderUnavailable:
            outcome = "provider_unavailable"
        result[outcome] = result.get(outcome, 0) + 1
    return result


# --- refunds ----------------------------------------------------------------------------


@transaction.atomic
def payment_refund(
    *,
    payment: Payment,
    actor,
    amount: Decimal | None = None,
    at_provider: bool = True,
    now: datetime | None = None,
) -> Payment:
    """Give money back and cancel the lessons the package has left.

    The whole amount for an unused package; for a used one staff name the
    amount, never more than was paid. The provider's refund is called first
    (`at_provider`; not for a refund the provider tells us it made), so a
    provider that fails leaves everything as it was."""
    capabilities.require(actor, Capability.MANAGE_PAYMENTS)
    now = _now(now)
    caller, payment = payment, _locked(payment)
    if payment.status != Status.SUCCEEDED:
        raise InvalidTransition(details={"from": payment.status, "to": Status.REFUNDED})
    package = cast(LessonPackage, payment.package)  # a succeeded payment made its package
    used = package.lessons_left < package.lessons_total and package.status != package.Status.CANCELED
    if amount is None:
        if used:
            raise RefundAmountRequired(details={"amount": [str(RefundAmountRequired.default_message)]})
        amount = payment.amount
    amount = services.validated_money(amount, field="amount", allow_zero=False)
    if amount > payment.amount:
        raise RefundTooLarge(details={"amount": [str(RefundTooLarge.default_message)], "paid": str(payment.amount)})
    if at_provider:
        provider = get_provider(payment.provider)
        _call_provider(provider, lambda: provider.refund(payment, amount))
    if package.status in (package.Status.ACTIVE, package.Status.DEPLETED):
        services.package_cancel(package=package, actor=actor, now=now)
    payment.status, payment.refunded_amount, payment.refunded_at = Status.REFUNDED, amount, now
    payment.save(update_fields=["status", "refunded_amount", "refunded_at", "updated_at"])
    _record_status(payment, Status.SUCCEEDED, actor=actor, refunded_amount=str(amount))
    return _tell(caller, payment)


# --- notifications ------------------------------------------------------------------------


def _payment_of(provider_name: str, event: ProviderEvent) -> Payment | None:
    payments = Payment.objects.filter(provider=provider_name)
    if event.payment_id is not None:
        return payments.filter(pk=event.payment_id).first()
    if event.reference:
        return payments.filter(provider_reference=event.reference).first()
    return None


def _apply(provider_name: str, event: ProviderEvent, payment: Payment | None) -> tuple[str, str]:
    """What a genuine event does: (result, detail)."""
    if payment is None:
        return PaymentEvent.Result.UNKNOWN_PAYMENT, ""
    if event.kind == PAID:
        result = payment_fulfil(payment=payment, amount=event.amount, currency=event.currency)
        return result, _mismatch(payment, event.amount, event.currency)
    if event.kind == CANCELED:
        return (PaymentEvent.Result.FAILED if _close(payment, Status.FAILED) else PaymentEvent.Result.IGNORED), ""
    if event.kind == REFUNDED:
        payment.refresh_from_db()
        if payment.status != Status.SUCCEEDED:
            return PaymentEvent.Result.IGNORED, ""
        if event.currency is not None and event.currency.upper() != payment.currency:
            return PaymentEvent.Result.MISMATCH, _mismatch(payment, None, event.currency)
        amount = payment.amount if event.amount is None else min(Decimal(event.amount), payment.amount)
        payment_refund(payment=payment, actor=None, amount=amount, at_provider=False)
        return PaymentEvent.Result.REFUNDED, ""
    return PaymentEvent.Result.IGNORED, ""


def webhook_receive(*, provider_name: str, body: bytes, headers) -> PaymentEvent:
    """A provider's notification: checked to be genuine (`WebhookRejected`
    otherwise, nothing recorded), kept once per provider event id (a replay
    finds the first and changes nothing), then applied to its payment.

    The check may ask the provider (YooKassa's notifications are fetched
    back), so it runs before the transaction opens: no row lock or
    connection waits on the network."""
    if provider_name not in PROVIDERS:
        raise NotFound()
    provider = get_provider(provider_name)
    event = provider.parse_webhook(body, headers)
    return _event_apply(provider.name, event)


@transaction.atomic
def _event_apply(provider_name: str, event: ProviderEvent) -> PaymentEvent:
    """Keep a genuine event once and apply it to its payment."""
    try:
        with transaction.atomic():
            record = PaymentEvent.objects.create(
                provider=provider_name,
                event_id=event.event_id[:128],
                event_type=event.event_type[:100],
                result=PaymentEvent.Result.IGNORED,
                payload=event.payload,
            )
    except IntegrityError:  # delivered before (or right now, by a concurrent request that has committed)
        return PaymentEvent.objects.get(provider=provider_name, event_id=event.event_id[:128])
    payment = _payment_of(provider_name, event)
    record.result, record.detail = _apply(provider_name, event, payment)
    record.payment = payment
    record.save(update_fields=["result", "detail", "payment"])
    return record


# --- payments staff record for a package -----------------------------------------------------

# The moves staff may make by hand; the same status is a no-op, anything else is refused.
# Success of a checkout comes with its package (`payment_settle`); a refund gives money
# back and cancels the lessons left (`payment_refund`).
PAYMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PENDING: frozenset({Status.SUCCEEDED, Status.FAILED}),
    Status.FAILED: frozenset({Status.PENDING, Status.SUCCEEDED}),
    Status.SUCCEEDED: frozenset({Status.REFUNDED}),
    Status.REFUNDED: frozenset(),
    Status.EXPIRED: frozenset(),
}


@transaction.atomic
def payment_create(
    *,
    package: LessonPackage,
    amount: Decimal,
    currency: str,
    actor,
    now: datetime | None = None,
) -> Payment:
    """Record a pending payment for an active or depleted package, through
    the provider (staff need `manage_payments`)."""
    capabilities.require(actor, Capability.MANAGE_PAYMENTS)
    now = _now(now)
    amount = services.validated_money(amount, field="amount", allow_zero=False)
    currency = services.validated_currency(currency)
    locked = LessonPackage.objects.select_for_update().get(pk=package.pk)
    status = selectors.package_effective_status(package=locked, now=now)
    if status not in (LessonPackage.Status.ACTIVE, LessonPackage.Status.DEPLETED):
        raise PackageInactive(details={"package_id": locked.pk, "status": status})
    if currency != locked.currency:
        message = _("The payment must be in the package's currency (%(currency)s).") % {"currency": locked.currency}
        raise InvalidInput(details={"currency": [message]})
    provider = get_provider()
    payment = Payment.objects.create(
        student_id=locked.student_id,
        package=locked,
        amount=amount,
        currency=currency,
        status=Status.PENDING,
        provider=provider.name,
    )
    payment.provider_reference = provider.create_charge(payment)
    payment.save(update_fields=["provider_reference", "updated_at"])
    change_record(actor=actor, action="billing.payment.created", entity=payment, payload=_payload(payment))
    return payment


@transaction.atomic
def payment_set_status(*, payment: Payment, status: str, actor, now: datetime | None = None) -> Payment:
    """Move a payment along `PAYMENT_TRANSITIONS` (staff need `manage_payments`).

    The same status is a no-op (no audit record). A checkout's success goes
    through `payment_settle` (its package is created); a refund through
    `payment_refund` (the whole amount, for an unused package)."""
    capabilities.require(actor, Capability.MANAGE_PAYMENTS)
    now = _now(now)
    if status not in Status.values:
        raise InvalidInput(
            details={"status": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(Status.values)}]}
        )
    locked = _locked(payment)
    previous = locked.status
    if previous == status:
        return locked
    if status not in PAYMENT_TRANSITIONS[previous]:
        raise InvalidTransition(details={"from": previous, "to": status})
    if status == Status.REFUNDED:
        return _tell(payment, payment_refund(payment=locked, actor=actor, now=now))
    if locked.package_id is None:  # a checkout: its package comes with its success
        return _tell(
            payment, payment_settle(payment=locked, succeeded=status == Status.SUCCEEDED, actor=actor, now=now)
        )
    locked.status = status
    if status == Status.SUCCEEDED and locked.paid_at is None:
        locked.paid_at = now
    locked.save(update_fields=["status", "paid_at", "updated_at"])
    _record_status(locked, previous, actor=actor)
    return _tell(payment, locked)
