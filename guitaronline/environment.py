"""django-environ's reader, made to explain a bad value: a variable that does
not parse as what settings read it as (`BOOKING_HOLD_MINUTES=ten`,
`DEBUG=ture`, `AUTH_RATE_LIMIT_TRUSTED_PROXY_IPS=10.0.0/8`) stops start-up
with one line naming it, instead of a traceback or a silent default.

Kept free of Django imports: settings use it before Django is configured."""

from __future__ import annotations

import ipaddress
import os
import sys

import environ

TRUE = frozenset({"true", "on", "ok", "y", "yes", "1"})  # django-environ's
FALSE = frozenset({"false", "off", "n", "no", "0", ""})
CASTS = {int: "a whole number", float: "a number", bool: "true or false"}


def refuse(message: str) -> None:
    """Stop start-up with one line (the project's refusals all read this way)."""
    sys.exit(f"Refusing to start: {message}")


class Env(environ.Env):
    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        raw = os.environ.get(f"{self.prefix}{var}")
        if cast is bool and raw is not None and raw.strip().lower() not in TRUE | FALSE:
            refuse(f"{var}={raw!r} is not true or false.")
        try:
            return super().get_value(var, cast=cast, default=default, parse_default=parse_default)
        except (ValueError, TypeError) as exc:
            expected = CASTS.get(cast, getattr(cast, "__name__", None) or "a valid value")
            refuse(f"{var}={raw!r} is not {expected} ({exc}).")

    def networks(self, var: str) -> list[str]:
        """A list of addresses or networks (`10.0.0.0/8`, `2001:db8::/32`,
        `192.0.2.7`), each checked; kept as written."""
        entries = [entry.strip() for entry in self.list(var, default=[]) if entry.strip()]
        for entry in entries:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                refuse(f"{var} holds {entry!r}, which is neither an IP address nor a network such as 10.0.0.0/8.")
        return entries
