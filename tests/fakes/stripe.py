"""A fake Stripe: a real HTTP server on 127.0.0.1 that the official `stripe`
library talks to (form-encoded requests, Stripe-shaped JSON answers), with a
hosted Checkout page, and that notifies the app with events signed as Stripe
signs them.

The API, what the library calls (Bearer secret key; an Idempotency-Key gives
the same answer back for the same request):
  POST /v1/checkout/sessions          mode=payment, line_items, metadata, client_reference_id,
                                      payment_intent_data[metadata], success_url, cancel_url
  GET  /v1/checkout/sessions/{id}
  GET  /v1/payment_intents/{id}
  POST /v1/refunds                    payment_intent, amount (minor units): refuses more than
                                      is left to refund, with Stripe's error JSON
The Checkout page, at each session's `url`:
  GET  /pay/{id}   a page with a "Pay" button
  POST /pay/{id}   the session is paid, `checkout.session.completed` goes to the app's webhook
                   (`webhook_url`), then 303 to the session's success_url

Test hooks, each doing what Stripe (or its dashboard) would: `pay` (with no
event, or another amount), `expire`, `refund_in_dashboard` (then
`charge.refunded`, its charge with or without metadata of its own),
`event`/`send` for any event, forged or stale ones too, `go_down` and
`come_back`. Checked against the library itself: it sends
nested parameters as `a[b][0][c]=v`, and verifies `Stripe-Signature:
t=<unix time>,v1=<HMAC-SHA256 of "t.body" with the endpoint secret>`.

`localstripe` (PyPI) fakes the Stripe API too, but has no Checkout Sessions
and no hosted page, which are what the app uses.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
import uuid
from dataclasses import dataclass
from html import escape
from typing import Any
from urllib.parse import parse_qsl

from tests.fakes.server import Call, FakeProvider

SECRET_KEY = "sk_test_fake_secret"
WEBHOOK_SECRET = "whsec_fake_endpoint_secret"


@dataclass(frozen=True)
class Delivery:
    """An event the fake sent to the app, and the app's answer."""

    type: str
    object_id: str
    status: int
    body: str


def _error(message: str, *, code: str = "", param: str = "", kind: str = "invalid_request_error") -> dict:
    return {
        "error": {
            "type": kind,
            "message": message,
            **({"code": code} if code else {}),
            **({"param": param} if param else {}),
        }
    }


def form(raw: bytes) -> dict:
    """Stripe's form encoding back into nested dicts and lists: `a[b][0][c]=v`."""
    data: dict = {}
    for key, value in parse_qsl(raw.decode(), keep_blank_values=True):
        parts = [key.split("[", 1)[0], *re.findall(r"\[([^\]]*)\]", key)]
        node: Any = data
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            following = None if last else parts[index + 1]
            child: Any = value if last else ([] if following.isdigit() else {})
            if isinstance(node, list):
                position = int(part)
                while len(node) <= position:
                    node.append(None)
                if node[position] is None or last:
                    node[position] = child
                node = node[position]
            else:
                if part not in node or last:
                    node[part] = child
                node = node[part]
    return data


