import os
import subprocess
import sys
from pathlib import Path

import pytest

from guitaronline.guards import payment_provider_problems, production_problems

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "secret_key": "k" * 64,
    "debug": False,
    "limiter_backend": "redis",
    "allow_in_memory_limiter": False,
    "redis_url": "redis://127.0.0.1:6379/0",
    "allowed_hosts": ["school.example.org"],
}

YOOKASSA = {
    "provider": "yookassa",
    "yookassa_shop_id": "506751",
    "yookassa_secret_key": "live_" + "s" * 40,
    "yookassa_api_base": "https://api.yookassa.ru/v3",
}


def test_good_production_configuration_has_no_problem():
    assert production_problems(**GOOD) == []


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"secret_key": "change-me"}, "SECRET_KEY"),
        ({"secret_key": "CHANGE-ME-please-0123456789"}, "SECRET_KEY"),
        ({"secret_key": ""}, "SECRET_KEY"),
        ({"debug": True}, "DEBUG"),
        ({"limiter_backend": "memory"}, "AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION"),
        ({"limiter_backend": "redis", "redis_url": ""}, "REDIS_URL"),
        ({"limiter_backend": "memcached"}, "AUTH_RATE_LIMIT_BACKEND"),
        ({"allowed_hosts": []}, "ALLOWED_HOSTS"),
        ({"allowed_hosts": [" "]}, "ALLOWED_HOSTS"),
    ],
)
def test_each_unsafe_setting_is_named(change, variable):
    problems = production_problems(**{**GOOD, **change})
    assert len(problems) == 1
    assert variable in problems[0]


def test_in_memory_limiter_is_accepted_with_the_acknowledgement():
    assert production_problems(**{**GOOD, "limiter_backend": "memory", "allow_in_memory_limiter": True}) == []


def _start(extra_env: dict) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("AUTH_RATE_LIMIT", "DJANGO_", "SECRET_KEY", "DEBUG", "REDIS_URL", "APP_ENV", "ALLOWED_HOSTS")
        )
    }
    env.update({"DJANGO_SETTINGS_MODULE": "guitaronline.settings", "ALLOWED_HOSTS": "school.example.org", **extra_env})
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_start_with_placeholder_secret_fails_with_one_clear_line():
    result = _start({"APP_ENV": "production", "SECRET_KEY": "change-me", "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines == ["Refusing to start: SECRET_KEY is empty or a placeholder (change-me*); set a long random value."]


def test_production_start_with_safe_settings_succeeds():
    result = _start({"APP_ENV": "production", "SECRET_KEY": "s" * 64, "REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert result.returncode == 0, result.stderr


def test_production_start_with_debug_fails():
    result = _start(
        {"APP_ENV": "production", "SECRET_KEY": "s" * 64, "DEBUG": "true", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    )
    assert result.returncode == 1
    assert "DEBUG" in result.stderr


# --- the payment provider --------------------------------------------------------------

STRIPE = {
    "provider": "stripe",
    "yookassa_shop_id": "",
    "yookassa_secret_key": "",
    "yookassa_api_base": "https://api.yookassa.ru/v3",
    "stripe_secret_key": "sk_live_" + "s" * 40,
    "stripe_webhook_secret": "whsec_" + "w" * 32,
    "stripe_api_base": "https://api.stripe.com",
}


def test_yookassa_with_its_keys_has_no_problem_and_other_providers_need_none():
    assert payment_provider_problems(**YOOKASSA) == []
    no_keys = {"yookassa_shop_id": "", "yookassa_secret_key": "", "yookassa_api_base": ""}
    assert payment_provider_problems(**{**YOOKASSA, **no_keys, "provider": "offline"}) == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"yookassa_shop_id": ""}, ["YOOKASSA_SHOP_ID"]),
        ({"yookassa_secret_key": "  "}, ["YOOKASSA_SECRET_KEY"]),
        ({"yookassa_shop_id": "", "yookassa_secret_key": ""}, ["YOOKASSA_SHOP_ID", "YOOKASSA_SECRET_KEY"]),
        ({"yookassa_api_base": "http://127.0.0.1:8001/v3"}, ["YOOKASSA_API_BASE"]),
    ],
)
def test_each_missing_yookassa_setting_is_named_on_one_line(change, named):
    problems = payment_provider_problems(**{**YOOKASSA, **change})
    assert len(problems) == 1
    assert all(variable in problems[0] for variable in named)


def test_production_start_with_yookassa_and_no_keys_fails_with_one_clear_line():
    result = _start(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s" * 64,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "BILLING_PAYMENT_PROVIDER": "yookassa",
            "YOOKASSA_SHOP_ID": "",
            "YOOKASSA_SECRET_KEY": "",
        }
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Refusing to start: BILLING_PAYMENT_PROVIDER=yookassa needs YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY; "
        "copy them from YooKassa's dashboard (Integration, API keys)."
    ]


