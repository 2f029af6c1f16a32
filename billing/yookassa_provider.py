"""YooKassa (RUB): the student pays on YooKassa's page.

Through the official `yookassa` library. A checkout is a YooKassa payment
with `capture: true` and a redirect confirmation; the student comes back to
the payment's own page. YooKassa's notifications are not signed, so one is
never believed: only its event and object id are read, the object is
fetched back from YooKassa, and what YooKassa answers is all that counts. A
notification YooKassa contradicts is rejected (400, nothing recorded); when
YooKassa cannot be asked, the webhook answers 503 and YooKassa sends it again
later. The addresses YooKassa sends from (which it publishes) are not
checked: asking back already makes a forged notification harmless, while an
allow-list behind our proxies would need the forwarded address trusted
correctly and kept up to date, and would drop genuine notifications when
either goes wrong.

The library keeps its configuration in class attributes
(`Configuration.configure` assigns them; every call builds an `ApiClient`
that reads them). We configure before every call, from settings: the values
are the same in every thread of a deployment, so concurrent calls only
rewrite them with what they already hold, and tests that point
`YOOKASSA_API_BASE` at a local server are followed at once. The library sets
no HTTP timeout (its `timeout` setting is the back-off of its retries), so
its calls go through a session that has one: a YooKassa that hangs becomes
"not answering" (503) before the web worker is killed.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

import yookassa
from django.conf import settings
from django.utils.translation import gettext as _
from yookassa.client import ApiClient
from yookassa.domain.exceptions import ApiError, BadRequestError, NotFoundError

from billing.errors import PaymentProviderError, PaymentProviderUnavailable, WebhookRejected
from billing.providers import CANCELED, PAID, PENDING, REFUNDED, Checkout, ProviderEvent, ProviderPayment

if TYPE_CHECKING:
    from billing.models import Payment

NAME = "yookassa"
DEFAULT_API_BASE = "https://api.yookassa.ru/v3"
OBJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # YooKassa's ids: "2419a771-000f-5000-9000-1edaf29243f2"
TIMEOUT = (5, 15)  # seconds to connect, to read an answer: within the web worker's 30

# The notifications we act on: event -> (the object's status that proves it, what it means).
EVENTS = {
    "payment.succeeded": ("succeeded", PAID),
    "payment.canceled": ("canceled", CANCELED),
    "refund.succeeded": ("succeeded", REFUNDED),
}


# --- the library, configured and with a timeout ----------------------------------------------


class _Client(ApiClient):
    """The library's client, configured from settings, with a timeout on its calls."""

    def __init__(self):
        yookassa.Configuration.configure(
            settings.YOOKASSA_SHOP_ID,
            settings.YOOKASSA_SECRET_KEY,
            api_url=settings.YOOKASSA_API_BASE or DEFAULT_API_BASE,
        )
        super().__init__()

    def get_session(self):
        session = super().get_session()  # the library's own: it retries a POST answered 202 ("in progress")
        session.request = functools.partial(session.request, timeout=TIMEOUT)
        return session


class _Payment(yookassa.Payment):
    def __init__(self):
        self.client = _Client()


class _Refund(yookassa.Refund):
    def __init__(self):
        self.client = _Client()


