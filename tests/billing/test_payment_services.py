from datetime import timedelta
from decimal import Decimal
from itertools import product

import pytest

from billing import payments, providers
from billing.errors import InvalidTransition, PackageInactive, PaymentProviderError
from billing.models import LessonPackage, Payment
from guitaronline.core.errors import InvalidInput
from tests.billing.factories import LessonPackageFactory, PaymentFactory
from tests.billing.helpers import assert_one_change_record, change_records, db_state

pytestmark = pytest.mark.django_db

Status = Payment.Status
PackageStatus = LessonPackage.Status


class FakeProvider:
    """The edge of the world: a provider that records what it was asked."""

    name = "fake"
    charged: list[int] = []
    refunded: list[int] = []
    fail = False

    def create_charge(self, payment):
        if self.fail:
            raise PaymentProviderError()
        FakeProvider.charged.append(payment.pk)
        return f"fake-charge-{payment.pk}"

    def refund(self, payment, amount):
        if self.fail:
            raise PaymentProviderError()
        FakeProvider.refunded.append(payment.pk)


@pytest.fixture
def fake_provider(settings, monkeypatch):
    monkeypatch.setitem(providers.PROVIDERS, FakeProvider.name, f"{__name__}.FakeProvider")
    monkeypatch.setattr(FakeProvider, "charged", [])
    monkeypatch.setattr(FakeProvider, "refunded", [])
    monkeypatch.setattr(FakeProvider, "fail", False)
    settings.BILLING_PAYMENT_PROVIDER = FakeProvider.name
    return FakeProvider


# --- payment_create ---------------------------------------------------------


def test_payment_create_records_a_pending_offline_payment(staff, now):
    package = LessonPackageFactory(currency="EUR")

    payment = payments.payment_create(package=package, amount=Decimal("150.50"), currency="eur", actor=staff, now=now)

    payment.refresh_from_db()
    assert payment.package == package
    assert (payment.amount, payment.currency, payment.status) == (Decimal("150.50"), "EUR", Status.PENDING)
    assert payment.paid_at is None
    assert (payment.provider, payment.provider_reference) == ("offline", f"offline-{payment.pk}")
    assert_one_change_record(
        "billing.payment.created",
        payment,
        {
            "payment_id": payment.pk,
            "student_id": package.student_id,
            "product_id": None,
            "package_id": package.pk,
            "amount": "150.50",
            "currency": "EUR",
            "provider": "offline",
            "provider_reference": f"offline-{payment.pk}",
        },
        actor=staff,
    )


def test_payment_create_accepts_a_depleted_package(staff, now):
    package = LessonPackageFactory(status=PackageStatus.DEPLETED, lessons_left=0)

    payment = payments.payment_create(package=package, amount=Decimal("1"), currency="RUB", actor=staff, now=now)

    assert payment.status == Status.PENDING


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("amount", Decimal("0")),
        ("amount", Decimal("-10.00")),
        ("amount", Decimal("10.001")),
        ("amount", Decimal("Infinity")),
        ("amount", Decimal("99999999999")),
        ("amount", 10.5),
        ("amount", None),
        ("currency", "rubles"),
        ("currency", "EUR"),  # not the package's currency
        ("currency", 643),
    ],
)
def test_payment_create_refuses_bad_input_and_writes_nothing(staff, now, field, value):
    package = LessonPackageFactory(currency="RUB")
    values = {"amount": Decimal("100.00"), "currency": "RUB", field: value}
    before = db_state(package)

    with pytest.raises(InvalidInput) as excinfo:
        payments.payment_create(package=package, actor=staff, now=now, **values)

    assert excinfo.value.code == "validation_error"
    assert list(excinfo.value.details) == [field]
    assert db_state(package) == before


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"status": PackageStatus.EXPIRED}, "expired"),
        ({"status": PackageStatus.CANCELED}, "canceled"),
        ({"status": PackageStatus.ACTIVE, "expires_at_offset": timedelta(0)}, "expired"),  # expired on read
        ({"status": PackageStatus.ACTIVE, "expires_at_offset": -timedelta(days=3)}, "expired"),
    ],
)
def test_payment_create_refuses_an_expired_or_canceled_package(staff, now, fields, shown):
    fields = dict(fields)
    offset = fields.pop("expires_at_offset", timedelta(days=10))
    package = LessonPackageFactory(expires_at=now + offset, **fields)
    before = db_state(package)

    with pytest.raises(PackageInactive) as excinfo:
        payments.payment_create(package=package, amount=Decimal("100.00"), currency="RUB", actor=staff, now=now)

    assert (excinfo.value.code, excinfo.value.status_code) == ("package_inactive", 409)
    assert excinfo.value.details == {"package_id": package.pk, "status": shown}
    assert db_state(package) == before


def test_payment_create_goes_through_the_configured_provider(staff, now, fake_provider):
    package = LessonPackageFactory()

    payment = payments.payment_create(package=package, amount=Decimal("10.00"), currency="RUB", actor=staff, now=now)

    assert fake_provider.charged == [payment.pk]
    payment.refresh_from_db()
    assert (payment.provider, payment.provider_reference) == ("fake", f"fake-charge-{payment.pk}")


def test_payment_create_writes_nothing_when_the_provider_fails(staff, now, fake_provider):
    package = LessonPackageFactory()
    fake_provider.fail = True
    before = db_state(package)

    with pytest.raises(PaymentProviderError):
        payments.payment_create(package=package, amount=Decimal("10.00"), currency="RUB", actor=staff, now=now)

    assert db_state(package) == before


# --- payment_set_status -----------------------------------------------------

