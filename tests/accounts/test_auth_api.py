import pytest
from django.contrib.auth.hashers import check_password
from rest_framework.test import APIClient

from accounts.models import Role, TeacherProfile, User
from audit.models import AuditLog, OutboxEvent
from tests.factories import PASSWORD, StudentFactory
from tests.races import errors, race

REGISTER = "/api/v1/identity/auth/register"
LOGIN = "/api/v1/identity/auth/login"
REFRESH = "/api/v1/identity/auth/refresh"
LOGOUT = "/api/v1/identity/auth/logout"
ME = "/api/v1/identity/users/me"


def _login(api, email, password=PASSWORD):
    return api.post(LOGIN, {"email": email, "password": password}, format="json")


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.mark.django_db
def test_register_creates_a_student_by_default(api):
    response = api.post(REGISTER, {"email": "New@Example.org", "password": PASSWORD, "full_name": "Ada"}, format="json")
    assert response.status_code == 201
    user = User.objects.get()
    assert response.json() == {"id": user.id, "email": "new@example.org", "role": "student"}
    assert user.check_password(PASSWORD)
    assert not TeacherProfile.objects.exists()
    assert AuditLog.objects.filter(action="identity.user.registered", entity_id=str(user.id)).count() == 1
    assert OutboxEvent.objects.filter(event_type="identity.user.registered", aggregate_id=str(user.id)).count() == 1


@pytest.mark.django_db
def test_register_as_teacher_makes_an_unpublished_profile(api):
    response = api.post(
        REGISTER,
        {"email": "t@example.org", "password": PASSWORD, "full_name": "Tea", "role": "teacher"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["role"] == "teacher"
    profile = TeacherProfile.objects.get()
    assert profile.user.email == "t@example.org"
    assert profile.is_published is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "full_name": "A"}, "email"),
        ({"email": "a@example.org", "password": "123", "full_name": "A"}, "password"),
        ({"email": "a@example.org", "password": PASSWORD, "full_name": "A", "role": "admin"}, "role"),
        ({"email": "a@example.org", "password": PASSWORD}, "full_name"),
        ({"email": "a@example.org", "password": PASSWORD, "full_name": "A", "timezone": "Mars/Base"}, "timezone"),
    ],
)
def test_register_refuses_bad_input_and_writes_nothing(api, body, field):
    response = api.post(REGISTER, body, format="json")
    assert response.status_code == 400
    error = _error(response)
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert not User.objects.exists()
    assert not AuditLog.objects.exists()
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_register_refuses_a_taken_email_in_any_case(api):
    StudentFactory(email="taken@example.org")
    response = api.post(REGISTER, {"email": "TAKEN@example.org", "password": PASSWORD, "full_name": "B"}, format="json")
    assert response.status_code == 409
    assert _error(response)["code"] == "email_taken"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_malformed_json_is_a_400_in_the_error_shape(api):
    response = api.generic("POST", REGISTER, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


@pytest.mark.django_db
def test_login_returns_a_token_pair_and_me_works_with_it(api, student):
    response = _login(api, student.email.upper())
    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    me = api.get(ME)
    assert me.status_code == 200
    assert me.json() == {
        "id": student.id,
        "email": student.email,
        "email_verified": True,
        "pending_email": "",
        "full_name": student.full_name,
        "role": "student",
        "timezone": "Europe/Moscow",
        "language": "en",
    }
    student.refresh_from_db()
    assert student.last_login is not None


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["wrong-password", ""])
def test_login_with_wrong_credentials_is_401(api, student, password):
    response = api.post(LOGIN, {"email": student.email, "password": password}, format="json")
    assert response.status_code in (400, 401)
    assert _error(response)["code"] in ("invalid_credentials", "validation_error")


@pytest.mark.django_db
def test_login_of_unknown_or_inactive_user_is_401(api, student):
    student.is_active = False
    student.save()
    assert _error(_login(api, student.email))["code"] == "invalid_credentials"
    assert _error(_login(api, "nobody@example.org"))["code"] == "invalid_credentials"


@pytest.mark.django_db
def test_me_needs_a_token(api):
    response = api.get(ME)
    assert response.status_code == 401
    assert _error(response)["code"] == "not_authenticated"
    api.credentials(HTTP_AUTHORIZATION="Bearer not.a.token")
    response = api.get(ME)
    assert response.status_code == 401
    assert _error(response)["code"] == "token_not_valid"


@pytest.mark.django_db
def test_me_patch_updates_profile_but_not_role_or_email(student_api, student):
    response = student_api.patch(
        ME,
        {"full_name": "New Name", "timezone": "America/New_York", "language": "ru", "role": "teacher", "email": "x@y"},
        format="json",
    )
    assert response.status_code == 200
    student.refresh_from_db()
    assert (student.full_name, student.timezone, student.language) == ("New Name", "America/New_York", "ru")
    assert (student.role, student.email) != ("teacher", "x@y")
    assert AuditLog.objects.filter(action="identity.user.updated").count() == 1


@pytest.mark.django_db
def test_me_patch_refuses_unknown_timezone(student_api, student):
    response = student_api.patch(ME, {"timezone": "Europe/Atlantis"}, format="json")
    assert response.status_code == 400
    assert "timezone" in _error(response)["details"]
    student.refresh_from_db()
    assert student.timezone == "Europe/Moscow"


