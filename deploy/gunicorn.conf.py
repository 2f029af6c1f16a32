"""gunicorn settings for GuitarOnline (`gunicorn -c deploy/gunicorn.conf.py`).

Every knob comes from the environment so one image serves compose, Kubernetes
and the topology test:

  GUNICORN_BIND          address to listen on            (0.0.0.0:8000)
  GUNICORN_WORKERS       worker processes                (2 x CPUs + 1, at most 8)
  GUNICORN_THREADS       threads per worker              (1)
  GUNICORN_TIMEOUT       seconds before a silent worker is killed (30)
  GUNICORN_GRACEFUL_TIMEOUT, GUNICORN_KEEPALIVE, GUNICORN_MAX_REQUESTS,
  GUNICORN_MAX_REQUESTS_JITTER
  GUNICORN_ACCESSLOG     "-" for access lines on stdout  (off: nginx logs access)
  FORWARDED_ALLOW_IPS    proxies trusted for X-Forwarded-Proto (gunicorn's own variable)
  PROMETHEUS_MULTIPROC_DIR  where workers share their metrics (/tmp/guitaronline-prometheus)

Prometheus: each worker is a process of its own, so prometheus_client keeps
its values in files under PROMETHEUS_MULTIPROC_DIR and `/metrics` merges them
(see guitaronline/metrics.py). The folder is emptied when the master starts,
so counters of a previous run never leak in, and `child_exit` marks a dead
worker so its live gauges disappear.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
from pathlib import Path


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


# The variable must be set before prometheus_client is imported anywhere, in
# the master and therefore in every worker forked from it.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/guitaronline-prometheus")
PROMETHEUS_DIR = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
PROMETHEUS_DIR.mkdir(parents=True, exist_ok=True)  # emptied in on_starting, once per master

wsgi_app = "guitaronline.wsgi:application"
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").split(",") if address.strip()]
workers = _int("GUNICORN_WORKERS", min(multiprocessing.cpu_count() * 2 + 1, 8))
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)  # above nginx's upstream keepalive_timeout (4 s)
# Recycling guards against slow leaks. Rare and spread out: with 2000 +- 200, all workers of a
# busy master restarted within a second and it served nothing for ~2 s while they imported
# Django (BENCHMARKS.md, "Worker recycling").
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 5000)
# The heartbeat file lives in memory when the platform has /dev/shm (containers do).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
control_socket_disable = True  # no gunicornc socket in a read-only container
proc_name = "guitaronline"

accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
# The request id the app answered with joins access lines to the app's own lines.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")

_production = os.environ.get("APP_ENV", "").strip().lower() in {"production", "prod"}
if (os.environ.get("LOG_FORMAT") or ("json" if _production else "plain")).strip().lower() == "json":
    # gunicorn's own lines as JSON too, with the formatter Django's settings use.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "guitaronline.logging.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {
                "handlers": ["console"] if accesslog else [],
                "level": "INFO" if accesslog else "WARNING",
                "propagate": False,
            },
        },
    }


def on_starting(server) -> None:
    """Master start: an empty metrics folder for this run."""
    if PROMETHEUS_DIR.is_dir():
        for entry in PROMETHEUS_DIR.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    PROMETHEUS_DIR.mkdir(parents=True, exist_ok=True)
    server.log.info("prometheus multiprocess folder %s cleaned", PROMETHEUS_DIR)


def child_exit(server, worker) -> None:
    """A worker is gone: drop its live gauges from the merged metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