def sign(body: bytes, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header for `body`, as Stripe computes it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class FakeStripe(FakeProvider):
    API_PREFIX = "/v1/"
    PAGE_PREFIX = "/pay/"
    name = "fake-stripe"

    def __init__(self, *, secret_key: str = SECRET_KEY, webhook_secret: str = WEBHOOK_SECRET, webhook_url: str = ""):
        super().__init__(webhook_url=webhook_url)
        self.secret_key, self.webhook_secret = secret_key, webhook_secret
        self.sessions: dict[str, dict] = {}
        self.intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.deliveries: list[Delivery] = []
        self._keys: dict[str, tuple[int, dict]] = {}  # idempotency key -> the first answer

    @property
    def api_base(self) -> str:
        return self.url

    # --- test hooks ----------------------------------------------------------------------------

    def session(self, session_id: str) -> dict:
        with self._lock:
            return json.loads(json.dumps(self.sessions[session_id]))

    def pay(self, session_id: str, *, amount_total: int | None = None, notify: bool = False) -> dict:
        """The student pays (or, with `amount_total`, Stripe reports another amount)."""
        with self._lock:
            session = self.sessions[session_id]
            intent_id = f"pi_{uuid.uuid4().hex[:24]}"
            charge_id = f"ch_{uuid.uuid4().hex[:24]}"
            amount = session["amount_total"] if amount_total is None else amount_total
            self.intents[intent_id] = {
                "id": intent_id,
                "object": "payment_intent",
                "amount": amount,
                "amount_received": amount,
                "currency": session["currency"],
                "status": "succeeded",
                "latest_charge": charge_id,
                "metadata": dict(session["_intent_metadata"]),
                "_charge": charge_id,
                "_refunded": 0,
            }
            session.update(status="complete", payment_status="paid", payment_intent=intent_id, amount_total=amount)
        if notify:
            self.send("checkout.session.completed", self.session(session_id))
        return self.session(session_id)

    def expire(self, session_id: str, *, notify: bool = False) -> dict:
        with self._lock:
            self.sessions[session_id].update(status="expired")
        if notify:
            self.send("checkout.session.expired", self.session(session_id))
        return self.session(session_id)

    def charge(self, session_id: str, *, refunded: int, metadata: dict | None = None) -> dict:
        """The charge of a paid session as a `charge.refunded` event carries it
        (with no metadata of its own unless given)."""
        with self._lock:
            session = self.sessions[session_id]
            intent = self.intents[session["payment_intent"]]
            return {
                "id": intent["_charge"],
                "object": "charge",
                "amount": intent["amount"],
                "amount_refunded": refunded,
                "currency": intent["currency"],
                "payment_intent": intent["id"],
                "refunded": refunded >= intent["amount"],
                "metadata": dict(metadata or {}),
            }

    def refund_in_dashboard(
        self, session_id: str, amount: int, *, notify: bool = True, charge_metadata: dict | None = None
    ) -> Delivery | None:
        """Someone refunds in Stripe's dashboard; Stripe tells the app with `charge.refunded`."""
        with self._lock:
            intent = self.intents[self.sessions[session_id]["payment_intent"]]
            intent["_refunded"] += amount
            refunded = intent["_refunded"]
        if not notify:
            return None
        return self.send("charge.refunded", self.charge(session_id, refunded=refunded, metadata=charge_metadata))

    def event(self, event_type: str, obj: dict) -> bytes:
        """An event as Stripe sends it (its own id each time)."""
        clean = {key: value for key, value in obj.items() if not key.startswith("_")}
        return json.dumps(
            {
                "id": f"evt_{uuid.uuid4().hex[:24]}",
                "object": "event",
                "api_version": "2025-09-30.clover",
                "created": int(time.time()),
                "type": event_type,
                "livemode": False,
                "pending_webhooks": 1,
                "data": {"object": clean},
            }
        ).encode()

    def send(self, event_type: str, obj: dict, *, body: bytes | None = None, signature: str | None = None) -> Delivery:
        """Deliver an event to the app's webhook, signed with the endpoint secret (or as given)."""
        body = self.event(event_type, obj) if body is None else body
        status, answer = self.post_to_app(body, {"Stripe-Signature": signature or sign(body, self.webhook_secret)})
        delivery = Delivery(event_type, str(obj.get("id", "")), status, answer)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    # --- the API ---------------------------------------------------------------------------------

    def _create_session(self, params: dict) -> tuple[int, dict]:
        if params.get("mode") != "payment":
            return 400, _error("This fake knows payment mode only.", param="mode")
        try:
            [item] = params["line_items"]
            price = item["price_data"]
            amount, currency = int(price["unit_amount"]) * int(item.get("quantity", 1)), price["currency"]
        except (KeyError, ValueError, TypeError):
            return 400, _error("Missing required param: line_items.", param="line_items")
        if not params.get("success_url"):
            return 400, _error("Missing required param: success_url.", param="success_url")
        session_id = f"cs_test_{uuid.uuid4().hex}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": amount,
            "currency": currency,
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": params.get("metadata") or {},
            "payment_intent": None,
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "url": f"{self.url}/pay/{session_id}",
            "_intent_metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
            "_product": price.get("product_data", {}).get("name", ""),
        }
        self.sessions[session_id] = session
        return 200, session

    def _refund(self, params: dict) -> tuple[int, dict]:
        intent = self.intents.get(params.get("payment_intent") or "")
        if intent is None:
            return 400, _error("No such payment_intent.", code="resource_missing", param="payment_intent")
        try:
            amount = int(params.get("amount") or intent["amount"] - intent["_refunded"])
        except ValueError:
            return 400, _error("Invalid integer.", param="amount")
        if amount <= 0 or intent["_refunded"] + amount > intent["amount"]:
            return 400, _error(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge.",
                code="amount_too_large",
                param="amount",
            )
        intent["_refunded"] += amount
        refund_id = f"re_{uuid.uuid4().hex[:24]}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent["id"],
            "charge": intent["_charge"],
            "status": "succeeded",
            "metadata": params.get("metadata") or {},
        }
        self.refunds[refund_id] = refund
        return 200, refund

    def api(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict]:
        params = form(raw) if raw else {}
        self.record(Call(method, path, headers, params))
        if self.hanging:
            time.sleep(self.hanging)
        if self.failing:
            return 500, _error("An unknown error occurred.", kind="api_error")
        if headers.get("authorization") != f"Bearer {self.secret_key}":
            return 401, _error(f"Invalid API Key provided: {headers.get('authorization', '')[7:15]}***")
        parts = path.strip("/").split("/")  # ["v1", "checkout", "sessions", id?]
        with self._lock:
            if method == "GET":
                store = {
                    ("checkout", "sessions"): self.sessions,
                    ("payment_intents",): self.intents,
                    ("refunds",): self.refunds,
                }.get(tuple(parts[1:-1]))
                found = store.get(parts[-1]) if store is not None else None
                if found is None:
                    return 404, _error(f"No such object: '{parts[-1]}'", code="resource_missing", param="id")
                return 200, {key: value for key, value in found.items() if not key.startswith("_")}
            if method == "POST" and parts[1:] in (["checkout", "sessions"], ["refunds"]):
                key = headers.get("idempotency-key", "")
                if key and key in self._keys:
                    return self._keys[key]
                status, answer = self._create_session(params) if parts[1] == "checkout" else self._refund(params)
                answer = {name: value for name, value in answer.items() if not name.startswith("_")}
                if key:
                    self._keys[key] = (status, answer)
                return status, answer
        return 404, _error(f"Unrecognized request URL ({method}: {path}).")

    # --- the Checkout page -------------------------------------------------------------------------

    def page(self, method: str, session_id: str) -> tuple[int, str, str]:
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                return 404, "<h1>No such session</h1>", ""
            status, product = session["status"], escape(session["_product"])
            amount, currency = session["amount_total"], session["currency"].upper()
        if status != "open":
            return 409, f"<h1>This session is {escape(status)}</h1>", ""
        if method == "GET":
            html = (
                f"<h1>Stripe Checkout (fake)</h1><p>{product}: {amount / 100:.2f} {currency}</p>"
                f'<form method="post" action="/pay/{session_id}"><button>Pay</button></form>'
            )
            return 200, html, ""
        self.pay(session_id, notify=True)
        return 303, "", session["success_url"]
