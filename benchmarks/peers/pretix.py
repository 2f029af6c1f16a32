"""pretix (pretix.eu), the ticket shop: a lesson is a product on a quota, a booking
is an order created through its REST API with a team's API token.

Its project is benchmarks/peers/pretix_site: pretix's own settings configured
through its PRETIX_* environment variables (the peer's database, a data
directory under var/peers/pretix, no Celery broker so its tasks run eagerly in
the request, as a single-server install without one does), its URLs plus the
bare view. The shop is seeded through pretix's models (bench_pretix/seed.py).
"""

from __future__ import annotations

import json
from itertools import count

from benchmarks.loadgen import Scenario, render
from benchmarks.peers import Peer


class Orders(Scenario):
    """POST /api/v1/organizers/{org}/events/{event}/orders/: one order of one lesson, a new email each."""

    name = "pretix order"
    ok = frozenset({201})

    def __init__(self, seed: dict):
        self.path = f"/api/v1/organizers/{seed['organizer']}/events/{seed['event']}/orders/"
        self.headers = {"Authorization": f"Token {seed['token']}", "Content-Type": "application/json"}
        self.item = seed["item"]
        self.numbers = count(1)

    def next(self):
        number = next(self.numbers)
        body = json.dumps(
            {
                "email": f"student{number}@example.com",
                "locale": "en",
                "sales_channel": "web",
                "positions": [{"item": self.item, "attendee_name": f"Student {number}"}],
                "send_email": False,
            }
        ).encode()
        return render("POST", self.path, self.headers, body), number


class Pretix(Peer):
    name = "pretix"
    package = "pretix"
    wsgi = "bench_pretix.wsgi:application"
    seed_module = "bench_pretix.seed"

    def booking(self) -> Scenario:
        return Orders(self.seeded())

    def verify(self) -> dict[str, int]:
        orders = self.database.scalar("SELECT count(*) FROM pretixbase_order")
        positions = self.database.scalar("SELECT count(*) FROM pretixbase_orderposition WHERE NOT canceled")
        return {"bookings": orders, "double_booked": max(0, positions - self.units)}
