"""The payment provider seam.

Services talk to a provider only through `PaymentProvider`, chosen per
deployment with `BILLING_PAYMENT_PROVIDER` (`offline`, `stripe`, `yookassa`).
A provider registers a checkout and gives the address where the student
pays (`create_checkout`), says what it knows of a payment (`fetch`), returns
money (`refund`) and turns its notifications into `ProviderEvent`s after
checking that they are genuine (`parse_webhook`). One that cannot do its job
raises `PaymentProviderError` (the API answers 503); a notification that is
not genuine raises `WebhookRejected` (400, nothing recorded).

`OfflineProvider` is money taken outside the platform: a checkout is a
pending payment the school settles by hand (bank transfer, cash at the
desk), and there are no notifications.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from billing.errors import WebhookRejected

if TYPE_CHECKING:
    from billing.models import Payment

DEFAULT_PROVIDER = "offline"

# What a provider says of a payment (`ProviderPayment.state`) or of an event (`ProviderEvent.kind`).
PAID = "paid"
PENDING = "pending"
CANCELED = "canceled"  # refused, canceled, or expired at the provider: it will never be paid
REFUNDED = "refunded"
OTHER = "other"


@dataclass(frozen=True)
class Checkout:
    reference: str  # the provider's id of the checkout
    url: str  # where the student pays; empty when there is nowhere to go (offline)


@dataclass(frozen=True)
class ProviderPayment:
    reference: str
    state: str  # PAID, PENDING or CANCELED
    amount: Decimal | None = None
    currency: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """A genuine notification: what happened to which payment."""

    event_id: str
    event_type: str
    kind: str  # PAID, CANCELED, REFUNDED or OTHER
    payment_id: int | None = None  # ours, when the provider carries it
    reference: str = ""  # the provider's, to find the payment otherwise
    amount: Decimal | None = None  # paid, or refunded so far in all
    currency: str | None = None
    payload: dict = field(default_factory=dict)


class PaymentProvider(Protocol):
    name: str
    hosted: bool  # True when the student pays on the provider's page

    def create_charge(self, payment: Payment) -> str:
        """Register a payment staff record by hand; return its reference."""
        ...

    def create_checkout(self, payment: Payment, *, return_url: str) -> Checkout:
        """Open a checkout for a pending payment; the student comes back to `return_url`."""
        ...

    def fetch(self, payment: Payment) -> ProviderPayment:
        """What the provider knows of the payment now."""
        ...

    def refund(self, payment: Payment, amount: Decimal) -> None:
        """Give back `amount` of a paid payment."""
        ...

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """A notification, once checked to be genuine; `WebhookRejected` otherwise."""
        ...


class OfflineProvider:
    """Payments taken outside the platform and settled by staff."""

    name = "offline"
    hosted = False

    def create_charge(self, payment: Payment) -> str:
        return f"offline-{payment.pk}"

    def create_checkout(self, payment: Payment, *, return_url: str) -> Checkout:
        return Checkout(reference=self.create_charge(payment), url="")

    def fetch(self, payment: Payment) -> ProviderPayment:
        return ProviderPayment(reference=payment.provider_reference, state=PENDING)  # until staff settle it

    def refund(self, payment: Payment, amount: Decimal) -> None:
        return None  # the money goes back offline; nothing to call

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        raise WebhookRejected()


PROVIDERS: dict[str, str] = {
    "offline": "billing.providers.OfflineProvider",
    "stripe": "billing.stripe_provider.StripeProvider",
    "yookassa": "billing.yookassa_provider.YooKassaProvider",
}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called `name`, by default the configured one."""
    name = name or str(getattr(settings, "BILLING_PAYMENT_PROVIDER", DEFAULT_PROVIDER))
    try:
        path = PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ImproperlyConfigured(f"Unknown payment provider {name!r}; known providers: {known}.") from None
    return import_string(path)()
