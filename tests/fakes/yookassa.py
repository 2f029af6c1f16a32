"""A fake YooKassa: a real HTTP server on 127.0.0.1 that the official
`yookassa` library talks to, and that calls the app back as YooKassa does.

The API (v3), what the library calls:
  POST /v3/payments       Basic auth shop_id:secret and an Idempotence-Key: the same
                          key and body give the same payment back, the same key with
                          another body is refused
  GET  /v3/payments/{id}
  POST /v3/refunds        refuses more than is left to refund (YooKassa's error JSON)
  GET  /v3/refunds/{id}
The confirmation page, at each payment's `confirmation_url`:
  GET  /checkout/{id}     a page with a "Pay" button
  POST /checkout/{id}     the payment succeeds, `payment.succeeded` goes to the app's
                          webhook (`webhook_url`), then 303 to the payment's return_url

Test hooks, each doing what YooKassa (or its dashboard) would: `cancel`,
`succeed` (paid, with no notification, or with another amount), `refund`
(from the dashboard, then `refund.succeeded`), `notification`/`notify` for any
notification, forged ones too, `add_payment` (made through another site of
the same shop), and `go_down` ("refuse": the port is closed; "error": every
API call answers 500; "hang": it answers late) and `come_back`.

No Django here: the fake is the world outside the app.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from html import escape
from typing import Any

from tests.fakes.server import Call, FakeProvider

SHOP_ID = "506751"
SECRET_KEY = "test_fake_secret_key"


@dataclass(frozen=True)
class Delivery:
    """A notification the fake sent to the app, and the app's answer."""

    event: str
    object_id: str
    status: int
    body: str


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _error(code: str, description: str, parameter: str | None = None) -> dict:
    error = {"type": "error", "id": str(uuid.uuid4()), "code": code, "description": description}
    if parameter:
        error["parameter"] = parameter
    return error


