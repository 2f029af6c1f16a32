"""Production settings without the Prometheus middleware and without
django-ratelimit (figure 8: what do metrics and rate limiting cost?).

The project has no settings switch for this yet (see BENCHMARKS.md, figure 8):
this module emulates one.
"""

from benchmarks.settings_prod import *  # noqa: F403
from benchmarks.settings_prod import MIDDLEWARE

_OFF = {
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    "guitaronline.core.middleware.HttpMetricsMiddleware",  # the slimmer metrics middleware BENCHMARKS.md proposes
}
MIDDLEWARE = [name for name in MIDDLEWARE if name not in _OFF]
RATELIMIT_ENABLE = False  # django-ratelimit's own switch: decorators neither count nor block
