import pytest
from django.core.cache import caches
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import PASSWORD, StaffFactory, StudentFactory, TeacherFactory


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Every test starts with empty caches and rate-limit buckets."""
    for alias in ("default", "ratelimit"):
        cache = caches[alias]
        if hasattr(cache, "delete_pattern"):
            cache.delete_pattern("*")
        else:
            cache.clear()
    yield


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def student(db):
    return StudentFactory()


@pytest.fixture
def teacher(db):
    return TeacherFactory()


@pytest.fixture
def staff(db):
    return StaffFactory()


@pytest.fixture
def student_api(student):
    return client_for(student)


@pytest.fixture
def teacher_api(teacher):
    return client_for(teacher)


@pytest.fixture
def staff_api(staff):
    return client_for(staff)


def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def postgres_only():
    """Skip on SQLite: row locks and concurrent writers are only real on PostgreSQL."""
    if not on_postgres():
        pytest.skip("needs PostgreSQL (set DATABASE_URL); SQLite serialises writers")
