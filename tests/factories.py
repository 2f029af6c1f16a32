"""Users made by factory-boy, and the slots, packages and bookings most tests
need, made the way the site makes them (bookings through `booking.services`)."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.timezone import now

from accounts.models import Role, TeacherProfile, User
from billing import payments as billing_payments
from billing import services as billing_services
from billing.models import LessonPackage
from booking import services as booking_services
from booking.models import Booking
from scheduling.models import Slot

PASSWORD = "Str0ng-pass-for-tests"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Faker("name")
    role = Role.STUDENT
    timezone = "Europe/Moscow"
    language = "en"
    email_verified_at = factory.LazyFunction(now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def persist_password(obj, create, extracted, **kwargs):
        if create:
            obj.save(update_fields=["password"])


class StudentFactory(UserFactory):
    role = Role.STUDENT


class TeacherFactory(UserFactory):
    role = Role.TEACHER

    @factory.post_generation
    def profile(obj, create, extracted, **kwargs):
        if create:
            TeacherProfile.objects.create(
                user=obj,
                display_name=obj.full_name,
                is_published=kwargs.get("published", True),
                published_at=timezone.now() if kwargs.get("published", True) else None,
            )


class StaffFactory(UserFactory):
    role = Role.ADMIN
    is_staff = True
    is_superuser = True


# --- rows through the real code: slots, packages, bookings ----------------------------------

_spread = itertools.count()
SPREAD_SLOTS = 600  # default slots fall 3 to 53 days ahead, from the first again in each test


def staff_in(group: str) -> User:
    """A staff member (not a superuser) of one staff group: `support` or `finance`."""
    user = UserFactory(role=Role.ADMIN, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


def make_slot(teacher, *, starts_in: timedelta | None = None, minutes: int = 60) -> Slot:
    """A slot `starts_in` from now; by default a fresh hour three days ahead."""
    if starts_in is None:
        starts_in = timedelta(days=3, hours=2 * (next(_spread) % SPREAD_SLOTS))
    start = (timezone.now() + starts_in).replace(microsecond=0)
    return Slot.objects.create(teacher=teacher, start_at=start, end_at=start + timedelta(minutes=minutes))


def slot_at(teacher, start: datetime, minutes: int = 60) -> Slot:
    """A slot starting exactly at `start` (aware)."""
    return Slot.objects.create(teacher=teacher, start_at=start, end_at=start + timedelta(minutes=minutes))


def in_days(days: int, hour: int = 12) -> datetime:
    """A whole UTC hour `days` from today."""
    return (timezone.now().astimezone(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def make_package(student, *, lessons: int = 10, left: int | None = None, expires_in=timedelta(days=90)):
    return LessonPackage.objects.create(
        student=student,
        lessons_total=lessons,
        lessons_left=lessons if left is None else left,
        price=Decimal("10000.00"),
        currency="RUB",
        expires_at=timezone.now() + expires_in,
    )


def paid_package(student, *, lessons: int = 5, price: Decimal = Decimal("10000.00"), staff: User | None = None):
    """A package staff sold at the desk and marked paid, through billing's services (audit, receipt)."""
    staff = staff or StaffFactory()
    package = billing_services.package_create(
        student=student,
        lessons_total=lessons,
        price=price,
        currency="RUB",
        expires_at=timezone.now() + timedelta(days=90),
        actor=staff,
    )
    payment = billing_payments.payment_create(package=package, amount=price, currency="RUB", actor=staff)
    billing_payments.payment_set_status(payment=payment, status="succeeded", actor=staff)
    return package


def hold(student, slot: Slot, *, now: datetime | None = None) -> Booking:
    """Hold `slot` for `student` through `booking.services`."""
    return booking_services.booking_hold(student=student, slot_id=slot.pk, now=now)


def book(student, slot: Slot, *, now: datetime | None = None) -> Booking:
    """Hold and confirm `slot` for `student` (who needs a usable package): a real lesson."""
    return booking_services.booking_confirm(booking=hold(student, slot, now=now), actor=student, now=now)
