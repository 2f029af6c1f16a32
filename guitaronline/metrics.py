"""Domain gauges for Prometheus, computed from the database at scrape time.

`DomainCollector` reads the numbers the ops dashboard shows and the alert
rules in `deploy/prometheus/alerts.yml` need:

- `guitaronline_outbox_pending`, `guitaronline_outbox_failed_retryable`,
  `guitaronline_outbox_dead_letter` (`audit.selectors.outbox_backlog_counts`,
  after `OUTBOX_MAX_RETRIES` attempts);
- `guitaronline_outbox_oldest_due_age_seconds`: how long the oldest event
  that is due for dispatch has waited (0 when none): grows when no worker or
  no beat dispatches the outbox (`audit.selectors.outbox_oldest_due_age_seconds`);
- `guitaronline_beat_last_run_timestamp_seconds`: the last time Celery beat
  ran any enabled periodic task (django-celery-beat writes it at least every
  3 minutes): stops moving when beat is down;
- `guitaronline_stale_holds` (`booking.selectors.holds_stale`);
- `guitaronline_bookings{status=...}` by effective status
  (`booking.selectors.bookings_by_status`): a count of every booking, so
  it is shared through the cache for `BOOKINGS_FRESH_SECONDS` by every
  process and pod (`guitaronline.core.shared_answers`); on a school with a
  million bookings it costs a quarter of a second, and each pod is scraped
  every 15 s;
- `guitaronline_dependency_up{dependency=database|cache|broker}`: whether each
  answers (`guitaronline.core.dependencies`); readiness decides on the
  database alone, so a cache or broker outage shows here and in the alerts;
- `guitaronline_domain_metrics_up`: 1 when the numbers above could be read,
  0 when the database failed them (the other gauges are then left out).

Export. In one process (runserver, tests) django-prometheus serves the
default registry, where `install()` registers the collector once. Under
gunicorn with `PROMETHEUS_MULTIPROC_DIR`, django-prometheus's view builds a
fresh registry holding only the `MultiProcessCollector`, which would drop
the collector; `install()` therefore serves `/metrics` (same path and URL
name) through `metrics_view`, which adds the collector to that registry.
`guitaronline/urls.py` imports this module, which calls `install()`.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

logger = logging.getLogger(__name__)

PREFIX = "guitaronline"
BOOKINGS_FRESH_SECONDS = 60
MULTIPROCESS_VARIABLES = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")
LOOPBACK = ("127.0.0.0/8", "::1")


def _gauge(name: str, documentation: str, **kwargs) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, **kwargs)


def _families() -> dict[str, GaugeMetricFamily]:
    return {
        "pending": _gauge("outbox_pending", "Outbox events waiting to be dispatched."),
        "retryable": _gauge("outbox_failed_retryable", "Failed outbox events that will be retried."),
        "dead_letter": _gauge(
            "outbox_dead_letter", "Outbox events that failed OUTBOX_MAX_RETRIES times (dead letter)."
        ),
        "oldest_due": _gauge(
            "outbox_oldest_due_age_seconds",
            "Seconds the oldest outbox event due for dispatch has waited (0 when none is due).",
        ),
        "beat": _gauge(
            "beat_last_run_timestamp_seconds",
            "Unix time Celery beat last ran an enabled periodic task (0 when never).",
        ),
        "stale_holds": _gauge("stale_holds", "Holds past their expiry that the periodic job has not expired yet."),
        "bookings": _gauge("bookings", "Bookings by effective status.", labels=["status"]),
    }


def _up(value: float) -> GaugeMetricFamily:
    return _gauge("domain_metrics_up", "1 when the domain gauges could be read from the database.", value=value)


def _dependencies(states: dict[str, str]) -> GaugeMetricFamily:
    family = _gauge(
        "dependency_up",
        "1 when the dependency answers this process (database, cache, broker), 0 when not.",
        labels=["dependency"],
    )
    for name, state in states.items():
        family.add_metric([name], 1.0 if state == "ok" else 0.0)
    return family


class DomainCollector:
    """A prometheus_client custom collector; every `collect()` queries the database."""

    def describe(self) -> Iterable[Metric]:
        # Names only, without touching the database (registration calls this).
        return [*_families().values(), _up(1), _dependencies({})]

    def collect(self) -> Iterator[Metric]:
        from guitaronline.core import dependencies

        yield _dependencies(dependencies.states())
        try:
            families = self._read()
        except Exception as exc:  # a scrape must still answer when the database does not
            logger.warning("domain metrics could not be read: %s: %s", exc.__class__.__name__, exc)
            yield _up(0)
            return
        yield from families
        yield _up(1)

    @staticmethod
    def _read() -> list[Metric]:
        from django.db.models import Max
        from django.utils import timezone
        from django_celery_beat.models import PeriodicTask

        from audit.selectors import outbox_backlog_counts, outbox_oldest_due_age_seconds
        from booking.selectors import holds_stale
        from guitaronline.core.shared_answers import answer_key, shared_answer

        now = timezone.now()
        families = _families()

        counts = outbox_backlog_counts()
        families["pending"].add_metric([], counts["pending"])
        families["retryable"].add_metric([], counts["failed_retryable"])
        families["dead_letter"].add_metric([], counts["failed_dead_letter"])
        families["oldest_due"].add_metric([], outbox_oldest_due_age_seconds(now=now))

        last_beat = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
        families["beat"].add_metric([], last_beat.timestamp() if last_beat else 0.0)

        families["stale_holds"].add_metric([], holds_stale(now=now).count())

        by_status = shared_answer(
            answer_key("metrics", "bookings-by-status"),
            fresh_seconds=BOOKINGS_FRESH_SECONDS,
            compute=_bookings_by_status,
        )
        for status, number in sorted(by_status.items()):
            families["bookings"].add_metric([status], number)
        return list(families.values())


def _bookings_by_status() -> dict[str, int]:
    from booking.selectors import bookings_by_status

    return bookings_by_status().counts


COLLECTOR = DomainCollector()


def multiprocess_mode() -> bool:
    return any(os.environ.get(name) for name in MULTIPROCESS_VARIABLES)


def registry_for_scrape() -> CollectorRegistry:
    """What one scrape exports: the default registry in a single process; in
    gunicorn's multi-process mode, a fresh registry merging every worker's
    files plus the domain collector."""
    if not multiprocess_mode():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    registry.register(COLLECTOR)
    return registry


def scrape_allowed(request) -> bool:
    """Whether `request` may read /metrics: it carries METRICS_TOKEN as a bearer
    token, or comes from METRICS_ALLOWED_IPS. With neither set, loopback only
    in production (Kubernetes has no nginx in front to close it), anyone
    elsewhere. The address is the connection's own: a scraper connects directly."""
    from django.conf import settings

    from guitaronline.core.clients import in_networks

    token, allowed = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_IPS
    if token and hmac.compare_digest(request.headers.get("Authorization", "").encode(), f"Bearer {token}".encode()):
        return True
    remote = request.META.get("REMOTE_ADDR", "")
    if allowed:
        return in_networks(remote, allowed)
    if token:
        return False
    return not settings.PRODUCTION or in_networks(remote, LOOPBACK)


def metrics_view(request):
    """`/metrics`: django-prometheus's export plus the domain gauges in both modes,
    for the scrapers `scrape_allowed` lets in."""
    from django.conf import settings
    from django.http import HttpResponse

    if not scrape_allowed(request):
        answer = HttpResponse("Not allowed to read the metrics.\n", status=403, content_type="text/plain")
        if settings.METRICS_TOKEN:
            answer.status_code = 401
            answer["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return answer
    started = time.monotonic()
    body = generate_latest(registry_for_scrape())
    logger.debug("metrics scrape took %.3fs", time.monotonic() - started)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)


_install_lock = threading.Lock()
_installed = False


def install() -> None:
    """Register the domain collector with the default registry (the one
    django-prometheus exports in a single process). Safe to call again."""
    global _installed
    with _install_lock:
        if _installed:
            return
        if COLLECTOR not in getattr(REGISTRY, "_collector_to_names", {}):
            try:
                REGISTRY.register(COLLECTOR)
            except ValueError:  # the names are already taken (a reloaded module's collector)
                logger.debug("domain collector already registered")
        _installed = True


install()
