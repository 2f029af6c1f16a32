from datetime import timedelta

import pytest
from django.utils import timezone

from tests.clients import client_for
from tests.factories import staff_in


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def later(now):
    return now + timedelta(days=30)


@pytest.fixture
def finance_api(db):
    """The API as a member of the finance group."""
    return client_for(staff_in("finance"))