ALLOWED = {
    (Status.PENDING, Status.SUCCEEDED),
    (Status.PENDING, Status.FAILED),
    (Status.FAILED, Status.PENDING),
    (Status.FAILED, Status.SUCCEEDED),
    (Status.SUCCEEDED, Status.REFUNDED),
}
ALL_PAIRS = list(product(Status.values, Status.values))


def test_the_transition_table_covers_every_pair():
    assert len(ALL_PAIRS) == len(Status.values) ** 2 == 25


@pytest.mark.parametrize(("current", "target"), ALL_PAIRS)
def test_payment_status_transition_table(staff, now, current, target):
    payment = PaymentFactory(status=current)
    before = db_state(payment)

    if current == target:
        result = payments.payment_set_status(payment=payment, status=target, actor=staff, now=now)
        assert result.status == current
        assert db_state(payment) == before  # a no-op: no write, no audit, no outbox
    elif (current, target) in ALLOWED:
        result = payments.payment_set_status(payment=payment, status=target, actor=staff, now=now)
        assert result.status == payment.status == target
        payment.refresh_from_db()
        assert payment.status == target
        refund = {"refunded_amount": str(payment.amount)} if target == Status.REFUNDED else {}
        assert_one_change_record(
            "billing.payment.status_changed",
            payment,
            {
                "from": current,
                "to": target,
                "payment_id": payment.pk,
                "student_id": payment.package.student_id,
                "product_id": None,
                "package_id": payment.package_id,
                "amount": str(payment.amount),
                "currency": payment.currency,
                "provider": payment.provider,
                "provider_reference": payment.provider_reference,
                **refund,
            },
            actor=staff,
        )
    else:
        with pytest.raises(InvalidTransition) as excinfo:
            payments.payment_set_status(payment=payment, status=target, actor=staff, now=now)
        assert (excinfo.value.code, excinfo.value.status_code) == ("invalid_transition", 409)
        assert excinfo.value.details == {"from": current, "to": target}
        assert db_state(payment) == before


@pytest.mark.parametrize("status", ["paid", "", None, "SUCCEEDED"])
def test_payment_set_status_refuses_an_unknown_status(staff, now, status):
    payment = PaymentFactory()
    before = db_state(payment)

    with pytest.raises(InvalidInput) as excinfo:
        payments.payment_set_status(payment=payment, status=status, actor=staff, now=now)

    assert list(excinfo.value.details) == ["status"]
    assert db_state(payment) == before


def test_paid_at_is_set_on_the_first_success_and_kept_on_refund(staff, now):
    payment = PaymentFactory()

    payments.payment_set_status(payment=payment, status=Status.SUCCEEDED, actor=staff, now=now)
    payment.refresh_from_db()
    assert payment.paid_at == now

    payments.payment_set_status(payment=payment, status=Status.REFUNDED, actor=staff, now=now + timedelta(days=3))
    payment.refresh_from_db()
    assert (payment.status, payment.paid_at) == (Status.REFUNDED, now)


def test_paid_at_is_set_when_a_failed_payment_succeeds_later(staff, now):
    payment = PaymentFactory()
    payments.payment_set_status(payment=payment, status=Status.FAILED, actor=staff, now=now)
    payments.payment_set_status(payment=payment, status=Status.PENDING, actor=staff, now=now + timedelta(hours=1))
    assert payment.paid_at is None

    payments.payment_set_status(payment=payment, status=Status.SUCCEEDED, actor=staff, now=now + timedelta(hours=2))

    payment.refresh_from_db()
    assert (payment.status, payment.paid_at) == (Status.SUCCEEDED, now + timedelta(hours=2))
    audits, events = change_records("billing.payment.status_changed", payment)
    assert sorted((event.payload["from"], event.payload["to"]) for event in events) == sorted(
        [("pending", "failed"), ("failed", "pending"), ("pending", "succeeded")]
    )
    assert len(audits) == 3


def test_payment_refund_refunds_through_the_provider_that_took_the_payment(staff, now, fake_provider):
    offline = PaymentFactory(status=Status.SUCCEEDED, provider="offline")
    faked = PaymentFactory(status=Status.SUCCEEDED, provider="fake")

    payments.payment_refund(payment=offline, actor=staff)
    payments.payment_refund(payment=faked, actor=staff)

    assert fake_provider.refunded == [faked.pk]
    assert Payment.objects.filter(status=Status.REFUNDED).count() == 2


def test_payment_refund_writes_nothing_when_the_provider_fails(staff, fake_provider):
    payment = PaymentFactory(status=Status.SUCCEEDED, provider="fake")
    fake_provider.fail = True
    before = db_state(payment)

    with pytest.raises(PaymentProviderError):
        payments.payment_refund(payment=payment, actor=staff)

    assert db_state(payment) == before


def test_payment_refund_of_a_pending_payment_is_refused(staff):
    payment = PaymentFactory()
    before = db_state(payment)

    with pytest.raises(InvalidTransition):
        payments.payment_refund(payment=payment, actor=staff)

    assert db_state(payment) == before


def test_payment_set_status_reads_the_locked_row_not_the_callers_copy(staff, now):
    payment = PaymentFactory()
    stale = Payment.objects.get(pk=payment.pk)
    payments.payment_set_status(payment=payment, status=Status.SUCCEEDED, actor=staff, now=now)

    # `stale` still says pending; pending -> failed would be allowed, succeeded -> failed is not.
    with pytest.raises(InvalidTransition) as excinfo:
        payments.payment_set_status(payment=stale, status=Status.FAILED, actor=staff, now=now)

    assert excinfo.value.details == {"from": "succeeded", "to": "failed"}
