"""Fixtures every app's tests may use: clients, users, the `school` of the
booking and student page tests, the people of the teacher and lesson page
tests (each named after their time zone), `unchanged` and `frozen_now`."""

import itertools
from contextlib import contextmanager

import pytest
from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests import factories
from tests.clients import client_for, signed_in
from tests.factories import PASSWORD, StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot
from tests.lessons.factories import LONG
from tests.snapshots import schedule_snapshot


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


@pytest.fixture(autouse=True)
def _slots_spread_afresh(monkeypatch):
    """Every test's default slots (`make_slot` without `starts_in`) start at
    three days ahead, two hours apart: where they fall does not depend on
    the tests that ran before."""
    monkeypatch.setattr(factories, "_spread", itertools.count())


@pytest.fixture
def api():
    return APIClient()


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


# --- a small school: booking, waitlist and student page tests ------------------------------


@pytest.fixture
def school(db):
    """A published teacher with a slot three days ahead and a student with a 10-lesson package."""

    class School:
        teacher = TeacherFactory()
        student = StudentFactory()
        other_student = StudentFactory()
        other_teacher = TeacherFactory()

    school = School()
    school.slot = make_slot(school.teacher)
    school.package = make_package(school.student)
    make_package(school.other_student)
    return school


@pytest.fixture
def student_client(school):
    """`school.student`, signed in."""
    return signed_in(school.student)


# --- people in fixed time zones: teacher, lesson, schedule and calendar tests --------------


@pytest.fixture
def berlin_teacher(db):
    return TeacherFactory(timezone="Europe/Berlin", full_name="Tatiana Teacher")


@pytest.fixture
def moscow_student(db):
    """A student with 100 lessons that outlive the fixed dates the tests use."""
    student = StudentFactory(timezone="Europe/Moscow", full_name="Sasha Student")
    make_package(student, lessons=100, expires_in=LONG)
    return student


@pytest.fixture
def other_moscow_student(db):
    student = StudentFactory(timezone="Europe/Moscow", full_name="Olga Other")
    make_package(student, lessons=100, expires_in=LONG)
    return student


@pytest.fixture
def new_york_student(db):
    """A student in New York (the US changes to summer time two weeks before
    the EU) with a 50-lesson package."""
    student = StudentFactory(timezone="America/New_York")
    make_package(student, lessons=50)
    return student


# --- nothing changed, and a fixed now -------------------------------------------------------


@pytest.fixture
def unchanged(db):
    """`with unchanged(): ...` asserts the block left slots, bookings, lessons,
    audit and outbox as they were (`tests.snapshots.schedule_snapshot`)."""

    @contextmanager
    def check():
        before = schedule_snapshot()
        yield
        assert schedule_snapshot() == before

    return check


@pytest.fixture
def frozen_now(monkeypatch):
    """`frozen_now(moment)` makes `timezone.now()` return `moment` for the
    pages and the services they call (set it before signing in)."""

    def freeze(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return freeze


@pytest.fixture(scope="session", autouse=True)
def _staff_groups_as_migrated(request, django_db_setup, django_db_blocker):
    """The staff groups and their permissions as the migrations made them,
    read before any transactional test flushes the database. None when no
    collected test uses the database (pytest-django then makes none)."""
    from django.contrib.auth.models import Group
    from pytest_django.fixtures import _get_databases_for_setup

    aliases, _serialized = _get_databases_for_setup(request.session.items)
    if not aliases:
        return {}
    with django_db_blocker.unblock():
        fields = ("content_type__app_label", "content_type__model", "codename")
        return {group.name: list(group.permissions.values_list(*fields)) for group in Group.objects.all()}


@pytest.fixture
def staff_groups(_staff_groups_as_migrated, transactional_db):
    """The staff groups back in a transactional test (a flush empties them)."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    for name, permissions in _staff_groups_as_migrated.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, model, codename in permissions:
            content_type = ContentType.objects.get_by_natural_key(app_label, model)
            group.permissions.add(Permission.objects.get_or_create(content_type=content_type, codename=codename)[0])
