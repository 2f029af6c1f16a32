"""The race helper itself: order, exceptions, a real common start, closed connections."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from tests.races import errors, race, race_n

SLEEP = 0.3


def test_results_come_back_in_the_order_of_the_jobs_not_of_finishing():
    def job(index: int) -> int:
        time.sleep(0.02 * (5 - index))  # the last job finishes first
        return index * 10

    assert race(*(lambda index=index: job(index) for index in range(6))) == [0, 10, 20, 30, 40, 50]
    assert race_n(6, job) == [0, 10, 20, 30, 40, 50]


def test_an_exception_is_returned_in_its_place_not_lost():
    class Interrupted(BaseException):
        pass

    def fails():
        raise ValueError("refused")

    def interrupted():
        raise Interrupted

    outcomes = race(lambda: "first", fails, interrupted, lambda: "last")

    assert outcomes[0] == "first" and outcomes[3] == "last"
    assert isinstance(outcomes[1], ValueError) and str(outcomes[1]) == "refused"
    assert isinstance(outcomes[2], Interrupted)
    assert errors(outcomes) == [outcomes[1], outcomes[2]]


def test_jobs_start_together_at_the_barrier():
    count = 8
    racers = {f"race-{index}" for index in range(count)}

    def job(index: int) -> tuple[float, set[str]]:
        started = time.monotonic()
        alive = {thread.name for thread in threading.enumerate()}
        time.sleep(SLEEP)
        return started, alive

    begun = time.monotonic()
    outcomes = race_n(count, job)
    took = time.monotonic() - begun

    assert not errors(outcomes), outcomes
    starts = [started for started, _ in outcomes]
    assert all(racers <= alive for _, alive in outcomes), outcomes  # no job began before every thread was up
    assert max(starts) - min(starts) < SLEEP / 2, starts  # nobody waited for another's sleep
    assert took < SLEEP * 3, took  # the sleeps overlapped: far less than count * SLEEP


def test_every_job_runs_on_its_own_thread():
    names = race_n(4, lambda index: threading.current_thread().name)
    assert names == ["race-0", "race-1", "race-2", "race-3"]
    assert threading.current_thread().name not in names


def test_a_job_that_does_not_finish_in_time_fails_the_race():
    release = threading.Event()
    try:
        with pytest.raises(AssertionError, match="still running"):
            race(lambda: "done", lambda: release.wait(10), timeout=0.5)
    finally:
        release.set()


@pytest.mark.django_db(transaction=True)
def test_each_thread_closes_its_database_connection(monkeypatch):
    wrapper_class = type(connections[DEFAULT_DB_ALIAS])
    close = wrapper_class.close
    closed_by: list[str] = []

    def recording_close(wrapper):
        closed_by.append(threading.current_thread().name)
        return close(wrapper)

    monkeypatch.setattr(wrapper_class, "close", recording_close)

    def job(index: int):
        wrapper = connections[DEFAULT_DB_ALIAS]  # this thread's own
        with wrapper.cursor() as cursor:
            cursor.execute("SELECT %s", [index])
            row = cursor.fetchone()
        return wrapper, row[0]

    outcomes = race_n(3, job)

    assert not errors(outcomes), outcomes
    assert [value for _, value in outcomes] == [0, 1, 2]
    wrappers = [wrapper for wrapper, _ in outcomes]
    assert len({id(wrapper) for wrapper in wrappers}) == 3  # one connection per thread
    assert connections[DEFAULT_DB_ALIAS] not in wrappers  # and none of them the test's own
    assert sorted(closed_by) == ["race-0", "race-1", "race-2"]  # each thread closed its own, once
    if connections[DEFAULT_DB_ALIAS].vendor == "postgresql":  # SQLite keeps an in-memory database open
        assert all(wrapper.connection is None for wrapper in wrappers)
