"""The payment provider seam.

Services talk to a provider only through `PaymentProvider`; the one shipped
today is `OfflineProvider` (staff record money taken outside the platform).
A real provider is a class with the same two methods, added to `PROVIDERS`
and chosen with the `BILLING_PAYMENT_PROVIDER` setting. A provider that
cannot do its job raises `billing.errors.PaymentProviderError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from billing.models import Payment

DEFAULT_PROVIDER = "offline"


class PaymentProvider(Protocol):
    name: str

    def create_charge(self, payment: Payment) -> str:
        """Register the charge with the provider; return its reference."""
        ...

    def refund(self, payment: Payment) -> None:
        """Return the money of a succeeded payment."""
        ...


class OfflineProvider:
    """Payments taken offline (cash, bank transfer) and recorded by staff."""

    name = "offline"

    def create_charge(self, payment: Payment) -> str:
        return f"offline-{payment.pk}"

    def refund(self, payment: Payment) -> None:
        return None  # the money goes back offline; nothing to call


PROVIDERS: dict[str, type[PaymentProvider]] = {OfflineProvider.name: OfflineProvider}


def get_provider(name: str | None = None) -> PaymentProvider:
    """The provider called `name`, by default the configured one."""
    name = name or getattr(settings, "BILLING_PAYMENT_PROVIDER", DEFAULT_PROVIDER)
    try:
        provider_class = PROVIDERS[name]
    except KeyError:
        known = ", ".join(sorted(PROVIDERS))
        raise ImproperlyConfigured(f"Unknown payment provider {name!r}; known providers: {known}.") from None
    return provider_class()
