"""`make run`'s process manager: honcho with two changes for a developer's shell.
The worker and beat are started again when they crash (`guitaronline.keepalive`
in Procfile.dev), so one of them dying no longer stops the site.

* A closed terminal (SIGHUP) stops web, worker and beat as Ctrl-C does. honcho
  starts each of them in a session of its own, so without this they outlive
  the terminal and keep the port.
* Up to 15 s, not honcho's 5, for a clean stop before SIGKILL: the Celery
  worker finishes the task it is running first (a warm shutdown).
"""

import os
import signal
import sys

from honcho import manager
from honcho.command import main

manager.KILL_WAIT = 15
_MAIN_PID = os.getpid()


def _hangup(signum, frame):
    # honcho's forked helpers inherit this handler; only the manager acts on it.
    if os.getpid() == _MAIN_PID:
        os.kill(_MAIN_PID, signal.SIGTERM)


if __name__ == "__main__":
    signal.signal(signal.SIGHUP, _hangup)
    sys.exit(main())
