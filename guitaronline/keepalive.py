"""`python -m guitaronline.keepalive NAME COMMAND...`: runs COMMAND, and
starts it again whenever it ends on its own, printing one line; `make run`
wraps the Celery worker and beat in it (Procfile.dev).

honcho, the dev runner, stops every process once one of them ends: a worker
that crashed used to take the web server and beat down with it. A SIGTERM,
SIGINT or SIGHUP (Ctrl-C, honcho stopping the site) is passed to COMMAND and
ends this too. Hand-written because honcho has no restart policy, and
supervisord or a process manager of that size would be a second runner for
three processes.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import deque

RESTART_PAUSE = 1.0  # seconds before a restart
BURST, BURST_WINDOW, BURST_PAUSE = 5, 60.0, 10.0  # this many exits within the window: wait longer


def say(line: str, stream=sys.stdout) -> None:
    """One line on the runner's console, at once."""
    stream.write(line + "\n")
    stream.flush()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        say("usage: python -m guitaronline.keepalive NAME COMMAND...", sys.stderr)
        return 2
    name, command = argv[0], argv[1:]
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, stop)
    exits: deque[float] = deque(maxlen=BURST)
    while True:
        child = subprocess.Popen(command)
        say(f"{name} started (pid={child.pid})")
        code = child.wait()
        if stopping:
            return code
        exits.append(time.monotonic())
        pause = BURST_PAUSE if len(exits) == BURST and exits[-1] - exits[0] < BURST_WINDOW else RESTART_PAUSE
        say(f"{name} exited with code {code}; restarting in {pause:g} s")
        time.sleep(pause)
        if stopping:
            return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
