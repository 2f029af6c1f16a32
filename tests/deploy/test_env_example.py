"""`.env.example` documents every variable the app reads: settings, the
gunicorn configuration and the Celery app. A variable added to the code
without its line there fails here, by name."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READERS = (
    "guitaronline/settings.py",
    "guitaronline/environment.py",
    "guitaronline/celery.py",
    "guitaronline/worker_heartbeat.py",
    "deploy/gunicorn.conf.py",
    "deploy/healthcheck.py",
)
READ = re.compile(
    r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|os\.environ(?:\.get|\.setdefault)?[\[(]\s*["']([A-Z][A-Z0-9_]+)["']"""
    r"""|os\.getenv\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
NOT_SETTINGS = {
    "PYTEST_XDIST_WORKER",  # set by pytest-xdist in its workers
    "DJANGO_SETTINGS_MODULE",  # Django's own
}


def read_by_the_code() -> dict[str, str]:
    names: dict[str, str] = {}
    for reader in READERS:
        for match in READ.finditer((ROOT / reader).read_text()):
            names.setdefault(next(group for group in match.groups() if group), reader)
    return names


def test_the_reader_finds_what_settings_read():
    names = read_by_the_code()
    assert {"SECRET_KEY", "BOOKING_HOLD_MINUTES", "GUNICORN_BIND", "AUTH_SESSION_TOUCH_SECONDS"} <= set(names)


def test_every_variable_the_code_reads_is_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    missing = {name: reader for name, reader in read_by_the_code().items() if name not in documented | NOT_SETTINGS}
    assert missing == {}
