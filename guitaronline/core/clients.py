"""Client address resolution that trusts X-Forwarded-For only from known proxies."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _trusted_proxies() -> set[str]:
    return {ip for raw in settings.AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS if (ip := _valid_ip(raw))}


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent the request.

    `REMOTE_ADDR` unless it is a trusted proxy; then the right-most address in
    `X-Forwarded-For` that is not itself a trusted proxy (addresses to its left
    were written by the client and can be forged).
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"
    trusted = _trusted_proxies()
    if remote not in trusted:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (h.strip() for h in forwarded.split(",")) if hop]
    for hop in reversed(hops):
        ip = _valid_ip(hop)
        if ip is None:
            break
        if ip not in trusted:
            return ip
    return remote


def ratelimit_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key function: one bucket per client IP."""
    return client_ip(request)


def user_agent(request: HttpRequest) -> str:
    """What the client says it is (`User-Agent`), "" when it says nothing."""
    return request.META.get("HTTP_USER_AGENT", "")
