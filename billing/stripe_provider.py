"""Stripe (EUR, USD): the student pays on Stripe Checkout.

Through the official `stripe` library (`StripeClient`). A checkout is a
Checkout Session in payment mode; our payment's id travels in
`client_reference_id` and `metadata.payment_id`, and in the PaymentIntent's
metadata (`payment_intent_data`), which is how a refund made in Stripe's
dashboard (`charge.refunded`, an event about a charge) is traced back to our
payment. The charge's own metadata is read first: when it names our payment
(a charge may carry its PaymentIntent's metadata), no call is made.
Otherwise the charge names its PaymentIntent, which is fetched and whose
metadata is read: nothing new is stored at checkout, and the PaymentIntent
is the object we gave our id to. A charge with no PaymentIntent (made
elsewhere on the same Stripe account), or a PaymentIntent Stripe does not
know or that carries no id of ours, is an event for a payment unknown here:
kept, answered 200, nothing changes (a 400 would have Stripe send it again
for days).

Notifications are signed: each one is checked with the library's signature
check against STRIPE_WEBHOOK_SECRET (the `Stripe-Signature` header, within
Stripe's 5-minute tolerance) before anything is read from it; one that fails
the check is rejected (400, nothing recorded). A paid Checkout Session
(`checkout.session.completed` with `payment_status=paid`, or
`checkout.session.async_payment_succeeded`) fulfils; an expired or failed one
closes the payment; `charge.refunded` reports what has been refunded in all.

Amounts are in the currency's minor unit at Stripe (cents); the few
zero-decimal currencies Stripe lists are whole units. STRIPE_API_BASE points
the library at another address, for tests.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import stripe
from django.conf import settings
from django.utils.translation import gettext as _

from billing.errors import PaymentProviderError, PaymentProviderUnavailable, WebhookRejected
from billing.providers import CANCELED, OTHER, PAID, PENDING, REFUNDED, Checkout, ProviderEvent, ProviderPayment

if TYPE_CHECKING:
    from billing.models import Payment

NAME = "stripe"
DEFAULT_API_BASE = "https://api.stripe.com"
TIMEOUT = (5, 15)  # seconds to connect, to read an answer: within the web worker's 30
NETWORK_RETRIES = 1  # the library retries a lost connection once, with the same idempotency key
# https://docs.stripe.com/currencies#zero-decimal
ZERO_DECIMAL = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "JPY",
    "KMF",
    "KRW",
    "MGA",
    "PYG",
    "RWF",
    "UGX",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}

PAID_EVENTS = {"checkout.session.completed", "checkout.session.async_payment_succeeded"}
CLOSED_EVENTS = {"checkout.session.expired", "checkout.session.async_payment_failed"}


def _client() -> stripe.StripeClient:
    """A client from settings, with a timeout on its calls (read per call, so tests can point it elsewhere)."""
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE or DEFAULT_API_BASE},
        http_client=stripe.RequestsClient(timeout=TIMEOUT),
        max_network_retries=NETWORK_RETRIES,
    )


def idempotency_key(payment: Payment, operation: str) -> str:
    """The same for every retry of `operation` on our payment, distinct per site."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/billing/payments/{payment.pk}/{operation}"))


def to_minor(amount: Decimal, currency: str) -> int:
    return int(Decimal(amount) * (1 if currency.upper() in ZERO_DECIMAL else 100))


def from_minor(amount: int | None, currency: str) -> Decimal | None:
    if amount is None:
        return None
    return Decimal(int(amount)) / (1 if currency.upper() in ZERO_DECIMAL else 100)


def _our_id(*sources) -> int | None:
    """Our payment's id, from the first source that carries one."""
    for value in sources:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63:
            return number
    return None


def _refused(error: stripe.StripeError) -> PaymentProviderError:
    reason = str(getattr(error, "user_message", None) or getattr(error, "code", None) or type(error).__name__)
    message = _("Stripe refused the refund: %(reason)s") % {"reason": reason}
    return PaymentProviderError(message=message, details={"provider": NAME, "reason": reason})


