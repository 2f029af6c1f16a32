"""The finance dashboard: revenue and refunds per month per currency (chart
and table), payments pending for more than a day, notifications that did not
match, and the CSV export of a period, safe to open in a spreadsheet."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AdminAction
from billing import selectors
from billing.models import Payment, PaymentEvent
from guitaronline.core.csv_export import safe_cell
from tests.clients import client_for
from tests.factories import StaffFactory, StudentFactory, make_package, staff_in
from tests.pages import text

pytestmark = pytest.mark.django_db

MOSCOW = ZoneInfo("Europe/Moscow")


def paid(student, amount, currency, at, *, status="succeeded", refunded=None, refunded_at=None, created=None):
    settled = status in ("succeeded", "refunded")
    payment = Payment.objects.create(
        student=student,
        package=make_package(student) if settled else None,
        amount=Decimal(amount),
        currency=currency,
        status=status,
        provider="offline",
        paid_at=at if settled else None,
        refunded_amount=Decimal(refunded or "0"),
        refunded_at=refunded_at,
    )
    Payment.objects.filter(pk=payment.pk).update(created_at=created or at)
    return payment


@pytest.fixture
def now():
    return datetime(2026, 12, 5, 12, 0, tzinfo=MOSCOW)


@pytest.fixture
def money(now):
    student = StudentFactory(full_name="Olga Payer")
    return [
        paid(student, "15000.00", "RUB", now - timedelta(days=3)),
        paid(
            student,
            "6400.00",
            "RUB",
            datetime(2026, 10, 10, tzinfo=MOSCOW),
            status="refunded",
            refunded="6400.00",
            refunded_at=datetime(2026, 11, 2, tzinfo=MOSCOW),
        ),
        paid(student, "120.00", "EUR", datetime(2026, 11, 30, 23, 30, tzinfo=MOSCOW)),  # late on the 30th, Moscow
        paid(student, "999.00", "RUB", now - timedelta(days=2), status="failed"),
        paid(student, "500.00", "RUB", now - timedelta(days=40), status="expired"),
    ]


@pytest.fixture
def recent_money():
    """Money in the two months before the current one, mid-month: the pages and
    the API count months from the real clock, whatever day and zone it is."""
    this_month = timezone.now().replace(day=1, hour=12, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=15)
    month_before = (last_month - timedelta(days=20)).replace(day=15)
    student = StudentFactory(full_name="Olga Payer")
    return [
        paid(student, "15000.00", "RUB", last_month),
        paid(student, "6400.00", "RUB", month_before, status="refunded", refunded="6400.00", refunded_at=last_month),
        paid(student, "120.00", "EUR", month_before),
    ]


def test_revenue_and_refunds_by_month_per_currency_with_empty_months(money, now, settings):
    settings.TIME_ZONE = "Europe/Moscow"
    paid(StudentFactory(), "50.00", "USD", now + timedelta(days=40))  # after the last month shown
    with timezone.override(MOSCOW):
        months = selectors.money_by_month(months=12, now=now)

    assert sorted(months) == ["EUR", "RUB"]
    rub = {row.month.isoformat()[:7]: (row.revenue, row.refunds) for row in months["RUB"]}
    assert len(rub) == 12 and next(iter(rub)) == "2026-01" and list(rub)[-1] == "2026-12"
    assert rub["2026-12"] == (Decimal("15000.00"), Decimal("0"))
    assert rub["2026-10"] == (Decimal("6400.00"), Decimal("0"))  # received in October
    assert rub["2026-11"] == (Decimal("0"), Decimal("6400.00"))  # given back in November
    assert rub["2026-06"] == (Decimal("0"), Decimal("0"))
    eur = {row.month.isoformat()[:7]: row.revenue for row in months["EUR"]}
    assert eur["2026-11"] == Decimal("120.00")  # 20:30 UTC, but 30 November in the school's zone


def test_finance_staff_see_the_dashboard_and_others_do_not(client, recent_money):
    url = reverse("admin:finance-dashboard")
    for allowed in (staff_in("finance"), StaffFactory()):
        client.force_login(allowed)
        page = client.get(url)
        assert page.status_code == 200
        assert url in client.get(reverse("admin:index")).content.decode()
    shown = text(page)
    assert "Revenue and refunds per month, RUB" in shown and "Revenue and refunds per month, EUR" in shown
    assert "15000.00" in shown and 'class="bar-chart__bar bar-chart__bar--1"' in page.content.decode()
    html = page.content.decode()
    assert html.count('class="bar-chart__bar bar-chart__bar--0"') == 24  # revenue: 12 months, 2 currencies
    assert html.count('class="bar-chart__bar bar-chart__bar--1"') == 24  # refunds beside them
    assert html.count('<tr><th scope="row">') >= 24  # the same figures as a table
    assert "<title>6400.00 RUB</title>" in html
    assert AdminAction.objects.filter(action="admin.finance.view").count() == 2

    client.force_login(staff_in("support"))
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("admin:index")).content.decode()
    client.force_login(StudentFactory())
    assert client.get(url).status_code == 302  # the admin's login page


def test_payments_pending_for_more_than_a_day_and_mismatches_are_listed(client):
    student = StudentFactory(full_name="Pat Pending")
    old = paid(student, "100.00", "RUB", timezone.now(), status="pending", created=timezone.now() - timedelta(days=2))
    fresh = paid(student, "200.00", "RUB", timezone.now(), status="pending")
    settled = paid(student, "300.00", "RUB", timezone.now() - timedelta(days=3))
    event = PaymentEvent.objects.create(
        provider="yookassa", event_id="evt-1", event_type="payment.succeeded", result="mismatch", detail="amount 1"
    )
    client.force_login(staff_in("finance"))
    page = client.get(reverse("admin:finance-dashboard")).content.decode()
    assert reverse("admin:billing_payment_change", args=[old.pk]) in page
    assert "Pat Pending" in page and "100.00 RUB" in page and old.provider_label in page
    assert "2\xa0days ago" in page or "2 days ago" in page
    assert reverse("admin:billing_payment_change", args=[fresh.pk]) not in page
    assert reverse("admin:billing_payment_change", args=[settled.pk]) not in page
    assert reverse("admin:billing_paymentevent_change", args=[event.pk]) in page


def test_the_export_streams_the_periods_payments_safe_for_spreadsheets(client):
    for name in ('=HYPERLINK("http://evil.example","x")', "+1", "-2", "@SUM(A1)", "Plain Name"):
        paid(StudentFactory(full_name=name), "10.00", "RUB", timezone.now() - timedelta(days=1))
    paid(StudentFactory(full_name="Too Early"), "10.00", "RUB", timezone.now() - timedelta(days=90))
    back = paid(
        StudentFactory(full_name="Ann Refund"),
        "10.00",
        "EUR",
        timezone.now() - timedelta(days=2),
        status="refunded",
        refunded="4.50",
        refunded_at=timezone.now() - timedelta(days=1),
    )
    Payment.objects.filter(pk=back.pk).update(provider_reference="-ref")
    client.force_login(staff_in("finance"))
    today = timezone.localdate()
    response = client.get(
        reverse("admin:finance-export"), {"start": (today - timedelta(days=7)).isoformat(), "end": today.isoformat()}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert f"payments-{today - timedelta(days=7):%Y-%m-%d}-{today:%Y-%m-%d}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["id", "created_at", "paid_at", "student_email"]
    names = sorted(row[4] for row in rows[1:])
    assert names == sorted(
        ['\'=HYPERLINK("http://evil.example","x")', "'+1", "'-2", "'@SUM(A1)", "Plain Name", "Ann Refund"]
    )
    assert {row[6] for row in rows[1:]} == {"10.00"}  # amounts stay numbers
    [refunded] = [row for row in rows[1:] if row[4] == "Ann Refund"]
    assert refunded[0] == str(back.pk) and refunded[7:12] == ["EUR", "refunded", "offline", "'-ref", "4.50"]
    assert datetime.fromisoformat(refunded[12]) == back.refunded_at.replace(microsecond=0)
    assert AdminAction.objects.get(action="admin.finance.export").payload["end"] == today.isoformat()


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("2026-12-05", "2026-11-01", "The end of the period cannot come before its start."),
        ("2024-01-01", "2026-01-01", "Export at most 366 days at a time."),
        ("yesterday", "2026-01-01", "Enter a valid date."),
    ],
)
def test_a_bad_period_is_a_form_error_not_a_500(client, start, end, says):
    client.force_login(staff_in("finance"))
    response = client.get(reverse("admin:finance-export"), {"start": start, "end": end})
    assert response.status_code == 200 and says in text(response)
    assert not AdminAction.objects.filter(action="admin.finance.export").exists()


def test_the_api_gives_the_same_figures_to_finance_only(recent_money):
    body = client_for(staff_in("finance")).get("/api/v1/admin/finance/overview").json()
    rub = body["months"]["RUB"]
    assert len(rub) == 12 and rub[-1] == {"month": rub[-1]["month"], "revenue": "0.00", "refunds": "0.00"}
    assert rub[-2]["revenue"] == "15000.00" and rub[-2]["refunds"] == "6400.00"
    assert rub[-3]["revenue"] == "6400.00" and body["months"]["EUR"][-3]["revenue"] == "120.00"
    assert AdminAction.objects.filter(action="admin.finance.view").count() == 1
    refused = client_for(staff_in("support")).get("/api/v1/admin/finance/overview")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("value", "cell"),
    [("=1+1", "'=1+1"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("a=b", "a=b"), (Decimal("-5.00"), Decimal("-5.00")),
     (None, ""), (3, 3)],
)  # fmt: skip
def test_only_text_that_a_spreadsheet_would_run_is_escaped(value, cell):
    assert safe_cell(value) == cell