def test_production_start_with_yookassa_and_its_keys_succeeds():
    result = _start(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s" * 64,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "BILLING_PAYMENT_PROVIDER": "yookassa",
            "YOOKASSA_SHOP_ID": "506751",
            "YOOKASSA_SECRET_KEY": "live_" + "s" * 40,
        }
    )
    assert result.returncode == 0, result.stderr


def test_stripe_with_its_keys_has_no_problem_and_needs_no_yookassa_keys():
    assert payment_provider_problems(**STRIPE) == []
    assert payment_provider_problems(**{**STRIPE, "provider": " Stripe "}) == []
    no_keys = {"stripe_secret_key": "", "stripe_webhook_secret": ""}
    assert payment_provider_problems(**{**STRIPE, **no_keys, "provider": "yookassa", **YOOKASSA}) == []


@pytest.mark.parametrize(
    ("change", "named", "not_named"),
    [
        ({"stripe_secret_key": ""}, ["STRIPE_SECRET_KEY"], ["STRIPE_WEBHOOK_SECRET"]),
        ({"stripe_webhook_secret": "  "}, ["STRIPE_WEBHOOK_SECRET"], ["STRIPE_SECRET_KEY"]),
        ({"stripe_secret_key": "", "stripe_webhook_secret": ""}, ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"], []),
        ({"stripe_api_base": "http://127.0.0.1:12111"}, ["STRIPE_API_BASE"], ["STRIPE_SECRET_KEY"]),
    ],
)
def test_each_missing_stripe_setting_is_named_on_one_line(change, named, not_named):
    problems = payment_provider_problems(**{**STRIPE, **change})
    assert len(problems) == 1
    assert all(variable in problems[0] for variable in named)
    assert not any(variable in problems[0] for variable in not_named)


def test_production_start_with_stripe_and_no_webhook_secret_fails_with_one_clear_line():
    result = _start(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s" * 64,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "BILLING_PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": "sk_live_" + "s" * 40,
            "STRIPE_WEBHOOK_SECRET": "",
        }
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Refusing to start: BILLING_PAYMENT_PROVIDER=stripe needs STRIPE_WEBHOOK_SECRET; copy them from Stripe's "
        "dashboard (Developers: API keys, and the signing secret of the webhook endpoint)."
    ]


def test_production_start_with_stripe_and_its_keys_succeeds():
    result = _start(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s" * 64,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "BILLING_PAYMENT_PROVIDER": "stripe",
            "STRIPE_SECRET_KEY": "sk_live_" + "s" * 40,
            "STRIPE_WEBHOOK_SECRET": "whsec_" + "w" * 32,
        }
    )
    assert result.returncode == 0, result.stderr


# --- values that do not parse, and production without its names ---------------------


@pytest.mark.parametrize(
    ("variable", "value", "line"),
    [
        ("BOOKING_HOLD_MINUTES", "ten", "Refusing to start: BOOKING_HOLD_MINUTES='ten' is not a whole number"),
        ("DEBUG", "ture", "Refusing to start: DEBUG='ture' is not true or false."),
        ("OUTBOX_KICK_ON_COMMIT", "maybe", "Refusing to start: OUTBOX_KICK_ON_COMMIT='maybe' is not true or false."),
        (
            "AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS",
            "10.0.0.0/8,10.0.0/33",
            "Refusing to start: AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS holds '10.0.0/33', which is neither",
        ),
    ],
)
def test_a_value_that_does_not_parse_stops_start_up_naming_its_variable(variable, value, line):
    result = _start({variable: value})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (printed,) = result.stderr.strip().splitlines()
    assert printed.startswith(line), printed


def test_networks_and_addresses_of_proxies_are_accepted():
    result = _start({"AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS": "10.0.0.0/8, 192.0.2.7,2001:db8::/32"})
    assert result.returncode == 0, result.stderr


def test_production_start_without_allowed_hosts_fails_with_one_clear_line():
    result = _start(
        {"APP_ENV": "production", "SECRET_KEY": "s" * 64, "REDIS_URL": "redis://127.0.0.1:6379/0", "ALLOWED_HOSTS": ""}
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Refusing to start: ALLOWED_HOSTS is empty: every request would be answered 400; set the site's names "
        "(school.example.org, comma-separated)."
    ]
