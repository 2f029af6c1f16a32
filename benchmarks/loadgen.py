"""A lean closed-loop HTTP/1.1 load generator on asyncio (uvloop when present).

Why not locust or httpx: on two cores the load generator shares the CPU with
gunicorn and PostgreSQL, so every microsecond it spends per request is taken
from the server, and more so for fast requests (the /health baseline) than
for slow ones, which compresses every "X / baseline" ratio. A request here is
one pre-rendered byte string written to a fresh connection and a response read
by Content-Length: a few tens of microseconds of client CPU (the run prints
it), several times less than httpx and far less than locust.

Every request opens its own connection and says `Connection: close`, which is
what gunicorn's sync workers do anyway (they never keep a connection alive)
and what nginx does towards its upstream by default. `X-Forwarded-Proto:
https` is what nginx adds in production; without it the app would redirect
every request to HTTPS.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import cycle

from benchmarks import cpu

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

HOST = "127.0.0.1"


def new_loop() -> asyncio.AbstractEventLoop:
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    host: str = HOST


def render(method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {HOST}",
        "X-Forwarded-Proto: https",
        "Connection: close",
        "User-Agent: guitaronline-bench",
    ]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def fetch(server: Server, raw: bytes, *, with_head: bool = False) -> tuple[int, bytes]:
    """Send one request on a new connection; (status, body). Status 0: connection error.
    `with_head`: the body comes after the answer's head (status line, headers, blank line)."""
    try:
        reader, writer = await asyncio.open_connection(server.host, server.port)
    except OSError:
        return 0, b""
    try:
        writer.write(raw)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = None
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await (reader.readexactly(length) if length is not None else reader.read())
        return status, head + body if with_head else body
    except (OSError, asyncio.IncompleteReadError, ValueError):
        return 0, b""
    finally:
        writer.close()


# --- scenarios ------------------------------------------------------------------------


class Scenario:
    """What one virtual user sends next and what it does with the answer.

    A unit of work is one request, or a flow of several (a hold and its
    confirm; a peer's booking form and its details page): `done` then returns
    the next request of the flow, which the same user sends at once. A unit
    counts, with its latency from the first request to the last answer, when
    its last answer has a status in `ok`; any answer with a status outside
    `ok` is an error. A scenario with `heads` gets each answer with its head
    (status line and headers first): a browser's flow follows its redirects
    and keeps its cookies.
    """

    name = "scenario"
    ok = frozenset({200})
    heads = False

    def next(self) -> tuple[bytes, object] | None:  # None: nothing to send right now
        raise NotImplementedError

    def done(self, context: object, status: int, body: bytes) -> tuple[bytes, object] | None:
        """The flow's next request, or None when the unit is over."""
        return None


class Get(Scenario):
    """GET `path`, cycling through per-user header sets (tokens, cookies)."""

    def __init__(self, name: str, path: str, header_sets: list[dict[str, str]] | None = None, ok=(200,)):
        self.name = name
        self.ok = frozenset(ok)
        self._requests = cycle([render("GET", path, headers) for headers in (header_sets or [{}])])

    def next(self):
        return next(self._requests), None


class Post(Scenario):
    def __init__(self, name: str, path: str, payload: dict, header_sets: list[dict[str, str]] | None = None, ok=(200,)):
        self.name = name
        self.ok = frozenset(ok)
        body = json.dumps(payload).encode()
        headers = [{"Content-Type": "application/json", **h} for h in (header_sets or [{}])]
        self._requests = cycle([render("POST", path, h, body) for h in headers])

    def next(self):
        return next(self._requests), None


@dataclass
class Hold:
    booking_id: int
    writer: int


class Holds(Scenario):
    """POST /api/v1/booking/holds, each on a slot nobody held in this run, by the
    writers in turn; every 201 goes to `confirm_queue`."""

    name = "hold"
    ok = frozenset({201})

    def __init__(self, slots: Iterator[int], tokens: list[str], confirm_queue: deque):
        self.slots = slots
        self.tokens = tokens
        self.writers = cycle(range(len(tokens)))
        self.queue = confirm_queue

    def next(self):
        writer = next(self.writers)
        slot = next(self.slots)
        body = json.dumps({"slot_id": slot}).encode()
        headers = {"Authorization": f"Bearer {self.tokens[writer]}", "Content-Type": "application/json"}
        return render("POST", "/api/v1/booking/holds", headers, body), writer

    def done(self, writer, status, body):
        if status == 201:
            self.queue.append(Hold(json.loads(body)["id"], writer))


