"""Demo accounts of SPEC §8."""

from __future__ import annotations

from accounts import services
from accounts.models import Role, TeacherProfile, User

DEMO_PASSWORD = "demo-pass-2026"
ADMIN_EMAIL = "admin@demo.guitaronline.local"
TEACHER_EMAIL = "teacher@demo.guitaronline.local"
STUDENT_EMAIL = "student@demo.guitaronline.local"


def _user(*, email: str, full_name: str, role: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        if role == Role.ADMIN:
            user = User.objects.create_superuser(email, DEMO_PASSWORD, full_name=full_name)
        else:
            user = services.user_register(email=email, password=DEMO_PASSWORD, full_name=full_name, role=role)
    return user


def seed_demo_users() -> tuple[User, User, User]:
    """The demo admin, a published demo teacher and a demo student."""
    admin = _user(email=ADMIN_EMAIL, full_name="Demo Admin", role=Role.ADMIN)
    teacher = _user(email=TEACHER_EMAIL, full_name="Анна Струнова", role=Role.TEACHER)
    student = _user(email=STUDENT_EMAIL, full_name="Demo Student", role=Role.STUDENT)
    profile = TeacherProfile.objects.get(user=teacher)
    if not profile.bio:
        services.teacher_profile_update(
            profile=profile,
            display_name="Анна Струнова",
            bio="Classical and fingerstyle guitar, 12 years of teaching. Классическая гитара и фингерстайл.",
            styles="classical, fingerstyle, blues",
            levels=["beginner", "intermediate"],
            lesson_minutes=60,
        )
    services.teacher_profile_set_published(profile=profile, published=True, actor=admin)
    return admin, teacher, student
