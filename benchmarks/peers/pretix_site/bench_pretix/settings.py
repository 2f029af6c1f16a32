"""pretix's own settings, configured for the benchmark.

pretix reads its configuration at import time from pretix.cfg or from
environment variables named PRETIX_<SECTION>_<OPTION> (pretix.helpers.config),
so the database and the data directory are given to it that way before its
settings are imported; no config file is read (PRETIX_CONFIG_FILE is empty).
Without a [celery] broker pretix runs its tasks eagerly in the request's
process, without a [redis] location it caches nothing: its defaults for a
single-server install.
"""

import os
from pathlib import Path

VAR = Path(os.environ["BENCH_PEER_VAR"])
(VAR / "data").mkdir(parents=True, exist_ok=True)

os.environ["PRETIX_CONFIG_FILE"] = os.devnull
os.environ.update(
    {
        "PRETIX_DATABASE_BACKEND": "postgresql",
        "PRETIX_DATABASE_NAME": os.environ["BENCH_PEER_DB_NAME"],
        "PRETIX_DATABASE_USER": os.environ["BENCH_PEER_DB_USER"],
        "PRETIX_DATABASE_PASSWORD": os.environ["BENCH_PEER_DB_PASSWORD"],
        "PRETIX_DATABASE_HOST": os.environ["BENCH_PEER_DB_HOST"],
        "PRETIX_DATABASE_PORT": os.environ["BENCH_PEER_DB_PORT"],
        "PRETIX_PRETIX_DATADIR": str(VAR / "data"),
        "PRETIX_PRETIX_URL": "http://127.0.0.1",  # the Host the load generator sends: pretix's main domain
        "PRETIX_PRETIX_LOGLEVEL": "WARNING",
        "PRETIX_PRETIX_ECB_RATES": "false",
        "PRETIX_DJANGO_DEBUG": "false",
    }
)

from pretix.settings import *  # noqa: E402, F403
from pretix.settings import LOGGING, MIDDLEWARE  # noqa: E402

DEBUG = False
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"

# pretix's MultiDomainMiddleware routes the main domain to its own URLconf; the
# next middleware routes it to ROOT_URLCONF, which adds the bare view.
ROOT_URLCONF = "bench_pretix.urls"
MIDDLEWARE = list(MIDDLEWARE)
MIDDLEWARE.insert(
    MIDDLEWARE.index("pretix.multidomain.middlewares.MultiDomainMiddleware") + 1,
    "bench_pretix.middleware.BenchURLconfMiddleware",
)

# Warnings and errors to gunicorn's output only, no log files.
LOGGING["handlers"]["console"]["level"] = "WARNING"
for _logger in LOGGING["loggers"].values():
    _logger["handlers"] = [h for h in _logger["handlers"] if h in ("console", "null")]
    if "level" in _logger:
        _logger["level"] = "WARNING"
# Celery in eager mode still takes a (never connected) producer from kombu's pool for
# its serializer, and kombu warns once per process that the broker has no hostname.
LOGGING["loggers"]["kombu.connection"] = {"handlers": ["console"], "level": "ERROR", "propagate": False}
