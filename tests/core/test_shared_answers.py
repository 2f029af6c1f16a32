"""The shared answer: fresh, then stale while exactly one request refreshes it."""

import pytest
from django.core.cache import cache

from guitaronline.core import shared_answers
from guitaronline.core.shared_answers import answer_key, shared_answer


class Clock:
    def __init__(self, now: float = 1_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(shared_answers.time, "time", clock)
    return clock


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"answer": self.calls}


def test_keys_differ_by_every_part():
    assert answer_key("n", "a", "b") == answer_key("n", "a", "b")
    keys = {answer_key("n", "a", "b"), answer_key("n", "ab"), answer_key("n", "a", "c"), answer_key("m", "a", "b")}
    assert len(keys) == 4


def test_fresh_answer_is_computed_once(clock):
    compute = Counter()
    key = answer_key("test", "q")

    assert [shared_answer(key, fresh_seconds=10, compute=compute) for _ in range(3)] == [{"answer": 1}] * 3
    clock.now += 9.9
    assert shared_answer(key, fresh_seconds=10, compute=compute) == {"answer": 1}
    assert compute.calls == 1


KEY = answer_key("test", "q")


@pytest.fixture
def stale(clock) -> Counter:
    """An answer computed once, now 11 s old (fresh for 10)."""
    compute = Counter()
    shared_answer(KEY, fresh_seconds=10, compute=compute)
    clock.now += 11
    return compute


def test_stale_answer_is_refreshed_by_the_request_that_takes_the_lock(stale):
    compute, key = stale, KEY
    assert shared_answer(key, fresh_seconds=10, compute=compute) == {"answer": 2}
    assert shared_answer(key, fresh_seconds=10, compute=compute) == {"answer": 2}  # fresh again
    assert compute.calls == 2
    assert cache.get(f"{key}:refresh") is None  # lock released


def test_stale_answer_is_served_while_another_request_refreshes(stale):
    compute, key = stale, KEY
    assert cache.add(f"{key}:refresh", 1, 10)  # another worker is computing

    assert shared_answer(key, fresh_seconds=10, compute=compute) == {"answer": 1}
    assert compute.calls == 1


def test_a_failed_refresh_releases_the_lock_and_keeps_the_stale_answer(stale):
    compute, key = stale, KEY

    def broken():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        shared_answer(key, fresh_seconds=10, compute=broken)
    assert cache.get(f"{key}:refresh") is None
    assert shared_answer(key, fresh_seconds=10, compute=compute) == {"answer": 2}


def test_missing_answer_is_computed_by_each_request_without_a_lock(clock):
    compute = Counter()
    key = answer_key("test", "q")
    assert cache.add(f"{key}:refresh", 1, 10)  # a lock left behind changes nothing for a cold key

    assert shared_answer(key, fresh_seconds=10, compute=compute) == {"answer": 1}
    assert cache.get(f"{key}:refresh") == 1


# --- a topic's version --------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the version moves when the write commits
def test_an_answer_about_an_outdated_topic_is_computed_afresh_never_served_stale(clock):
    from django.db import transaction

    compute = Counter()
    ask = lambda: shared_answer(KEY, fresh_seconds=10, compute=compute, topic="slots")  # noqa: E731
    assert ask() == {"answer": 1} and ask() == {"answer": 1}  # fresh: computed once
    with transaction.atomic():
        shared_answers.answers_outdated("slots")
        assert ask() == {"answer": 1}  # not committed yet: nothing is outdated
    assert ask() == {"answer": 2}  # computed afresh at once, although still fresh by time
    cache.add(f"{KEY}:refresh", 1, 10)  # another request "refreshing" changes nothing for an outdated answer
    with transaction.atomic():
        shared_answers.answers_outdated("slots")
    assert ask() == {"answer": 3}


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_outdates_nothing(clock):
    from django.db import transaction

    compute = Counter()
    shared_answer(KEY, fresh_seconds=10, compute=compute, topic="slots")
    with pytest.raises(RuntimeError), transaction.atomic():
        shared_answers.answers_outdated("slots")
        raise RuntimeError
    assert shared_answer(KEY, fresh_seconds=10, compute=compute, topic="slots") == {"answer": 1}


def test_the_version_is_read_with_the_answer_in_one_round_trip(clock, monkeypatch):
    calls = []
    monkeypatch.setattr(cache, "get", lambda *a, **k: calls.append("get"))
    shared_answer(KEY, fresh_seconds=10, compute=Counter(), topic="slots")
    shared_answer(KEY, fresh_seconds=10, compute=Counter(), topic="slots")
    assert calls == []  # only get_many
