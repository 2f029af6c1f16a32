"""Racing threads against the database: the one helper the concurrency tests share.

Each job runs on its own thread, and so on its own database connection. The
threads wait at a barrier and are released together, so the jobs really
overlap; each thread closes its connection when its job is done. What a job
returned, or the exception it raised, comes back in the order of the jobs:
an exception is never lost, the test decides what it means.

    outcomes = race(lambda: hold(first), lambda: hold(second))
    outcomes = race_n(16, lambda index: consume(students[index]))
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import connection

T = TypeVar("T")

BARRIER_TIMEOUT = 30.0  # seconds for every thread to reach the start line
TIMEOUT = 120.0  # seconds for all the jobs to finish


def race(*jobs: Callable[[], T], timeout: float = TIMEOUT) -> list[T | BaseException]:
    """Run the jobs in threads released together by a barrier; each thread closes
    its DB connection; returns each job's result or the exception it raised, in order.

    Raises AssertionError if a job is still running after `timeout` seconds.
    """
    if not jobs:
        return []
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(index: int, job: Callable[[], T]) -> None:
        try:
            barrier.wait(timeout=BARRIER_TIMEOUT)
            outcomes[index] = job()
        except BaseException as error:  # returned to the test, never swallowed
            outcomes[index] = error
        finally:
            try:
                connection.close()
            except BaseException as error:  # a failed close fails the job, visibly
                if not isinstance(outcomes[index], BaseException):
                    outcomes[index] = error

    threads = [
        threading.Thread(target=run, args=(index, job), name=f"race-{index}", daemon=True)
        for index, job in enumerate(jobs)
    ]
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    running = [thread.name for thread in threads if thread.is_alive()]
    assert not running, f"still running after {timeout} s: {running}"
    return outcomes


def race_n(count: int, job: Callable[[int], T], timeout: float = TIMEOUT) -> list[T | BaseException]:
    """`race` of `count` copies of `job`, each called with its index 0..count-1."""
    return race(*(lambda index=index: job(index) for index in range(count)), timeout=timeout)


def errors(outcomes: list) -> list[BaseException]:
    """The exceptions among `outcomes`, in order."""
    return [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
