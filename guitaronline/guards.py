"""Production start-up guards (SPEC §5).

Kept free of Django imports so that settings can call it before Django is
configured and tests can call it with any combination of values.
"""

from __future__ import annotations

PRODUCTION_ENVS = frozenset({"production", "prod"})
LIMITER_BACKENDS = frozenset({"memory", "redis"})


def is_production(app_env: str) -> bool:
    return app_env.strip().lower() in PRODUCTION_ENVS


def production_problems(
    *,
    secret_key: str,
    debug: bool,
    limiter_backend: str,
    allow_in_memory_limiter: bool,
    redis_url: str,
    allowed_hosts: list[str],
) -> list[str]:
    """Return one line per setting that makes a production start unsafe."""
    problems: list[str] = []
    if not [host for host in allowed_hosts if host.strip()]:
        problems.append(
            "ALLOWED_HOSTS is empty: every request would be answered 400; set the site's names "
            "(school.example.org, comma-separated)."
        )
    if not secret_key or secret_key.strip().lower().startswith("change-me"):
        problems.append("SECRET_KEY is empty or a placeholder (change-me*); set a long random value.")
    if debug:
        problems.append("DEBUG must be false in production; set DEBUG=false.")
    if limiter_backend not in LIMITER_BACKENDS:
        problems.append(f"AUTH_RATE_LIMIT_BACKEND must be 'memory' or 'redis', not {limiter_backend!r}.")
    elif limiter_backend == "memory" and not allow_in_memory_limiter:
        problems.append(
            "AUTH_RATE_LIMIT_BACKEND=memory keeps limits per process; use redis, or set "
            "AUTH_RATE_LIMIT_ALLOW_IN_MEMORY_IN_PRODUCTION=true to accept that."
        )
    elif limiter_backend == "redis" and not redis_url:
        problems.append("REDIS_URL is required when AUTH_RATE_LIMIT_BACKEND=redis.")
    return problems


def payment_provider_problems(
    *,
    provider: str,
    yookassa_shop_id: str,
    yookassa_secret_key: str,
    yookassa_api_base: str,
    stripe_secret_key: str = "",
    stripe_webhook_secret: str = "",
    stripe_api_base: str = "https://api.stripe.com",
) -> list[str]:
    """Return one line per payment setting that makes a production start unsafe."""
    problems: list[str] = []
    if provider.strip().lower() == "stripe":
        missing = [
            name
            for name, value in (
                ("STRIPE_SECRET_KEY", stripe_secret_key),
                ("STRIPE_WEBHOOK_SECRET", stripe_webhook_secret),
            )
            if not value.strip()
        ]
        if missing:
            problems.append(
                f"BILLING_PAYMENT_PROVIDER=stripe needs {' and '.join(missing)}; copy them from Stripe's dashboard "
                "(Developers: API keys, and the signing secret of the webhook endpoint)."
            )
        if not stripe_api_base.startswith("https://"):
            problems.append(f"STRIPE_API_BASE must be an https:// address, not {stripe_api_base!r}.")
    if provider.strip().lower() == "yookassa":
        missing = [
            name
            for name, value in (("YOOKASSA_SHOP_ID", yookassa_shop_id), ("YOOKASSA_SECRET_KEY", yookassa_secret_key))
            if not value.strip()
        ]
        if missing:
            problems.append(
                f"BILLING_PAYMENT_PROVIDER=yookassa needs {' and '.join(missing)}; "
                "copy them from YooKassa's dashboard (Integration, API keys)."
            )
        if not yookassa_api_base.startswith("https://"):
            problems.append(f"YOOKASSA_API_BASE must be an https:// address, not {yookassa_api_base!r}.")
    return problems
