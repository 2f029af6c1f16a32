import pytest

from tests.factories import PASSWORD

LOGIN = "/api/v1/identity/auth/login"
REGISTER = "/api/v1/identity/auth/register"
REFRESH = "/api/v1/identity/auth/refresh"


@pytest.fixture
def small_limits(settings):
    settings.AUTH_RATE_LIMIT_LOGIN_REQUESTS = 3
    settings.AUTH_RATE_LIMIT_REGISTER_REQUESTS = 2
    settings.AUTH_RATE_LIMIT_REFRESH_REQUESTS = 2
    settings.AUTH_RATE_LIMIT_WINDOW_SECONDS = 60
    settings.AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS = ["10.0.0.1"]
    return settings


def _post(api, path, body, ip="203.0.113.7", forwarded=None):
    extra = {"REMOTE_ADDR": ip}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return api.post(path, body, format="json", **extra)


@pytest.mark.django_db
def test_login_is_limited_per_ip_with_429_and_never_hashes_when_limited(api, student, small_limits, hasher_calls):
    body = {"email": student.email, "password": "wrong-password"}
    for _ in range(3):
        assert _post(api, LOGIN, body).status_code == 401
    hashed_before = len(hasher_calls)
    assert hashed_before >= 3

    limited = _post(api, LOGIN, {"email": student.email, "password": PASSWORD})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited["Retry-After"] == "60"
    assert len(hasher_calls) == hashed_before  # the limited request never reached the hasher

    # another client is not affected
    assert _post(api, LOGIN, {"email": student.email, "password": PASSWORD}, ip="198.51.100.9").status_code == 200


@pytest.mark.django_db
def test_spoofed_forwarded_for_from_an_untrusted_address_does_not_reset_the_limit(api, student, small_limits):
    body = {"email": student.email, "password": "wrong-password"}
    for n in range(3):
        _post(api, LOGIN, body, forwarded=f"192.0.2.{n}")
    limited = _post(api, LOGIN, body, forwarded="192.0.2.200")
    assert limited.status_code == 429


@pytest.mark.django_db
def test_forwarded_for_is_honoured_from_a_trusted_proxy(api, student, small_limits):
    body = {"email": student.email, "password": "wrong-password"}
    for _ in range(3):
        assert _post(api, LOGIN, body, ip="10.0.0.1", forwarded="192.0.2.10").status_code == 401
    assert _post(api, LOGIN, body, ip="10.0.0.1", forwarded="192.0.2.10").status_code == 429
    # a different client behind the same proxy has its own bucket
    assert _post(api, LOGIN, body, ip="10.0.0.1", forwarded="192.0.2.11").status_code == 401
    # the client cannot escape by prepending addresses: the proxy appends the real one
    assert _post(api, LOGIN, body, ip="10.0.0.1", forwarded="1.2.3.4, 192.0.2.10").status_code == 429


@pytest.mark.django_db
def test_proxies_inside_a_trusted_network_each_pass_on_their_clients(api, student, small_limits):
    """Behind an ingress, the proxies are pods of a network (its CIDR): each client keeps its own bucket."""
    small_limits.AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS = ["10.244.0.0/16", "2001:db8::/32"]
    body = {"email": student.email, "password": "wrong-password"}
    for n in range(3):  # one client through three ingress pods
        assert _post(api, LOGIN, body, ip=f"10.244.{n}.7", forwarded="192.0.2.10").status_code == 401
    assert _post(api, LOGIN, body, ip="10.244.9.9", forwarded="192.0.2.10").status_code == 429
    assert _post(api, LOGIN, body, ip="10.244.0.7", forwarded="192.0.2.11").status_code == 401
    assert _post(api, LOGIN, body, ip="2001:db8::5", forwarded="192.0.2.12").status_code == 401
    # a chain of proxies inside the network: the client is the right-most address outside it
    assert _post(api, LOGIN, body, ip="10.244.0.7", forwarded="192.0.2.10, 10.244.3.3").status_code == 429
    # an address outside the network is the client itself, whatever it forwards
    for _ in range(3):
        _post(api, LOGIN, body, ip="10.245.0.1", forwarded="192.0.2.13")
    assert _post(api, LOGIN, body, ip="10.245.0.1", forwarded="192.0.2.14").status_code == 429


@pytest.mark.django_db
def test_register_is_limited(api, small_limits, hasher_calls):
    for n in range(2):
        body = {"email": f"u{n}@example.org", "password": PASSWORD, "full_name": "U"}
        assert _post(api, REGISTER, body).status_code == 201
    hashed = len(hasher_calls)
    limited = _post(api, REGISTER, {"email": "u9@example.org", "password": PASSWORD, "full_name": "U"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert len(hasher_calls) == hashed
    from accounts.models import User

    assert not User.objects.filter(email="u9@example.org").exists()


@pytest.mark.django_db
def test_refresh_is_limited(api, small_limits):
    for _ in range(2):
        assert _post(api, REFRESH, {"refresh": "x"}).status_code == 401
    assert _post(api, REFRESH, {"refresh": "x"}).status_code == 429


@pytest.mark.django_db
def test_login_page_and_api_share_the_login_budget(client, api, student, small_limits):
    body = {"email": student.email, "password": "wrong-password"}
    for _ in range(3):
        _post(api, LOGIN, body)
    page = client.post("/accounts/login/", {"username": student.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.7")
    assert page.status_code == 429
