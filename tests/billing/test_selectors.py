from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured

from billing import providers, selectors
from billing.models import LessonPackage
from guitaronline.core.errors import NotFound
from tests.billing.factories import LessonPackageFactory, PaymentFactory
from tests.factories import StudentFactory, TeacherFactory

pytestmark = pytest.mark.django_db

Status = LessonPackage.Status


def test_package_usable_is_the_live_package_expiring_first(student, now):
    LessonPackageFactory(student=student, expires_at=now - timedelta(seconds=1))  # active, but past expiry
    LessonPackageFactory(student=student, status=Status.DEPLETED, lessons_left=0)
    later = LessonPackageFactory(student=student, expires_at=now + timedelta(days=20))
    sooner = LessonPackageFactory(student=student, expires_at=now + timedelta(days=2))

    assert selectors.package_usable(student=student, now=now) == sooner
    assert selectors.package_usable(student=student, now=now + timedelta(days=3)) == later
    assert selectors.package_usable(student=student, now=now + timedelta(days=21)) is None


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("past_expiry", [False, True])
def test_effective_status_annotation_and_instance_agree(student, now, status, past_expiry):
    expires_at = now - timedelta(minutes=1) if past_expiry else now + timedelta(minutes=1)
    package = LessonPackageFactory(
        student=student, status=status, expires_at=expires_at, lessons_left=0 if status == Status.DEPLETED else 5
    )
    expected = Status.EXPIRED if status == Status.ACTIVE and past_expiry else status

    (annotated,) = selectors.package_list_for_student(student=student, now=now)

    assert annotated.effective_status == expected
    assert selectors.package_effective_status(package=package, now=now) == expected
    assert annotated.status == status  # the stored status is untouched by reading


def test_packages_overdue_lists_active_packages_past_expiry(now):
    overdue = LessonPackageFactory(expires_at=now - timedelta(hours=1))
    LessonPackageFactory(expires_at=now + timedelta(hours=1))
    LessonPackageFactory(expires_at=now - timedelta(hours=1), status=Status.EXPIRED)

    assert list(selectors.packages_overdue(now=now)) == [overdue]


# --- access helpers ---------------------------------------------------------


@pytest.fixture
def owner():
    return StudentFactory()


@pytest.fixture
def other_student():
    return StudentFactory()


def test_student_for_user(owner, other_student, staff, teacher):
    assert selectors.student_for_user(user=owner, student_id=owner.pk) == owner
    assert selectors.student_for_user(user=owner, student_id=str(owner.pk)) == owner
    assert selectors.student_for_user(user=staff, student_id=owner.pk) == owner
    for user, student_id in [
        (other_student, owner.pk),
        (teacher, owner.pk),
        (AnonymousUser(), owner.pk),
        (staff, teacher.pk),  # not a student
        (staff, 10**9),
        (staff, "abc"),
        (owner, None),
    ]:
        with pytest.raises(NotFound):
            selectors.student_for_user(user=user, student_id=student_id)


def test_package_for_user(owner, other_student, staff, teacher):
    package = LessonPackageFactory(student=owner)

    assert selectors.package_for_user(user=owner, package_id=package.pk) == package
    assert selectors.package_for_user(user=staff, package_id=str(package.pk)) == package
    for user, package_id in [
        (other_student, package.pk),
        (teacher, package.pk),
        (AnonymousUser(), package.pk),
        (staff, 10**9),
        (owner, "x"),
    ]:
        with pytest.raises(NotFound):
            selectors.package_for_user(user=user, package_id=package_id)


def test_payment_for_user_and_payment_lists(owner, other_student, staff, teacher):
    mine = PaymentFactory(package=LessonPackageFactory(student=owner))
    theirs = PaymentFactory(package=LessonPackageFactory(student=other_student))

    assert selectors.payment_for_user(user=owner, payment_id=mine.pk) == mine
    assert selectors.payment_for_user(user=staff, payment_id=theirs.pk) == theirs
    for user, payment_id in [
        (owner, theirs.pk),
        (teacher, mine.pk),
        (AnonymousUser(), mine.pk),
        (staff, 10**9),
        (staff, "1.5"),
    ]:
        with pytest.raises(NotFound):
            selectors.payment_for_user(user=user, payment_id=payment_id)

    assert list(selectors.payments_list_for_user(user=owner)) == [mine]
    assert set(selectors.payments_list_for_user(user=staff)) == {mine, theirs}
    assert list(selectors.payments_list_for_user(user=TeacherFactory())) == []
    assert list(selectors.payments_list_for_user(user=AnonymousUser())) == []


# --- provider seam ----------------------------------------------------------


def test_get_provider_defaults_to_offline(settings):
    if hasattr(settings, "BILLING_PAYMENT_PROVIDER"):
        del settings.BILLING_PAYMENT_PROVIDER
    provider = providers.get_provider()

    assert isinstance(provider, providers.OfflineProvider)
    assert provider.name == "offline"


def test_get_provider_refuses_an_unknown_provider(settings):
    settings.BILLING_PAYMENT_PROVIDER = "stripe-someday"

    with pytest.raises(ImproperlyConfigured, match="stripe-someday"):
        providers.get_provider()


def test_offline_provider_references_the_payment():
    payment = PaymentFactory()
    provider = providers.OfflineProvider()

    assert provider.create_charge(payment) == f"offline-{payment.pk}"
    assert provider.refund(payment, payment.amount) is None
