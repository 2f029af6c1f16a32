"""The project's production settings, unchanged but for where collected static
files live.

APP_ENV=production serves pages through whitenoise's manifest storage, so
templates need `collectstatic`'s manifest (the Docker image builds it). The
benchmark collects into benchmarks/out/static instead of the repository's
staticfiles/ so it leaves the working tree of other engineers alone.
"""

from pathlib import Path

from guitaronline.settings import *  # noqa: F403

STATIC_ROOT = Path(__file__).resolve().parent / "out" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
