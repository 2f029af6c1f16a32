from datetime import timedelta

import pytest
from django.utils import timezone


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def later(now):
    return now + timedelta(days=30)
