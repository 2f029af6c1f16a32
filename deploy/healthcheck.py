"""Container health checks: `python deploy/healthcheck.py web|worker|beat`.

web     GET /health on the local gunicorn (what the image's HEALTHCHECK does).
worker  the Celery worker of this container touched its heartbeat file in the
        last WORKER_HEARTBEAT_MAX_AGE seconds (default 120): alive, whatever
        the broker does (a broker outage must not restart every worker).
beat    Celery beat ran a periodic task in the last BEAT_HEALTH_MAX_AGE
        seconds (default 600; django-celery-beat writes `last_run_at` to the
        database at least every 3 minutes).

Exit 0 when healthy, 1 otherwise, with one line saying why.
"""

from __future__ import annotations

import os
import sys
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitaronline.settings")


def check_web() -> str:
    port = os.environ.get("HEALTHCHECK_PORT", "8000")
    request = urllib.request.Request(f"http://127.0.0.1:{port}/health", headers={"Host": "localhost"})
    with urllib.request.urlopen(request, timeout=4) as response:
        if response.status != 200:
            raise RuntimeError(f"/health answered {response.status}")
    return "web answers /health"


def check_worker() -> str:
    """The worker's heartbeat file is fresh (guitaronline.worker_heartbeat):
    the process lives, whatever the broker does."""
    from guitaronline.worker_heartbeat import age_seconds

    max_age = float(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", "120"))
    try:
        age = age_seconds()
    except FileNotFoundError:
        raise RuntimeError("the worker has not written its heartbeat yet") from None
    if age > max_age:
        raise RuntimeError(f"the worker's last heartbeat is {age:.0f}s old (more than {max_age:.0f}s)")
    return f"worker heartbeat {age:.0f}s ago"


def check_beat() -> str:
    import django

    django.setup()
    from django.db.models import Max
    from django.utils import timezone
    from django_celery_beat.models import PeriodicTask

    max_age = int(os.environ.get("BEAT_HEALTH_MAX_AGE", "600"))
    last = PeriodicTask.objects.filter(enabled=True).aggregate(last=Max("last_run_at"))["last"]
    if last is None:
        raise RuntimeError("beat has not run any periodic task yet")
    age = (timezone.now() - last).total_seconds()
    if age > max_age:
        raise RuntimeError(f"beat last ran a task {age:.0f}s ago (more than {max_age}s)")
    return f"beat ran a task {age:.0f}s ago"


CHECKS = {"web": check_web, "worker": check_worker, "beat": check_beat}


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in CHECKS:
        sys.stderr.write(f"usage: {argv[0]} {'|'.join(CHECKS)}\n")
        return 2
    try:
        message = CHECKS[argv[1]]()
    except Exception as exc:  # any failure is "unhealthy"
        sys.stderr.write(f"unhealthy: {exc}\n")
        return 1
    sys.stdout.write(f"healthy: {message}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
