"""Client address resolution that trusts X-Forwarded-For only from known proxies."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


@lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """A setting's addresses and networks, parsed once (settings checked each entry at start-up)."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def in_networks(ip: str, entries) -> bool:
    """Whether the address `ip` is one of `entries` (addresses and networks, as
    settings hold them: AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS, METRICS_ALLOWED_IPS)."""
    networks = _networks(tuple(entries))
    address = _valid_ip(ip)
    if not networks or address is None:
        return False
    parsed = ipaddress.ip_address(address)
    return any(parsed in network for network in networks)


def _trusted(ip: str) -> bool:
    """Whether `ip` is a trusted proxy: one listed, or inside a listed network."""
    return in_networks(ip, settings.AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS)


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent the request.

    `REMOTE_ADDR` unless it is a trusted proxy; then the right-most address in
    `X-Forwarded-For` that is not itself a trusted proxy (addresses to its left
    were written by the client and can be forged).
    """
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"
    if not _trusted(remote):
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop for hop in (h.strip() for h in forwarded.split(",")) if hop]
    for hop in reversed(hops):
        ip = _valid_ip(hop)
        if ip is None:
            break
        if not _trusted(ip):
            return ip
    return remote


def ratelimit_key(group: str, request: HttpRequest) -> str:
    """django-ratelimit key function: one bucket per client IP."""
    return client_ip(request)


def user_agent(request: HttpRequest) -> str:
    """What the client says it is (`User-Agent`), "" when it says nothing."""
    return request.META.get("HTTP_USER_AGENT", "")