class Bookings(Scenario):
    """One booking per unit: the hold, then at once its confirm, by the same writer
    (what a client does, and what the peers' booking flows are compared with)."""

    name = "booking"
    ok = frozenset({200, 201})

    def __init__(self, slots: Iterator[int], tokens: list[str]):
        self.slots = slots
        self.tokens = tokens
        self.writers = cycle(range(len(tokens)))

    def next(self):
        writer = next(self.writers)
        body = json.dumps({"slot_id": next(self.slots)}).encode()
        headers = {"Authorization": f"Bearer {self.tokens[writer]}", "Content-Type": "application/json"}
        return render("POST", "/api/v1/booking/holds", headers, body), ("hold", writer)

    def done(self, context, status, body):
        step, writer = context
        if step == "hold" and status == 201:
            headers = {"Authorization": f"Bearer {self.tokens[writer]}"}
            booking = json.loads(body)["id"]
            return render("POST", f"/api/v1/booking/{booking}/confirm", headers), ("confirm", writer)
        return None


class SeriesBookings(Scenario):
    """POST /api/v1/booking/series: `weeks` weekly lessons from the first slot of a
    weekly run nobody booked in this run, by the writers in turn."""

    name = "series"
    ok = frozenset({201})

    def __init__(self, starts: Iterator[int], tokens: list[str], weeks: int):
        self.starts = starts
        self.tokens = tokens
        self.weeks = weeks
        self.writers = cycle(range(len(tokens)))

    def next(self):
        writer = next(self.writers)
        body = json.dumps({"slot_id": next(self.starts), "weeks": self.weeks}).encode()
        headers = {"Authorization": f"Bearer {self.tokens[writer]}", "Content-Type": "application/json"}
        return render("POST", "/api/v1/booking/series", headers, body), writer


class Purchases(Scenario):
    """A purchase per unit: the checkout (POST /api/v1/billing/checkout), then the
    payment provider's signed `checkout.session.completed` for its session (POST
    /api/v1/billing/webhooks/stripe), as Stripe sends it once the student has paid.
    `sign(body)` gives the Stripe-Signature header."""

    name = "purchase"
    ok = frozenset({200, 201})

    def __init__(self, product_id: int, tokens: list[str], sign: Callable[[bytes], str]):
        from billing.stripe_provider import to_minor  # the site's own rule for Stripe's minor units

        self.to_minor = to_minor
        self.body = json.dumps({"product_id": product_id}).encode()
        self.tokens = tokens
        self.sign = sign
        self.writers = cycle(range(len(tokens)))
        self.results: Counter = Counter()  # the webhook's answers: fulfilled, or why not

    def next(self):
        writer = next(self.writers)
        headers = {"Authorization": f"Bearer {self.tokens[writer]}", "Content-Type": "application/json"}
        return render("POST", "/api/v1/billing/checkout", headers, self.body), "checkout"

    def done(self, step, status, body):
        if step != "checkout":
            self.results[json.loads(body).get("result", status) if status == 200 else status] += 1
            return None
        if status not in (200, 201):
            return None
        payment = json.loads(body)
        minor = self.to_minor(Decimal(payment["amount"]), payment["currency"])  # as the site wrote it at Stripe
        event = json.dumps(
            {
                "id": f"evt_bench_{uuid.uuid4().hex}",
                "object": "event",
                "type": "checkout.session.completed",
                "created": int(time.time()),
                "livemode": False,
                "data": {
                    "object": {
                        "id": payment["checkout_url"].rsplit("/", 1)[-1],
                        "object": "checkout.session",
                        "status": "complete",
                        "payment_status": "paid",
                        "amount_total": minor,
                        "currency": payment["currency"].lower(),
                        "client_reference_id": str(payment["payment_id"]),
                        "metadata": {"payment_id": str(payment["payment_id"])},
                    }
                },
            }
        ).encode()
        headers = {"Stripe-Signature": self.sign(event), "Content-Type": "application/json"}
        return render("POST", "/api/v1/billing/webhooks/stripe", headers, event), "webhook"


class Confirms(Scenario):
    """POST /api/v1/booking/{id}/confirm for the holds in `queue`, oldest first."""

    name = "confirm"

    def __init__(self, tokens: list[str], queue: deque):
        self.tokens = tokens
        self.queue = queue
        self.starved = 0

    def next(self):
        if not self.queue:
            self.starved += 1
            return None
        hold = self.queue.popleft()
        headers = {"Authorization": f"Bearer {self.tokens[hold.writer]}"}
        return render("POST", f"/api/v1/booking/{hold.booking_id}/confirm", headers), hold


