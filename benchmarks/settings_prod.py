"""The project's production settings, unchanged but for where collected static
files live, per gunicorn master of the benchmark the cache's key prefix, and
the address of the fake Stripe the purchases pay through.

APP_ENV=production serves pages through whitenoise's manifest storage, so
templates need `collectstatic`'s manifest (the Docker image builds it). The
benchmark collects into benchmarks/out/static instead of the repository's
staticfiles/ so it leaves the working tree of other engineers alone.
"""

import os
from pathlib import Path

from guitaronline.settings import *  # noqa: F403
from guitaronline.settings import CACHES

STATIC_ROOT = Path(__file__).resolve().parent / "out" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# The benchmark runs several gunicorn masters (large data, small data, without
# metrics) against one Redis database: each keeps its cache entries apart.
if os.environ.get("BENCH_CACHE_PREFIX") and "KEY_PREFIX" in CACHES["default"]:
    CACHES["default"]["KEY_PREFIX"] = os.environ["BENCH_CACHE_PREFIX"]

# The purchases' payment provider is the tests' fake Stripe on loopback, which
# speaks plain HTTP. Production settings refuse a STRIPE_API_BASE that is not
# https://, so the benchmark gives them an https:// address to check and sets
# the fake's own address here, after the check.
if os.environ.get("BENCH_STRIPE_API_BASE"):
    STRIPE_API_BASE = os.environ["BENCH_STRIPE_API_BASE"]
