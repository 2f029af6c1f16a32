"""py-spy against the gunicorn workers during one scenario, and a summary of
where their time went.

`record()` attaches `py-spy record --subprocesses --nonblocking` to the
gunicorn master (so every worker, also those forked by max_requests
restarts, is sampled without being paused) and writes the raw collapsed
stacks of on-CPU samples (waiting on a socket is not CPU: how long requests
wait for PostgreSQL is in the CPU split of the phases instead);
`summarize()` splits the samples by the deepest frame that says what the
worker was doing: talking to PostgreSQL or Redis (the driver's own CPU),
rendering a template, building ORM queries, and so on. A flame graph can be made from
the raw file with any collapsed-stack tool (inferno, flamegraph.pl,
speedscope).
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

PY_SPY = Path(sys.executable).parent / "py-spy"

# (category, substrings of a frame); the deepest frame that matches decides
CATEGORIES = [
    ("PostgreSQL driver (psycopg)", ("psycopg/", "psycopg_binary", "psycopg_c")),
    ("Redis (cache, limiter, Celery kick)", ("/redis/", "django_redis/", "kombu/", "celery/")),
    ("password hashing", ("hashers.py", "pbkdf2")),
    ("template rendering", ("django/template/", "django/templatetags/")),
    ("ORM: query building, compiling, model instances", ("django/db/models/", "django/db/backends/")),
    ("DRF serializers and fields", ("rest_framework/serializers.py", "rest_framework/fields.py")),
    ("JWT decode", ("rest_framework_simplejwt/", "/jwt/")),
    ("Prometheus metrics", ("prometheus_client/", "django_prometheus/")),
    ("logging (JSON lines)", ("logging/__init__.py", "pythonjsonlogger", "guitaronline/logging.py")),
    ("translation / time zones", ("django/utils/translation", "zoneinfo", "gettext")),
    ("DRF request, views, pagination", ("rest_framework/",)),
    ("Django request handling, middleware, URL routing", ("django/",)),
]
PROJECT = ("accounts/", "booking/", "scheduling/", "billing/", "lessons/", "notifications/", "audit/", "guitaronline/")
IDLE_LEAVES = (
    "select (selectors.py",
    "wait (gunicorn/workers/sync.py",
    "accept (socket.py",
    "sleep (gunicorn/arbiter.py",
)


def record(master_pid: int, output: Path, duration: float, rate: int = 200) -> subprocess.Popen:
    """Start py-spy; it stops by itself after `duration` seconds."""
    output.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            str(PY_SPY), "record", "--pid", str(master_pid), "--subprocesses", "--nonblocking",
            "--rate", str(rate), "--format", "raw", "--output", str(output), "--duration", str(int(duration)),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _frames(stack: str) -> list[str]:
    return stack.split(";")


def _is_idle(frames: list[str]) -> bool:
    leaf = frames[-1]
    if "gunicorn: master" in frames[0] or "arbiter.py" in leaf:
        return True
    return any(marker in leaf for marker in IDLE_LEAVES) and not any("handle_request" in f for f in frames)


def _category(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, markers in CATEGORIES:
            if any(marker in frame for marker in markers):
                return name
    return "other (Python, gunicorn)"


def _short(frame: str) -> str:
    """`function (path/to/module.py:12)` -> `function (module.py)`."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


def summarize(raw: Path, top: int = 12) -> str:
    samples: Counter = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[stack] += int(count)
    busy: Counter = Counter()
    categories: Counter = Counter()
    inclusive: Counter = Counter()
    leaves: Counter = Counter()
    idle = 0
    for stack, count in samples.items():
        frames = _frames(stack)
        if _is_idle(frames):
            idle += count
            continue
        busy[stack] += count
        categories[_category(frames)] += count
        leaves[_short(frames[-1])] += count
        seen = set()
        for frame in frames:
            if any(f"/{p}" in frame or f" ({p}" in frame for p in PROJECT):
                short = _short(frame)
                if short not in seen:
                    inclusive[short] += count
                    seen.add(short)
    total = sum(busy.values())
    if not total:
        return "    (no busy samples: was the scenario running?)"
    lines = [f"    busy samples {total:,} (idle {idle:,}); where the busy time went:"]
    lines += [f"      {n * 100 / total:5.1f} %  {name}" for name, n in categories.most_common()]
    lines.append("    project functions, inclusive:")
    lines += [f"      {n * 100 / total:5.1f} %  {name}" for name, n in inclusive.most_common(top)]
    lines.append("    leaf frames (self time):")
    lines += [f"      {n * 100 / total:5.1f} %  {name}" for name, n in leaves.most_common(top)]
    return "\n".join(lines)
