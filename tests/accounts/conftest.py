"""Fixtures of the account tests."""

import pytest
from django.contrib.auth import hashers


@pytest.fixture
def hasher_calls(monkeypatch):
    """Counts password hashing and checking (a spy; the real hasher still runs)."""
    calls = []
    real_check, real_make = hashers.check_password, hashers.make_password

    def check(*args, **kwargs):
        calls.append("check")
        return real_check(*args, **kwargs)

    def make(*args, **kwargs):
        calls.append("make")
        return real_make(*args, **kwargs)

    monkeypatch.setattr("django.contrib.auth.hashers.check_password", check)
    monkeypatch.setattr("django.contrib.auth.base_user.check_password", check)
    monkeypatch.setattr("django.contrib.auth.base_user.make_password", make)
    return calls