def _money(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() and amount > 0 and amount == amount.quantize(Decimal("0.01")) else None


class FakeYooKassa(FakeProvider):
    API_PREFIX = "/v3/"
    PAGE_PREFIX = "/checkout/"
    name = "fake-yookassa"

    def __init__(self, *, shop_id: str = SHOP_ID, secret_key: str = SECRET_KEY, webhook_url: str = ""):
        super().__init__(webhook_url=webhook_url)
        self.shop_id, self.secret_key = shop_id, secret_key
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.deliveries: list[Delivery] = []
        self._keys: dict[tuple[str, str], tuple[str, int, dict]] = {}  # (path, key) -> (body, status, answer)

    @property
    def api_base(self) -> str:
        return f"{self.url}/v3"

    # --- what the tests look at ------------------------------------------------------------

    def payment(self, payment_id: str) -> dict:
        with self._lock:
            return json.loads(json.dumps(self.payments[payment_id]))

    # --- test hooks: what YooKassa, its dashboard or a stranger would do --------------------------

    def cancel(self, payment_id: str, *, reason: str = "expired_on_confirmation", notify: bool = False) -> dict:
        with self._lock:
            payment = self.payments[payment_id]
            payment.update(status="canceled", paid=False)
            payment["cancellation_details"] = {"party": "yoo_money", "reason": reason}
        if notify:
            self.notify("payment.canceled", payment_id)
        return self.payment(payment_id)

    def succeed(self, payment_id: str, *, amount: str | None = None, notify: bool = False) -> dict:
        """The payment is paid (as if the student paid); `amount` makes YooKassa
        answer another amount than the one asked for."""
        with self._lock:
            payment = self.payments[payment_id]
            capture = payment.pop("_capture", True)
            payment.update(
                status="succeeded" if capture else "waiting_for_capture",
                paid=True,
                refundable=capture,
                captured_at=_now(),
            )
            payment["income_amount"] = dict(payment["amount"])
            if amount is not None:
                payment["amount"] = {"value": amount, "currency": payment["amount"]["currency"]}
        if notify:
            self.notify("payment.succeeded", payment_id)
        return self.payment(payment_id)

    def refund(self, payment_id: str, amount: str, *, notify: bool = True, canceled: bool = False) -> dict:
        """A refund made in YooKassa's dashboard, then its notification;
        `canceled`: one YooKassa refused (no money went back)."""
        currency = self.payment(payment_id)["amount"]["currency"]
        body = {"payment_id": payment_id, "amount": {"value": amount, "currency": currency}}
        status, answer = self._refund(body, canceled=canceled)
        assert status == 200, answer
        if notify:
            self.notify("refund.succeeded", answer["id"])
        return answer

    def add_payment(self, *, amount: str, currency: str = "RUB", metadata: dict | None = None) -> dict:
        """A payment made through another site of the same shop, already paid."""
        with self._lock:
            status, payment = self._create_payment(
                {
                    "amount": {"value": amount, "currency": currency},
                    "confirmation": {"type": "redirect", "return_url": "https://elsewhere.example/"},
                    "capture": True,
                    "metadata": metadata or {},
                }
            )
        assert status == 200, payment
        return self.succeed(payment["id"])

    def notification(self, event: str, object_id: str, **overrides) -> bytes:
        """A notification of `event` about the object as the fake holds it,
        with `overrides` (a forged one says what it likes); an unknown id
        gives an object with that id and the overrides only."""
        with self._lock:
            store = self.refunds if event.startswith("refund.") else self.payments
            obj = json.loads(json.dumps(store.get(object_id, {"id": object_id})))
        obj = {key: value for key, value in obj.items() if not key.startswith("_")}
        obj.update(overrides)
        return json.dumps({"type": "notification", "event": event, "object": obj}).encode()

    def notify(self, event: str, object_id: str, **overrides) -> Delivery:
        """Send `notification(...)` to the app's webhook, as YooKassa does."""
        body = self.notification(event, object_id, **overrides)
        status, answer = self.post_to_app(body, {})
        delivery = Delivery(event, object_id, status, answer)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    # --- the API ------------------------------------------------------------------------------

    def _create_payment(self, body: dict) -> tuple[int, dict]:
        amount = body.get("amount") or {}
        value, currency = _money(amount.get("value")), amount.get("currency")
        if value is None:
            return 400, _error("invalid_request", "Invalid amount value", "amount.value")
        if not isinstance(currency, str) or len(currency) != 3:
            return 400, _error("invalid_request", "Invalid currency", "amount.currency")
        confirmation = body.get("confirmation") or {}
        if confirmation.get("type") != "redirect" or not confirmation.get("return_url"):
            return 400, _error("invalid_request", "Confirmation type redirect needs a return_url", "confirmation")
        payment_id = str(uuid.uuid4())
        payment = {
            "id": payment_id,
            "status": "pending",
            "paid": False,
            "amount": {"value": f"{value:.2f}", "currency": currency},
            "description": body.get("description", ""),
            "recipient": {"account_id": self.shop_id, "gateway_id": "2066701"},
            "created_at": _now(),
            "confirmation": {
                "type": "redirect",
                "confirmation_url": f"{self.url}/checkout/{payment_id}",
                "return_url": confirmation["return_url"],
            },
            "test": True,
            "refundable": False,
            "metadata": body.get("metadata") or {},
            "_capture": bool(body.get("capture")),
        }
        self.payments[payment_id] = payment
        return 200, payment

    def _refund(self, body: dict, *, canceled: bool = False) -> tuple[int, dict]:
        with self._lock:
            payment = self.payments.get(str(body.get("payment_id")))
            if payment is None:
                return 404, _error("not_found", "Incorrect payment_id. Payment doesn't exist or access denied.")
            amount = body.get("amount") or {}
            value = _money(amount.get("value"))
            if value is None or amount.get("currency") != payment["amount"]["currency"]:
                return 400, _error("invalid_request", "Invalid refund amount", "amount")
            if payment["status"] != "succeeded":
                return 400, _error("invalid_request", "Payment is not in status succeeded", "payment_id")
            refunded = Decimal(payment.get("refunded_amount", {}).get("value", "0"))
            if value > Decimal(payment["amount"]["value"]) - refunded:
                return 400, _error(
                    "invalid_request", "The refund amount exceeds what is left of the payment to refund", "amount"
                )
            refund = {
                "id": str(uuid.uuid4()),
                "payment_id": payment["id"],
                "status": "canceled" if canceled else "succeeded",
                "created_at": _now(),
                "amount": {"value": f"{value:.2f}", "currency": amount["currency"]},
                "description": body.get("description", ""),
            }
            self.refunds[refund["id"]] = refund
            if canceled:
                refund["cancellation_details"] = {"party": "yoo_money", "reason": "general_decline"}
                return 200, refund
            total = refunded + value
            payment["refunded_amount"] = {"value": f"{total:.2f}", "currency": amount["currency"]}
            payment["refundable"] = total < Decimal(payment["amount"]["value"])
            return 200, refund

    def api(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        self.record(Call(method, path, headers, body))
        if self.hanging:
            time.sleep(self.hanging)
        if self.failing:
            return 500, _error("internal_server_error", "Internal server error")
        expected = "Basic " + base64.b64encode(f"{self.shop_id}:{self.secret_key}".encode()).decode()
        if headers.get("authorization") != expected:
            return 401, _error("invalid_credentials", "Basic authentication failed: wrong shop id or secret key")
        parts = path.strip("/").split("/")  # ["v3", "payments", id?]
        if len(parts) == 3 and method == "GET" and parts[1] in ("payments", "refunds"):
            store = self.payments if parts[1] == "payments" else self.refunds
            with self._lock:
                found = store.get(parts[2])
                if found is None:
                    return 404, _error("not_found", f"Incorrect {parts[1][:-1]}_id. It doesn't exist or access denied.")
                return 200, {key: value for key, value in found.items() if not key.startswith("_")}
        if len(parts) == 2 and method == "POST" and parts[1] in ("payments", "refunds"):
            if not isinstance(body, dict):
                return 400, _error("invalid_request", "The body must be a JSON object")
            key = headers.get("idempotence-key", "")
            if not key or len(key) > 64:
                return 400, _error("invalid_request", "Idempotence-Key missing or too long", "Idempotence-Key")
            fingerprint = json.dumps(body, sort_keys=True)
            with self._lock:
                if (path, key) in self._keys:
                    first_body, status, answer = self._keys[(path, key)]
                    if first_body != fingerprint:
                        return 400, _error("invalid_request", "Idempotence key duplicated with another request body")
                    return status, answer
                if parts[1] == "payments":
                    status, answer = self._create_payment(body)
                else:
                    status, answer = self._refund(body)
                answer = {key: value for key, value in answer.items() if not key.startswith("_")}
                self._keys[(path, key)] = (fingerprint, status, answer)
                return status, answer
        return 404, _error("not_found", "Unknown path")

    # --- the confirmation page -----------------------------------------------------------------

    def page(self, method: str, payment_id: str) -> tuple[int, str, str]:
        """(status, HTML, where to redirect) of the confirmation page."""
        with self._lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return 404, "<h1>No such payment</h1>", ""
            status = payment["status"]
            value, currency = payment["amount"]["value"], payment["amount"]["currency"]
            description = escape(payment["description"])
        if status != "pending":
            return 409, f"<h1>This payment is {escape(status)}</h1>", ""
        if method == "GET":
            html = (
                f"<h1>YooKassa (fake)</h1><p>{description}: {value} {currency}</p>"
                f'<form method="post" action="/checkout/{payment_id}"><button>Pay</button></form>'
            )
            return 200, html, ""
        self.succeed(payment_id)
        self.notify("payment.succeeded", payment_id)
        return 303, "", payment["confirmation"]["return_url"]
