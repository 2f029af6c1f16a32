"""factory-boy factories of billing rows (straight to the database, no services)."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from billing.models import LessonPackage, Payment
from tests.factories import StudentFactory


class LessonPackageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LessonPackage

    student = factory.SubFactory(StudentFactory)
    lessons_total = 10
    lessons_left = factory.LazyAttribute(lambda package: package.lessons_total)
    price = Decimal("15000.00")
    currency = "RUB"
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=90))
    status = LessonPackage.Status.ACTIVE


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    package = factory.SubFactory(LessonPackageFactory)
    student = factory.LazyAttribute(lambda payment: payment.package.student)
    amount = Decimal("15000.00")
    currency = factory.LazyAttribute(lambda payment: payment.package.currency)
    status = Payment.Status.PENDING
    provider = "offline"
    provider_reference = factory.Sequence(lambda n: f"offline-test-{n}")
    paid_at = factory.LazyAttribute(
        lambda payment: (
            timezone.now() if payment.status in (Payment.Status.SUCCEEDED, Payment.Status.REFUNDED) else None
        )
    )
    refunded_amount = factory.LazyAttribute(
        lambda payment: payment.amount if payment.status == Payment.Status.REFUNDED else Decimal("0")
    )
    refunded_at = factory.LazyAttribute(
        lambda payment: timezone.now() if payment.status == Payment.Status.REFUNDED else None
    )
