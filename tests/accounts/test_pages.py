"""Account pages as a person sees them: access, content, forms, language,
rate limiting, e-mail and the templates' security rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.models import Role, TeacherProfile, User
from guitaronline.core import views as core_views
from notifications.models import Notification
from notifications.services import outbox_dispatch
from tests.areas import assert_other_area
from tests.factories import PASSWORD, StaffFactory, StudentFactory, TeacherFactory
from tests.smtp import smtp_server_fixture  # noqa: F401  (provides the `smtp_server` fixture)

pytestmark = pytest.mark.django_db

TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"
NEW_PASSWORD = "An0ther-str0ng-passphrase"

LOGIN_REQUIRED = [
    "accounts:home",
    "accounts:student-home",
    "accounts:teacher-home",
    "accounts:teacher-profile",
    "accounts:profile",
    "accounts:password-change",
]


# --- helpers ---------------------------------------------------------------


def english(client: Client) -> Client:
    """Ask for English pages (a signed-out visitor's language cookie)."""
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def en_client() -> Client:
    return english(Client())


def signed_in(user: User, language: str | None = None) -> Client:
    if language is not None and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.refresh_from_db()
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def register_data(**overrides) -> dict:
    data = {
        "full_name": "Anna Petrova",
        "email": "anna@example.org",
        "role": Role.STUDENT,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
        "timezone": "Asia/Yekaterinburg",
        "language": "en",
    }
    data.update(overrides)
    return data


def field_errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


def is_signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- who may see what --------------------------------------------------------


@pytest.mark.parametrize("name", LOGIN_REQUIRED)
def test_signed_out_visitor_is_sent_to_login(client, name):
    url = reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next={url}"


@pytest.mark.parametrize(
    "name",
    [
        "landing",
        "accounts:login",
        "accounts:register",
        "accounts:password-reset",
        "accounts:password-reset-done",
        "accounts:password-reset-complete",
    ],
)
def test_public_pages_open_to_everyone(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.parametrize(
    ("factory", "target"),
    [
        (StudentFactory, "booking:dashboard"),
        (TeacherFactory, "booking:teacher-dashboard"),
        (StaffFactory, "admin:index"),
    ],
)
def test_home_sends_each_role_to_its_area(factory, target):
    response = signed_in(factory()).get(reverse("accounts:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(target)


def test_a_teacher_on_the_student_home_is_told_whose_area_it_is(teacher):
    response = english(signed_in(teacher)).get(reverse("accounts:student-home"), follow=True)
    assert response.redirect_chain == []  # refused at once, not sent on to the student dashboard
    assert_other_area(response, "students")
    assert "This area is for students" in page(response)
    assert f'href="{reverse("accounts:home")}"' in page(response)


def test_staff_on_the_student_home_are_told_whose_area_it_is(staff):
    assert_other_area(signed_in(staff).get(reverse("accounts:student-home"), follow=True), "students")


@pytest.mark.parametrize("name", ["accounts:teacher-home", "accounts:teacher-profile"])
def test_a_student_on_teacher_pages_is_told_whose_area_it_is(student, name):
    client = english(signed_in(student))
    response = client.get(reverse(name))
    assert_other_area(response, "teachers")
    assert "This area is for teachers" in page(response)
    response = client.post(reverse(name), {"display_name": "Intruder", "lesson_minutes": 60})
    assert_other_area(response, "teachers")
    assert not TeacherProfile.objects.filter(user=student).exists()


@pytest.mark.parametrize("name", ["accounts:login", "accounts:register"])
def test_signed_in_user_is_sent_home_from_login_and_register(student, name):
    response = signed_in(student).get(reverse(name))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")


def test_unknown_page_shows_the_friendly_404(en_client):
    response = en_client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in page(response)
    assert reverse("landing") in page(response)


# --- landing and site frame --------------------------------------------------


AREA_LINKS = {
    "student": reverse("booking:dashboard"),
    "teacher": reverse("booking:teacher-dashboard"),
    "staff": reverse("admin:index"),
}


def test_the_landing_page_offers_a_visitor_sign_up_not_the_areas(en_client):
    response = en_client.get(reverse("landing"))
    html = page(response)
    assert response.status_code == 200
    assert "Guitar lessons online" in html
    assert f'href="{reverse("accounts:register")}"' in html
    assert f'href="{reverse("accounts:register")}?role=teacher"' in html
    assert f'href="{reverse("api-docs")}"' in html
    for link in AREA_LINKS.values():
        assert f'href="{link}"' not in html


@pytest.mark.parametrize("role", ["student", "teacher", "staff"])
def test_the_landing_page_shows_each_area_only_to_those_who_may_use_it(role, student, teacher, staff):
    user = {"student": student, "teacher": teacher, "staff": staff}[role]
    html = page(english(signed_in(user)).get(reverse("landing")))
    for area, link in AREA_LINKS.items():
        assert (f'href="{link}"' in html) is (area == role), area
        if f'href="{link}"' in html:  # and the link answers
            assert signed_in(user).get(link).status_code == 200


def test_teach_with_us_opens_the_sign_up_form_as_a_teacher(en_client):
    assert en_client.get(reverse("accounts:register") + "?role=teacher").context["form"]["role"].value() == "teacher"
    assert en_client.get(reverse("accounts:register")).context["form"]["role"].value() == "student"


def test_landing_for_a_signed_in_user_offers_their_area(student):
    html = page(english(signed_in(student)).get(reverse("landing")))
    assert f'href="{reverse("accounts:home")}"' in html
    assert "Go to my area" in html
    assert "Log out" in html


def test_pages_carry_a_content_security_policy(client):
    response = client.get(reverse("landing"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy


def test_footer_shows_the_viewers_time_zone(student):
    User.objects.filter(pk=student.pk).update(timezone="America/New_York")
    html = page(english(signed_in(student)).get(reverse("landing")))
    assert "Times are shown in America/New_York." in html


def test_footer_shows_the_default_time_zone_to_visitors(en_client):
    html = page(en_client.get(reverse("landing")))
    assert f"Times are shown in {django_settings.DEFAULT_USER_TIMEZONE}." in html


def test_pages_link_the_stylesheet(client):
    response = client.get(reverse("landing"))
    assert 'href="/static/css/site.css"' in page(response)
    css = (Path(django_settings.BASE_DIR) / "static" / "css" / "site.css").read_text()
    for selector in [".visually-hidden", "form.inline", "button.link", ":focus-visible", ".errorlist"]:
        assert selector in css


# --- register ----------------------------------------------------------------


def test_register_page_shows_the_form(en_client):
    html = page(en_client.get(reverse("accounts:register")))
    for name in ["full_name", "email", "role", "password1", "password2", "timezone", "language"]:
        assert f'name="{name}"' in html
    assert 'for="id_email"' in html
    assert "csrfmiddlewaretoken" in html
    assert f'href="{reverse("accounts:login")}"' in html


def test_register_student_creates_one_user_with_the_choices_and_signs_in(en_client):
    response = en_client.post(reverse("accounts:register"), register_data(email="Anna@Example.org"), follow=True)
    assert response.redirect_chain[0] == (reverse("accounts:home"), 302)
    assert response.redirect_chain[-1][0] == reverse("booking:dashboard")
    user = User.objects.get()
    assert user.email == "anna@example.org"
    assert user.full_name == "Anna Petrova"
    assert user.role == Role.STUDENT
    assert user.timezone == "Asia/Yekaterinburg"
    assert user.language == "en"
    assert user.check_password(NEW_PASSWORD)
    assert not TeacherProfile.objects.exists()
    assert int(en_client.session[SESSION_KEY]) == user.pk
    assert "Welcome to GuitarOnline!" in messages_of(response)


def test_register_teacher_creates_an_unpublished_profile(en_client):
    response = en_client.post(
        reverse("accounts:register"), register_data(role=Role.TEACHER, language="ru"), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("booking:teacher-dashboard")
    user = User.objects.get()
    assert user.role == Role.TEACHER
    assert user.language == "ru"
    profile = TeacherProfile.objects.get()
    assert profile.user == user
    assert profile.display_name == "Anna Petrova"
    assert profile.is_published is False
    assert profile.published_at is None
    assert "Ждём, когда школа вас опубликует." in page(response)


def test_register_with_a_taken_email_shows_a_field_error_and_creates_nothing(en_client):
    existing = StudentFactory(email="anna@example.org")
    response = en_client.post(reverse("accounts:register"), register_data(email="ANNA@example.org"))
    html = page(response)
    assert response.status_code == 200
    assert field_errors(response, "email") == ["A user with this e-mail already exists."]
    assert 'id="id_email_error"' in html
    assert 'aria-describedby="id_email_error"' in html
    assert 'aria-invalid="true"' in html
    assert list(User.objects.all()) == [existing]
    assert not is_signed_in(en_client)


def test_register_with_mismatched_passwords_shows_an_error_and_creates_nothing(en_client):
    response = en_client.post(reverse("accounts:register"), register_data(password2="Something-else-entirely"))
    assert response.status_code == 200
    assert field_errors(response, "password2") == ["The two passwords do not match."]
    assert "The two passwords do not match." in page(response)
    assert not User.objects.exists()


def test_register_with_a_weak_password_shows_the_rule_on_the_password_field(en_client):
    response = en_client.post(reverse("accounts:register"), register_data(password1="12345678", password2="12345678"))
    assert response.status_code == 200
    errors = field_errors(response, "password1")
    assert "This password is too common." in errors
    assert "This password is entirely numeric." in errors
    assert 'id="id_password1_error"' in page(response)
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Mars/Olympus_Mons"), ("role", Role.ADMIN), ("language", "de"), ("email", "not-an-email")],
)
def test_register_refuses_bad_values(en_client, field, value):
    response = en_client.post(reverse("accounts:register"), register_data(**{field: value}))
    assert response.status_code == 200
    assert field_errors(response, field)
    assert not User.objects.exists()


def test_register_page_renders_errors_in_russian(client):
    StudentFactory(email="anna@example.org")
    response = client.post(reverse("accounts:register"), register_data())
    assert field_errors(response, "email") == ["Пользователь с таким адресом электронной почты уже существует."]
    assert "Исправьте ошибки ниже." in page(response)


# --- login and logout ----------------------------------------------------------


def test_login_page_links_to_register_and_password_reset(en_client):
    html = page(en_client.get(reverse("accounts:login")))
    assert f'href="{reverse("accounts:register")}"' in html
    assert f'href="{reverse("accounts:password-reset")}"' in html
    assert 'name="username"' in html
    assert 'type="email"' in html


def test_login_with_the_right_password_signs_in(en_client, student):
    response = en_client.post(reverse("accounts:login"), {"username": student.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    assert int(en_client.session[SESSION_KEY]) == student.pk


def test_login_follows_a_safe_next(en_client, student):
    profile_url = reverse("accounts:profile")
    response = en_client.post(
        f"{reverse('accounts:login')}?next={profile_url}",
        {"username": student.email, "password": PASSWORD, "next": profile_url},
    )
    assert response["Location"] == profile_url


def test_login_ignores_an_offsite_next(en_client, student):
    response = en_client.post(
        reverse("accounts:login"),
        {"username": student.email, "password": PASSWORD, "next": "https://evil.example.com/"},
    )
    assert response["Location"] == reverse("accounts:home")


def test_login_with_a_wrong_password_shows_an_error(en_client, student):
    response = en_client.post(reverse("accounts:login"), {"username": student.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "Please enter a correct" in page(response)
    assert not is_signed_in(en_client)


def test_login_of_an_unknown_email_shows_the_same_error(en_client):
    response = en_client.post(reverse("accounts:login"), {"username": "nobody@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert "Please enter a correct" in page(response)
    assert not is_signed_in(en_client)


def test_logout_needs_post(student):
    client = signed_in(student)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert is_signed_in(client)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("landing")
    assert not is_signed_in(client)


def test_logout_button_is_a_post_form(student):
    html = page(signed_in(student).get(reverse("landing")))
    assert re.search(
        r'<form method="post" action="' + re.escape(reverse("accounts:logout")) + r'" class="inline">'
        r'<input type="hidden" name="csrfmiddlewaretoken"',
        html,
    )


# --- rate limiting -----------------------------------------------------------------


def test_login_is_rate_limited_per_address(settings, en_client, student):
    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = 3
    wrong = {"username": student.email, "password": "wrong-password"}
    for _ in range(3):
        assert en_client.post(reverse("accounts:login"), wrong).status_code == 200
    response = en_client.post(reverse("accounts:login"), {"username": student.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.AUTH_RATE_LIMIT_WINDOW_SECONDS)
    html = page(response)
    assert "Too many attempts" in html
    assert "try again in a minute" in html
    assert not is_signed_in(en_client)
    # another address still has its own budget; reading the page is never limited
    other = english(Client(REMOTE_ADDR="10.0.0.9"))
    assert other.post(reverse("accounts:login"), {"username": student.email, "password": PASSWORD}).status_code == 302
    assert en_client.get(reverse("accounts:login")).status_code == 200


def test_register_is_rate_limited(settings, en_client):
    settings.AUTH_RATE_LIMIT_REGISTER_REQUESTS = 2
    for index in range(2):
        en_client.post(reverse("accounts:register"), register_data(email=f"user{index}@example.org"))
        en_client.post(reverse("accounts:logout"))
    response = en_client.post(reverse("accounts:register"), register_data(email="third@example.org"))
    assert response.status_code == 429
    assert not User.objects.filter(email="third@example.org").exists()
    assert User.objects.count() == 2


# --- profile -------------------------------------------------------------------------


def test_profile_page_shows_current_values_and_links_to_password_change(student):
    response = english(signed_in(student)).get(reverse("accounts:profile"))
    html = page(response)
    assert response.status_code == 200
    assert student.email in html
    assert f'value="{student.full_name}"' in html
    assert '<option value="Europe/Moscow" selected>' in html
    assert f'href="{reverse("accounts:password-change")}"' in html


def test_profile_update_saves(student):
    client = english(signed_in(student))
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Ivan Sidorov", "timezone": "Asia/Tokyo", "language": "en"},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("accounts:profile"), 302)]
    student.refresh_from_db()
    assert (student.full_name, student.timezone, student.language) == ("Ivan Sidorov", "Asia/Tokyo", "en")
    assert "Your profile has been saved." in messages_of(response)
    assert "Times are shown in Asia/Tokyo." in page(response)


def test_profile_language_change_switches_the_pages_to_it(student):
    client = signed_in(student, language="en")
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": student.full_name, "timezone": student.timezone, "language": "ru"},
        follow=True,
    )
    student.refresh_from_db()
    assert student.language == "ru"
    html = page(response)
    assert '<html lang="ru">' in html
    assert "Ваш профиль" in html


@pytest.mark.parametrize(
    ("field", "value"),
    [("timezone", "Europe/Atlantis"), ("timezone", ""), ("language", "fr"), ("full_name", "")],
)
def test_profile_update_refuses_bad_values(student, field, value):
    before = User.objects.values("full_name", "timezone", "language").get(pk=student.pk)
    data = {"full_name": "Ivan Sidorov", "timezone": "Asia/Tokyo", "language": "en", field: value}
    response = english(signed_in(student)).post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    assert field_errors(response, field)
    assert f'id="id_{field}_error"' in page(response)
    assert User.objects.values("full_name", "timezone", "language").get(pk=student.pk) == before


# --- student and teacher areas -----------------------------------------------------------


def test_student_home_greets_and_shows_zone_and_language(student):
    User.objects.filter(pk=student.pk).update(full_name="Maria Ivanova", timezone="Europe/Berlin")
    html = page(english(signed_in(student)).get(reverse("accounts:student-home"), follow=True))
    assert "Hello, Maria!" in html
    assert "Europe/Berlin" in html
    assert "English" in html
    assert f'href="{reverse("accounts:profile")}"' in html
    assert f'href="{reverse("booking:teacher-list")}"' in html


def test_student_home_in_russian(student):
    User.objects.filter(pk=student.pk).update(full_name="Мария Иванова")
    html = page(signed_in(student, language="ru").get(reverse("accounts:student-home"), follow=True))
    assert "Здравствуйте, Мария!" in html
    assert "Кабинет ученика" in html
    assert "Русский" in html


def test_teacher_home_of_a_published_teacher(teacher):
    TeacherProfile.objects.filter(pk=teacher.pk).update(
        display_name="Sergei Strings", styles="blues, rock", levels=["beginner", "advanced"], lesson_minutes=45
    )
    html = page(english(signed_in(teacher)).get(reverse("accounts:teacher-home"), follow=True))
    assert "Hello, Sergei Strings!" in html
    assert "Your profile is published" in html
    assert "Waiting for the school to publish you" not in html
    assert "blues, rock" in html
    assert "beginner, advanced" in html
    assert "45 minutes" in html
    assert f'href="{reverse("accounts:teacher-profile")}"' in html


def test_teacher_home_of_an_unpublished_teacher_says_it_waits():
    teacher = TeacherFactory(profile__published=False)
    html = page(english(signed_in(teacher)).get(reverse("accounts:teacher-home"), follow=True))
    assert "Waiting for the school to publish you" in html
    assert "Your profile is published" not in html


def test_teacher_home_in_russian_with_plural_minutes(teacher):
    TeacherProfile.objects.filter(pk=teacher.pk).update(lesson_minutes=61, levels=["intermediate"])
    html = page(signed_in(teacher, language="ru").get(reverse("accounts:teacher-home"), follow=True))
    assert "61 минута" in html
    assert "средний" in html
    TeacherProfile.objects.filter(pk=teacher.pk).update(lesson_minutes=45)
    html = page(signed_in(teacher, language="ru").get(reverse("accounts:teacher-home"), follow=True))
    assert "45 минут" in html


def test_teacher_profile_form_shows_current_values(teacher):
    html = page(english(signed_in(teacher)).get(reverse("accounts:teacher-profile")))
    profile = teacher.teacher_profile
    assert f'value="{profile.display_name}"' in html
    assert 'value="60"' in html
    # help text is announced with the field
    assert 'id="id_styles_helptext"' in html
    assert 'aria-describedby="id_styles_helptext"' in html
    # the checkbox group is a fieldset with a legend
    assert "<legend>Levels taught:</legend>" in html


def test_teacher_profile_edit_saves(teacher):
    client = english(signed_in(teacher))
    response = client.post(
        reverse("accounts:teacher-profile"),
        {
            "display_name": "  Sergei Strings ",
            "bio": "Twenty years on stage.",
            "styles": "jazz, fingerstyle",
            "levels": ["intermediate", "advanced"],
            "lesson_minutes": "90",
        },
        follow=True,
    )
    assert response.redirect_chain == [
        (reverse("accounts:teacher-home"), 302),
        (reverse("booking:teacher-dashboard"), 302),
    ]
    profile = TeacherProfile.objects.get(pk=teacher.pk)
    assert profile.display_name == "Sergei Strings"
    assert profile.bio == "Twenty years on stage."
    assert profile.styles == "jazz, fingerstyle"
    assert profile.levels == ["intermediate", "advanced"]
    assert profile.lesson_minutes == 90
    assert profile.is_published is True  # editing never changes publication
    assert "Your teacher profile has been saved." in messages_of(response)
    assert "Twenty years on stage." in page(response)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("lesson_minutes", "5"),
        ("lesson_minutes", "241"),
        ("lesson_minutes", "an hour"),
        ("levels", ["expert"]),
        ("display_name", "   "),
    ],
)
def test_teacher_profile_edit_refuses_bad_values(teacher, field, value):
    fields = ["display_name", "bio", "styles", "levels", "lesson_minutes", "is_published"]
    before = TeacherProfile.objects.values(*fields).get(pk=teacher.pk)
    data = {"display_name": "New name", "bio": "", "styles": "", "levels": ["beginner"], "lesson_minutes": "60"}
    data[field] = value
    response = english(signed_in(teacher)).post(reverse("accounts:teacher-profile"), data)
    assert response.status_code == 200
    assert field_errors(response, field)
    assert TeacherProfile.objects.values(*fields).get(pk=teacher.pk) == before


# --- password change -------------------------------------------------------------------------


def test_password_change_through_the_page(student):
    client = english(signed_in(student))
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("accounts:profile"), 302)]
    assert "Your password has been changed. Your other devices have been signed out." in messages_of(response)
    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    # this session survives the change
    assert client.get(reverse("accounts:profile")).status_code == 200
    # the old password stops working, the new one works
    fresh = english(Client())
    old = fresh.post(reverse("accounts:login"), {"username": student.email, "password": PASSWORD})
    assert old.status_code == 200
    assert not is_signed_in(fresh)
    new = fresh.post(reverse("accounts:login"), {"username": student.email, "password": NEW_PASSWORD})
    assert new.status_code == 302
    assert is_signed_in(fresh)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"old_password": "not-my-password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            "old_password",
        ),
        (
            {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "different-Passw0rd!"},
            "new_password2",
        ),
        ({"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}, "new_password2"),
    ],
)
def test_password_change_errors_keep_the_old_password(student, data, field):
    response = english(signed_in(student)).post(reverse("accounts:password-change"), data)
    assert response.status_code == 200
    assert field_errors(response, field)
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


# --- password reset through a real SMTP server ----------------------------------------------------


RESET_LINK = re.compile(r"https?://[^/\s]+(/accounts/password/reset/[^/\s]+/[^/\s]+/)")


def test_password_reset_by_email_end_to_end(smtp_server, student):
    client = english(Client())
    response = client.post(reverse("accounts:password-reset"), {"email": student.email.upper()})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password-reset-done")
    assert smtp_server.messages == []  # the worker sends it, not the request
    assert not Notification.objects.exists()  # the request did not even look for the account

    outbox_dispatch()
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail.rcpt_tos == [student.email]
    assert mail.subject == "Reset your GuitarOnline password"
    assert student.email in mail.body
    link = RESET_LINK.search(mail.body)
    assert link, mail.body

    confirm = client.get(link.group(1), follow=True)
    assert confirm.status_code == 200
    assert confirm.context["validlink"] is True
    set_password_url = confirm.redirect_chain[-1][0]
    assert set_password_url.endswith("/set-password/")

    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    assert done.redirect_chain == [(reverse("accounts:password-reset-complete"), 302)]
    assert "Your new password is set" in page(done)

    student.refresh_from_db()
    assert student.check_password(NEW_PASSWORD)
    login = client.post(reverse("accounts:login"), {"username": student.email, "password": NEW_PASSWORD})
    assert login.status_code == 302
    assert is_signed_in(client)

    # the link works once
    reused = english(Client()).get(link.group(1), follow=True)
    assert reused.context["validlink"] is False
    assert "This link does not work" in page(reused)


def test_password_reset_mail_is_in_the_account_language(smtp_server):
    student = StudentFactory(language="ru")
    english(Client()).post(reverse("accounts:password-reset"), {"email": student.email})
    outbox_dispatch()
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0]
    assert mail.subject == "Сброс пароля GuitarOnline"
    assert "Чтобы задать новый пароль, откройте ссылку ниже." in mail.body
    stored = Notification.objects.get(recipient=student)
    assert RESET_LINK.search(mail.body).group(1) not in repr(stored.params) + stored.body + stored.link


def test_password_reset_of_an_unknown_email_sends_nothing_and_says_the_same(smtp_server):
    client = english(Client())
    response = client.post(reverse("accounts:password-reset"), {"email": "nobody@example.org"}, follow=True)
    assert response.redirect_chain == [(reverse("accounts:password-reset-done"), 302)]
    assert "Check your e-mail" in page(response)
    outbox_dispatch()
    assert smtp_server.messages == []


def test_password_reset_with_an_invalid_email_shows_an_error(smtp_server, en_client):
    response = en_client.post(reverse("accounts:password-reset"), {"email": "not-an-email"})
    assert response.status_code == 200
    assert field_errors(response, "email")
    assert smtp_server.messages == []


def test_password_reset_with_a_bad_token_shows_the_invalid_link_page(en_client, student):
    response = en_client.get(reverse("accounts:password-reset-confirm", kwargs={"uidb64": "MQ", "token": "bad-token"}))
    html = page(response)
    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "This link does not work" in html
    assert 'name="new_password1"' not in html
    assert f'href="{reverse("accounts:password-reset")}"' in html


def test_password_reset_new_password_errors_change_nothing(smtp_server, student):
    client = english(Client())
    client.post(reverse("accounts:password-reset"), {"email": student.email})
    outbox_dispatch()
    link = RESET_LINK.search(smtp_server.messages[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": "not-the-same-1"})
    assert response.status_code == 200
    assert field_errors(response, "new_password2")
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


# --- language ------------------------------------------------------------------------------------


def test_signed_out_visitor_gets_russian_by_default(client):
    html = page(client.get(reverse("landing")))
    assert '<html lang="ru">' in html
    assert "Уроки гитары онлайн" in html
    assert "Войти" in html


def test_signed_out_visitor_switching_to_english_gets_english_pages(client):
    response = client.post(reverse("accounts:set-language"), {"language": "en", "next": reverse("accounts:login")})
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login")
    html = page(client.get(reverse("landing")))
    assert '<html lang="en">' in html
    assert "Guitar lessons online" in html
    assert "Уроки гитары онлайн" not in html
    html = page(client.get(reverse("accounts:login")))
    assert "Forgot your password?" in html


def test_signed_in_user_switching_language_saves_it(student):
    client = signed_in(student, language="en")
    assert "My area" in page(client.get(reverse("landing")))
    response = client.post(reverse("accounts:set-language"), {"language": "ru", "next": reverse("landing")})
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.language == "ru"
    html = page(client.get(reverse("landing")))
    assert "Мой кабинет" in html
    assert "My area" not in html


def test_pages_follow_the_users_language_over_the_cookie(student):
    client = english(signed_in(student, language="ru"))
    html = page(client.get(reverse("accounts:profile")))
    assert "Ваш профиль" in html
    client = signed_in(StudentFactory(language="en"))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "ru"
    html = page(client.get(reverse("accounts:profile")))
    assert "Your profile" in html


def test_switching_to_an_unknown_language_changes_nothing(student):
    client = signed_in(student, language="en")
    client.post(reverse("accounts:set-language"), {"language": "xx", "next": "/"})
    student.refresh_from_db()
    assert student.language == "en"


def test_set_language_needs_post(client):
    assert client.get(reverse("accounts:set-language")).status_code == 405


def test_language_switch_offers_both_languages(client):
    html = page(client.get(reverse("landing")))
    assert f'action="{reverse("accounts:set-language")}"' in html
    assert '<option value="ru" lang="ru" selected>Русский</option>' in html
    assert '<option value="en" lang="en">English</option>' in html


# --- error pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("handler", "status", "text"),
    [
        (core_views.bad_request, 400, "Bad request"),
        (core_views.permission_denied, 403, "Access denied"),
        (core_views.page_not_found, 404, "Page not found"),
        (core_views.rate_limited, 429, "Too many attempts"),
    ],
)
def test_error_pages_are_friendly(handler, status, text):
    request = RequestFactory().get("/some/page/")
    with translation.override("en"):
        response = handler(request, None)
    assert response.status_code == status
    html = response.content.decode()
    assert text in html
    assert f'href="{reverse("landing")}"' in html


def test_server_error_page_renders_without_the_database(django_assert_num_queries):
    request = RequestFactory().get("/boom/")
    with translation.override("en"), django_assert_num_queries(0):
        response = core_views.server_error(request)
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


# --- templates' security rules -------------------------------------------------------------------


def _templates(*suffixes: str) -> list[Path]:
    return sorted(path for path in TEMPLATES_DIR.rglob("*") if path.suffix in suffixes)


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


# The e-mail layout is never served as a page (no CSP applies) and mail apps drop <style>: its
# styles are inline, as e-mail needs.
EMAIL_LAYOUTS = {"notifications/email.html"}


def test_templates_have_no_inline_script_or_style():
    templates = _templates(".html", ".txt")
    assert len(templates) >= 20
    offenders = [
        str(path.relative_to(TEMPLATES_DIR))
        for path in templates
        if (
            str(path.relative_to(TEMPLATES_DIR)) not in EMAIL_LAYOUTS and INLINE_SCRIPT.search(text := path.read_text())
        )
        or INLINE_STYLE.search(text)
        or INLINE_HANDLER.search(text)
    ]
    assert offenders == []


def test_every_post_form_has_a_csrf_token():
    missing = []
    for path in _templates(".html"):
        for form in re.findall(r"<form\b[^>]*method=\"post\"[^>]*>.*?</form>", path.read_text(), re.S | re.I):
            if "{% csrf_token %}" not in form:
                missing.append(str(path.relative_to(TEMPLATES_DIR)))
    assert missing == []


def test_expected_templates_exist():
    names = {
        "base.html",
        "landing.html",
        "includes/form.html",
        *(f"errors/{code}.html" for code in (400, 403, 404, 429, 500)),
        *(
            f"accounts/{name}.html"
            for name in (
                "register",
                "login",
                "password_reset_form",
                "password_reset_done",
                "password_reset_confirm",
                "password_reset_complete",
                "password_change",
                "profile",
                "student_home",
                "teacher_profile_form",
            )
        ),
        "notifications/password_reset.txt",
        "notifications/verify_email.txt",
        "notifications/email.html",
    }
    assert {name for name in names if not (TEMPLATES_DIR / name).is_file()} == set()
