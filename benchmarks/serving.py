"""For the benchmark's helper servers, each run as `python -m benchmarks.NAME`."""

from __future__ import annotations

import signal
import threading


def until_stopped() -> None:
    """Return when the process is told to stop (SIGTERM, as `run.Process.stop`
    sends, or SIGINT)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