# --- measurement ------------------------------------------------------------------------


@dataclass
class Window:
    """One measuring window of one scenario against one server."""

    label: str
    statuses: Counter = field(default_factory=Counter)  # every answer
    latencies: list[float] = field(default_factory=list)  # seconds, units of work that succeeded
    errors: int = 0  # answers with a status the scenario does not expect
    elapsed: float = 0.0  # first request sent .. last answer received
    client_cpu: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds by group (benchmarks.cpu)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0


CPU_GROUPS: dict[str, set[int]] = {}  # name -> gunicorn master pids, for the CPU accounting of windows


async def run_window(label: str, server: Server, scenario: Scenario, *, concurrency: int, duration: float) -> Window:
    window = Window(label)
    before = cpu.snapshot()
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + duration

    async def user() -> None:
        while time.perf_counter() < deadline:
            item = scenario.next()
            if item is None:
                await asyncio.sleep(0.002)
                continue
            sent = time.perf_counter()
            while item is not None:
                raw, context = item
                status, body = await fetch(server, raw, with_head=scenario.heads)
                window.statuses[status] += 1
                if status not in scenario.ok:
                    window.errors += 1
                item = scenario.done(context, status, body)
            if status in scenario.ok:
                window.latencies.append(time.perf_counter() - sent)

    await asyncio.gather(*(user() for _ in range(concurrency)))
    window.elapsed = time.perf_counter() - start
    window.client_cpu = time.process_time() - cpu_start
    window.cpu = cpu.usage(before, cpu.snapshot(), CPU_GROUPS)
    return window


@dataclass
class Step:
    label: str
    server: Server
    scenario: Scenario


async def alternate(
    steps: list[Step],
    *,
    cycles: int,
    window: float,
    warmup: float,
    concurrency: int,
    progress: Callable[[str], None] = print,
) -> dict[str, list[Window]]:
    """Warm each step up, then run the steps in turn, `cycles` times.

    Interleaving short windows makes every ratio a comparison of neighbours in
    time, so the load other engineers put on the machine meanwhile weighs on
    both sides alike.
    """
    for step in steps:
        await run_window(step.label, step.server, step.scenario, concurrency=concurrency, duration=warmup)
    results: dict[str, list[Window]] = {step.label: [] for step in steps}
    for n in range(cycles):
        for step in steps:
            measured = await run_window(
                step.label, step.server, step.scenario, concurrency=concurrency, duration=window
            )
            results[step.label].append(measured)
        progress(
            f"    cycle {n + 1}/{cycles}: "
            + ", ".join(f"{label} {windows[-1].rate:,.0f}/s" for label, windows in results.items())
        )
    return results


# --- figures -------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[rank]


@dataclass
class Summary:
    rate: float
    p50: float
    p95: float
    p99: float
    ok: int
    errors: int
    statuses: dict
    client_cpu_per_request: float
    cpu_ms_per_request: dict  # milliseconds of CPU per answered request, by group

    def cpu_line(self, top: int = 6) -> str:
        parts = sorted(self.cpu_ms_per_request.items(), key=lambda kv: -kv[1])[:top]
        return ", ".join(f"{name} {ms:.1f}" for name, ms in parts)

    @classmethod
    def of(cls, windows: list[Window]) -> Summary:
        latencies = [x for w in windows for x in w.latencies]
        statuses: Counter = Counter()
        for w in windows:
            statuses.update(w.statuses)
        elapsed = sum(w.elapsed for w in windows)
        ok = len(latencies)
        requests = sum(statuses.values())
        errors = sum(w.errors for w in windows)
        used: Counter = Counter()
        for w in windows:
            used.update(w.cpu)
        return cls(
            rate=ok / elapsed if elapsed else 0.0,
            p50=percentile(latencies, 50),
            p95=percentile(latencies, 95),
            p99=percentile(latencies, 99),
            ok=ok,
            errors=errors,
            statuses=dict(statuses),
            client_cpu_per_request=sum(w.client_cpu for w in windows) / requests if requests else math.nan,
            cpu_ms_per_request={name: seconds * 1000 / ok for name, seconds in used.items()} if ok else {},
        )


def paired_ratios(numerator: list[Window], denominator: list[Window]) -> list[float]:
    return [a.rate / b.rate for a, b in zip(numerator, denominator, strict=True) if b.rate]
