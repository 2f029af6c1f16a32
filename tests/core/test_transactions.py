"""`joins_transaction`: a step of the caller's change, without a savepoint."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AdminAction
from guitaronline.core.transactions import joins_transaction

pytestmark = pytest.mark.django_db(transaction=True)


class Refused(Exception):
    pass


@joins_transaction
def write(action: str, *, fail: bool = False) -> None:
    AdminAction.objects.create(action=action, payload={})
    if fail:
        raise Refused()


def test_inside_a_transaction_it_sets_no_savepoint_and_commits_with_the_caller():
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        write("step")
    sql = [query["sql"].upper() for query in queries.captured_queries]
    assert not [statement for statement in sql if "SAVEPOINT" in statement]
    assert AdminAction.objects.filter(action="step").exists()


def test_an_error_leaves_the_callers_transaction_usable():
    with transaction.atomic():
        with pytest.raises(Refused):
            write("refused", fail=False) or write("refused too", fail=True)
        write("after")  # no TransactionManagementError: the caller goes on
    assert set(AdminAction.objects.values_list("action", flat=True)) == {"refused", "refused too", "after"}


def test_an_error_rolls_back_the_callers_transaction_when_it_does_not_catch_it():
    with pytest.raises(Refused), transaction.atomic():
        write("first")
        write("second", fail=True)
    assert not AdminAction.objects.exists()


def test_on_its_own_it_runs_in_a_transaction_of_its_own():
    with pytest.raises(Refused):
        write("alone", fail=True)
    assert not AdminAction.objects.exists()
    write("kept")
    assert list(AdminAction.objects.values_list("action", flat=True)) == ["kept"]