def idempotence_key(payment: Payment, operation: str) -> str:
    """The key YooKassa deduplicates a request by: the same for every retry
    of `operation` on our payment, and distinct per site, so two deployments
    sharing a shop never collide."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/billing/payments/{payment.pk}/{operation}"))


def _money(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _reason(error: ApiError) -> str:
    content = error.content or {}
    return str(content.get("description") or content.get("code") or type(error).__name__)


def _refused(reason: str) -> PaymentProviderError:
    message = _("YooKassa refused the refund: %(reason)s") % {"reason": reason}
    return PaymentProviderError(message=message, details={"provider": NAME, "reason": reason})


def _our_id(metadata) -> int | None:
    """Our payment's id, as we put it in the YooKassa payment's metadata."""
    value = (metadata or {}).get("payment_id")
    if value is None:
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


class YooKassaProvider:
    name = NAME
    hosted = True

    def create_charge(self, payment: Payment) -> str:
        """YooKassa takes money only through a checkout; money taken by hand
        is recorded with the offline provider (sold at the desk)."""
        message = _("YooKassa takes payments only through a checkout; record money paid by hand as a sale at the desk.")
        raise PaymentProviderError(message=message, details={"provider": NAME})

    def create_checkout(self, payment: Payment, *, return_url: str) -> Checkout:
        answer = _Payment.create(
            {
                "amount": {"value": _money(payment.amount), "currency": payment.currency},
                "confirmation": {"type": "redirect", "return_url": return_url},
                "capture": True,
                "description": payment.product.name[:128] if payment.product is not None else f"#{payment.pk}",
                "metadata": {"payment_id": str(payment.pk)},
            },
            idempotence_key(payment, "checkout"),
        )
        return Checkout(reference=answer.id, url=answer.confirmation.confirmation_url)

    def fetch(self, payment: Payment) -> ProviderPayment:
        answer = _Payment.find_one(payment.provider_reference)
        if answer.status == "succeeded":
            return ProviderPayment(
                reference=answer.id, state=PAID, amount=answer.amount.value, currency=answer.amount.currency
            )
        if answer.status == "canceled":
            return ProviderPayment(reference=answer.id, state=CANCELED)
        return ProviderPayment(reference=answer.id, state=PENDING)  # pending, waiting_for_capture

    def refund(self, payment: Payment, amount: Decimal) -> None:
        """Give back `amount`; YooKassa's refusal raises `PaymentProviderError`
        (a YooKassa that does not answer raises the library's error: 503)."""
        try:
            answer = _Refund.create(
                {
                    "payment_id": payment.provider_reference,
                    "amount": {"value": _money(amount), "currency": payment.currency},
                    "description": f"GuitarOnline #{payment.pk}",
                },
                # one refund per payment here: a retry, even of another amount, never refunds twice
                idempotence_key(payment, "refund"),
            )
        except (BadRequestError, NotFoundError) as error:  # refused; other errors mean "not answering"
            raise _refused(_reason(error)) from error
        if answer.status == "canceled":
            raise _refused(str(getattr(answer.cancellation_details, "reason", "") or "canceled"))

    # --- notifications ---------------------------------------------------------------------

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> ProviderEvent:
        """Read the event and the object id, fetch the object back from
        YooKassa and build the event from YooKassa's answer alone."""
        event, object_id = _notification(body)
        try:
            return _verified(event, object_id)
        except WebhookRejected:
            raise
        except (NotFoundError, BadRequestError) as error:  # YooKassa knows no such object
            raise WebhookRejected() from error
        except Exception as error:  # not answering (or answering nonsense): 503, YooKassa sends it again later
            raise PaymentProviderUnavailable(details={"provider": NAME}) from error


def _verified(event: str, object_id: str) -> ProviderEvent:
    """The event as YooKassa tells it now; `WebhookRejected` when YooKassa
    says the object is not in the state the notification announced."""
    expected_status, kind = EVENTS[event]
    if kind == REFUNDED:
        refund = _Refund.find_one(object_id)
        if refund.status != expected_status:
            raise WebhookRejected()
        fetched = _Payment.find_one(refund.payment_id)
        money = fetched.refunded_amount or refund.amount  # refunded so far in all
    else:
        fetched = _Payment.find_one(object_id)
        if fetched.status != expected_status:
            raise WebhookRejected()
        money = fetched.amount
    return ProviderEvent(
        event_id=f"{event}:{object_id}",
        event_type=event,
        kind=kind,
        payment_id=_our_id(fetched.metadata),
        reference=fetched.id,
        amount=money.value,
        currency=money.currency,
        payload={  # what YooKassa answered, not what the notification said
            "event": event,
            "object_id": object_id,
            "payment": fetched.id,
            "status": fetched.status,
            "amount": _money(money.value),
            "currency": money.currency,
            "metadata": {key: str(value) for key, value in (fetched.metadata or {}).items()},
        },
    )


def _notification(body: bytes) -> tuple[str, str]:
    """(event, object id) of a YooKassa notification; `WebhookRejected` for anything else."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected() from None
    if not isinstance(data, dict) or data.get("type") != "notification" or data.get("event") not in EVENTS:
        raise WebhookRejected()
    obj = data.get("object")
    object_id = obj.get("id") if isinstance(obj, dict) else None
    if not isinstance(object_id, str) or not OBJECT_ID.fullmatch(object_id):
        raise WebhookRejected()  # the id goes into the path we fetch it from
    return data["event"], object_id
