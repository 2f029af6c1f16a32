"""Demo accounts of SPEC §8."""

from __future__ import annotations

from accounts import services
from accounts.models import Role, TeacherProfile, User

DEMO_PASSWORD = "demo-pass-2026"
ADMIN_EMAIL = "admin@demo.guitaronline.local"
TEACHER_EMAIL = "teacher@demo.guitaronline.local"
STUDENT_EMAIL = "student@demo.guitaronline.local"


def _user(
    *, email: str, full_name: str, role: str, timezone_name: str | None = None, language: str | None = None
) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        if role == Role.ADMIN:
            user = User.objects.create_superuser(email, DEMO_PASSWORD, full_name=full_name)
        else:
            user = services.user_register(
                email=email,
                password=DEMO_PASSWORD,
                full_name=full_name,
                role=role,
                timezone_name=timezone_name,
                language=language,
            )
            user.email_verified_at = user.date_joined  # demo addresses are nobody's inbox: shown as confirmed
            user.save(update_fields=["email_verified_at"])
    return user


# More teachers, in different zones (Berlin and New York change their clocks), styles and levels:
# (e-mail, name, zone, language, bio, styles, levels)
MORE_TEACHERS = (
    ("daniel@demo.guitaronline.local", "Daniel Keller", "Europe/Berlin", "en",
     "Rock and blues electric guitar, from first riffs to improvising.", "rock, blues", ["beginner", "intermediate"]),
    ("maria@demo.guitaronline.local", "María López", "America/New_York", "en",
     "Flamenco and classical technique; sight-reading for every level.", "flamenco, classical",
     ["beginner", "intermediate", "advanced"]),
    ("kenji@demo.guitaronline.local", "Kenji Sato", "Asia/Tokyo", "en",
     "Jazz harmony and fingerstyle arranging for players who know their chords.", "jazz, fingerstyle",
     ["intermediate", "advanced"]),
)  # fmt: skip
MORE_STUDENTS = (
    ("Ivan Petrov", "Europe/Moscow", "ru"), ("Maria Ivanova", "Europe/Moscow", "ru"),
    ("Oleg Smirnov", "Asia/Yekaterinburg", "ru"), ("Eva Müller", "Europe/Berlin", "en"),
    ("Tom Baker", "Europe/London", "en"), ("Sofia Rossi", "Europe/Rome", "en"),
    ("Liam Walsh", "America/New_York", "en"), ("Yuki Tanaka", "Asia/Tokyo", "en"),
    ("Anya Kuznetsova", "Europe/Moscow", "ru"),
)  # fmt: skip


def seed_demo_teachers(*, admin) -> list[User]:
    """Three more published teachers."""
    teachers = []
    for email, name, zone, language, bio, styles, levels in MORE_TEACHERS:
        teacher = _user(email=email, full_name=name, role=Role.TEACHER, timezone_name=zone, language=language)
        profile = TeacherProfile.objects.get(user=teacher)
        if not profile.bio:
            services.teacher_profile_update(
                profile=profile, display_name=name, bio=bio, styles=styles, levels=levels, lesson_minutes=60
            )
        services.teacher_profile_set_published(profile=profile, published=True, actor=admin)
        teachers.append(teacher)
    return teachers


def seed_demo_students() -> list[User]:
    """Nine more students, student2@ to student10@demo.guitaronline.local."""
    return [
        _user(
            email=f"student{number}@demo.guitaronline.local",
            full_name=name,
            role=Role.STUDENT,
            timezone_name=zone,
            language=language,
        )
        for number, (name, zone, language) in enumerate(MORE_STUDENTS, start=2)
    ]


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