@pytest.mark.django_db
def test_refresh_rotates_and_the_old_token_stops_working(api, student):
    first = _login(api, student.email).json()
    rotated = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    second = rotated.json()
    assert set(second) == {"access", "refresh"}
    assert second["refresh"] != first["refresh"]

    reused = api.post(REFRESH, {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert _error(reused)["code"] == "token_not_valid"

    assert api.post(REFRESH, {"refresh": second["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["garbage", ""])
def test_refresh_refuses_garbage(api, token):
    response = api.post(REFRESH, {"refresh": token}, format="json")
    assert response.status_code in (400, 401)


@pytest.mark.django_db
def test_an_access_token_is_not_a_refresh_token(api, student):
    tokens = _login(api, student.email).json()
    response = api.post(REFRESH, {"refresh": tokens["access"]}, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_logout_signs_the_device_out_and_is_idempotent(api, student):
    tokens = _login(api, student.email).json()
    other_device = _login(APIClient(), student.email).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    # The device's access token is dead with its refresh token, before it expires.
    response = api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_ended"
    # Logging the same token out again from a device still signed in changes nothing.
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other_device['access']}")
    assert api.post(LOGOUT, {"refresh": tokens["refresh"]}, format="json").status_code == 204
    assert api.get("/api/v1/identity/users/me").status_code == 200
    api.credentials()
    response = api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401


@pytest.mark.django_db
def test_logout_needs_sign_in_and_refuses_someone_elses_token(api, student):
    other = StudentFactory()
    mine = _login(api, student.email).json()
    theirs = _login(api, other.email).json()
    assert api.post(LOGOUT, {"refresh": mine["refresh"]}, format="json").status_code == 401
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {mine['access']}")
    response = api.post(LOGOUT, {"refresh": theirs["refresh"]}, format="json")
    assert response.status_code == 401
    api.credentials()
    assert api.post(REFRESH, {"refresh": theirs["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
def test_password_change_checks_the_current_password_and_signs_out_the_other_devices(api, student):
    tokens = _login(api, student.email).json()
    other = _login(APIClient(), student.email).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    wrong = api.post(f"{ME}/password", {"current_password": "nope", "new_password": "An0ther-pass-2026"}, format="json")
    assert wrong.status_code == 400
    assert _error(wrong)["code"] == "wrong_password"
    student.refresh_from_db()
    assert student.check_password(PASSWORD)

    ok = api.post(f"{ME}/password", {"current_password": PASSWORD, "new_password": "An0ther-pass-2026"}, format="json")
    assert ok.status_code == 204
    student.refresh_from_db()
    assert check_password("An0ther-pass-2026", student.password)
    assert api.get(ME).status_code == 200  # the device that changed it stays signed in
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {other['access']}")
    assert _error(api.get(ME))["code"] == "session_ended"
    api.credentials()
    assert api.post(REFRESH, {"refresh": other["refresh"]}, format="json").status_code == 401
    assert api.post(REFRESH, {"refresh": tokens["refresh"]}, format="json").status_code == 200


@pytest.mark.django_db
def test_teachers_lists_only_published_teachers(api):
    from tests.factories import TeacherFactory

    shown = TeacherFactory(full_name="Zed Published")
    TeacherFactory(profile__published=False)
    response = api.get("/api/v1/teachers")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["id"] == shown.id
    assert api.get(f"/api/v1/teachers/{shown.id}").status_code == 200
    hidden = TeacherProfile.objects.get(is_published=False)
    assert api.get(f"/api/v1/teachers/{hidden.pk}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_of_one_token_exactly_one_succeeds(postgres_only, settings):
    from rest_framework.test import APIClient

    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = settings.AUTH_RATE_LIMIT_REFRESH_REQUESTS = 1000
    student = StudentFactory()
    refresh = _login(APIClient(), student.email).json()["refresh"]
    rounds = 10
    for _ in range(rounds):

        def use(token=refresh) -> int:
            return APIClient().post(REFRESH, {"refresh": token}, format="json").status_code

        statuses = race(use, use)
        assert not errors(statuses), statuses
        assert sorted(statuses) == [200, 401]
        refresh = _login(APIClient(), student.email).json()["refresh"]
    assert User.objects.filter(role=Role.STUDENT).count() == 1


@pytest.mark.django_db
def test_api_answers_in_the_users_time_zone_and_language(student):
    from tests.clients import client_for

    student.timezone = "America/New_York"
    student.language = "ru"
    student.save()
    client = client_for(student)
    response = client.get("/api/v1/identity/users/me")
    assert response["Content-Language"] == "ru"
    error = client.patch(ME, {"timezone": "Nowhere/Land"}, format="json").json()["error"]
    assert error["message"] == "Некорректные данные."
    from tests.factories import TeacherFactory, make_package, make_slot

    make_package(student)
    slot = make_slot(TeacherFactory())
    held = client.post("/api/v1/booking/holds", {"slot_id": slot.pk}, format="json").json()
    offset = held["slot"]["start_at"][-6:]
    assert offset in ("-05:00", "-04:00")


def test_access_tokens_carry_the_zone_and_language_of_their_minting(api, student):
    from rest_framework_simplejwt.tokens import AccessToken

    first = _login(api, student.email).json()
    assert (AccessToken(first["access"])["tz"], AccessToken(first["access"])["lang"]) == ("Europe/Moscow", "en")

    student.timezone, student.language = "Asia/Tokyo", "ru"
    student.save(update_fields=["timezone", "language"])
    second = api.post(REFRESH, {"refresh": first["refresh"]}, format="json").json()
    assert (AccessToken(second["access"])["tz"], AccessToken(second["access"])["lang"]) == ("Asia/Tokyo", "ru")