class StripeProvider:
    name = NAME
    hosted = True

    def create_charge(self, payment: Payment) -> str:
        """Stripe takes money only through a checkout; money taken by hand
        is recorded with the offline provider (sold at the desk)."""
        message = _("Stripe takes payments only through a checkout; record money paid by hand as a sale at the desk.")
        raise PaymentProviderError(message=message, details={"provider": NAME})

    def create_checkout(self, payment: Payment, *, return_url: str) -> Checkout:
        ours = {"payment_id": str(payment.pk)}
        session = _client().v1.checkout.sessions.create(
            params={
                "mode": "payment",
                "client_reference_id": str(payment.pk),
                "metadata": ours,
                "payment_intent_data": {"metadata": ours},
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": payment.currency.lower(),
                            "unit_amount": to_minor(payment.amount, payment.currency),
                            "product_data": {
                                "name": payment.product.name_en[:250]
                                if payment.product is not None
                                else f"#{payment.pk}"
                            },
                        },
                    }
                ],
                "customer_email": payment.student.email,
                "success_url": return_url,
                "cancel_url": return_url,
            },
            options={"idempotency_key": idempotency_key(payment, "checkout")},
        )
        return Checkout(reference=session.id, url=session.url)  # type: ignore[arg-type]  # set in payment mode

    def fetch(self, payment: Payment) -> ProviderPayment:
        session = _client().v1.checkout.sessions.retrieve(payment.provider_reference)
        if session.payment_status == "paid":
            return ProviderPayment(
                reference=session.id,
                state=PAID,
                amount=from_minor(session.amount_total, session.currency),  # type: ignore[arg-type]  # set once paid
                currency=(session.currency or "").upper(),
            )
        if session.status == "expired":
            return ProviderPayment(reference=session.id, state=CANCELED)
        return ProviderPayment(reference=session.id, state=PENDING)

    def refund(self, payment: Payment, amount: Decimal) -> None:
        """Give back `amount` of the session's PaymentIntent; Stripe's refusal
        raises `PaymentProviderError` (a Stripe that does not answer raises the
        library's connection error: 503)."""
        client = _client()
        try:
            session = client.v1.checkout.sessions.retrieve(payment.provider_reference)
            client.v1.refunds.create(
                params={  # type: ignore[arg-type]  # the documented fields, as a plain dict
                    "payment_intent": session.payment_intent,
                    "amount": to_minor(amount, payment.currency),
                    "metadata": {"payment_id": str(payment.pk)},
                },
                # one refund per payment here: a retry, even of another amount, never refunds twice
                options={"idempotency_key": idempotency_key(payment, "refund")},
            )
        except (stripe.InvalidRequestError, stripe.CardError) as error:  # refused; others mean "not answering"
            raise _refused(error) from error

    # --- notifications ---------------------------------------------------------------------

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Check the signature, then read the event (a signed body that is
        not an event with an id, a type and an object is rejected too); a
        refund is traced to our payment (`_charge_payment_id`)."""
        client = _client()
        try:
            event = client.construct_event(body, headers.get("Stripe-Signature"), settings.STRIPE_WEBHOOK_SECRET)
            obj = event.data.object.to_dict()  # a plain dict: the fields are read with .get
            if not isinstance(event.id, str) or not isinstance(event.type, str):
                raise TypeError(event.id, event.type)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError, AttributeError, TypeError) as error:
            raise WebhookRejected() from error
        base: dict[str, Any] = {"event_id": event.id, "event_type": event.type}
        if event.type in PAID_EVENTS or event.type in CLOSED_EVENTS:
            paid = event.type in PAID_EVENTS and obj.get("payment_status") == "paid"
            kind = PAID if paid else CANCELED if event.type in CLOSED_EVENTS else OTHER
            currency = (obj.get("currency") or "").upper() or None
            return ProviderEvent(
                **base,
                kind=kind,
                payment_id=_our_id((obj.get("metadata") or {}).get("payment_id"), obj.get("client_reference_id")),
                reference=obj.get("id") or "",
                amount=from_minor(obj.get("amount_total"), currency) if paid and currency else None,
                currency=currency if paid else None,
                payload=_payload(event, obj),
            )
        if event.type == "charge.refunded":
            currency = (obj.get("currency") or "").upper()
            return ProviderEvent(
                **base,
                kind=REFUNDED,
                payment_id=_charge_payment_id(client, obj),
                amount=from_minor(obj.get("amount_refunded"), currency),  # refunded so far in all
                currency=currency,
                payload=_payload(event, obj),
            )
        return ProviderEvent(**base, kind=OTHER, payload=_payload(event, obj))


def _charge_payment_id(client: stripe.StripeClient, charge: dict) -> int | None:
    """Our payment's id for a charge: from its own metadata, else from its
    PaymentIntent's (fetched; Stripe not answering is 503, and Stripe sends
    the event again later); None when the charge is not ours."""
    ours = _our_id((charge.get("metadata") or {}).get("payment_id"))
    intent_id = charge.get("payment_intent")
    if ours is not None or not isinstance(intent_id, str) or not intent_id:
        return ours
    try:
        intent = client.v1.payment_intents.retrieve(intent_id)
    except stripe.InvalidRequestError:  # Stripe knows no such PaymentIntent: not one of ours
        return None
    except stripe.StripeError as error:
        raise PaymentProviderUnavailable(details={"provider": NAME}) from error
    return _our_id((intent.to_dict().get("metadata") or {}).get("payment_id"))


def _payload(event, obj) -> dict:
    """What is kept of an event: its identity and the fields we read, not the whole object."""
    return {
        "id": event.id,
        "type": event.type,
        "object": obj.get("id"),
        "status": obj.get("status"),
        "payment_status": obj.get("payment_status"),
        "amount_total": obj.get("amount_total"),
        "amount_refunded": obj.get("amount_refunded"),
        "currency": obj.get("currency"),
        "payment_intent": obj.get("payment_intent"),
        "client_reference_id": obj.get("client_reference_id"),
        "metadata": {key: str(value) for key, value in (obj.get("metadata") or {}).items()},
    }
