"""factory-boy factories shared by the suite."""

import factory
from django.utils import timezone

from accounts.models import Role, TeacherProfile, User

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
