"""JWT authentication that also applies the user's time zone and language,
and session authentication whose CSRF refusal is worded in it.

Session users get theirs from `UserPreferencesMiddleware`; API users are
only known once DRF authenticates the token, after the middleware ran. The
middleware deactivates the time zone when the response is done.

Access tokens also carry the zone and language the user had when the token
was minted (`tz`, `lang`; `accounts.services` adds them). A public read that
needs nothing of the user but those (the open-slots listing) authenticates
with `PreferencesJWTAuthentication(from_token=True)`: the token is verified,
the user is not loaded. A changed zone reaches it with the next access token (at most
JWT_ACCESS_TOKEN_MINUTES); the instants it shows carry their offsets anyway.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import authentication, exceptions
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.models import TokenUser

TIMEZONE_CLAIM = "tz"
LANGUAGE_CLAIM = "lang"


def add_preference_claims(access_token, user) -> None:
    """Write the user's zone and language into an access token being minted."""
    access_token[TIMEZONE_CLAIM] = user.timezone
    access_token[LANGUAGE_CLAIM] = user.language


def activate_preferences(zone: str, language: str | None) -> None:
    timezone.activate(ZoneInfo(zone))
    if language:
        translation.activate(language)


def activate_user_preferences(user) -> None:
    activate_preferences(user.timezone, user.language)


class PreferencesJWTAuthentication(JWTAuthentication):
    """The user of a valid access token, with their zone and language active.

    `from_token=True` (a view's `get_authenticators`) is for a public read
    that needs nothing of the user but those: the token is verified like any
    other (signature, expiry, type), the zone and language come from its
    claims and `request.user` is a `TokenUser`, never read from the database.
    A token minted without the claims falls back to loading the user. One
    class for both, so the API schema has one bearer scheme."""

    def __init__(self, *args, from_token: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.from_token = from_token

    def authenticate(self, request):
        if self.from_token:
            return self._authenticate_from_token(request)
        result = super().authenticate(request)
        if result is not None:
            activate_user_preferences(result[0])
        return result

    def _authenticate_from_token(self, request):
        header = self.get_header(request)
        raw_token = None if header is None else self.get_raw_token(header)
        if raw_token is None:
            return None
        token = self.get_validated_token(raw_token)
        if not token.get(TIMEZONE_CLAIM):
            user = self.get_user(token)
            activate_user_preferences(user)
            return user, token
        activate_preferences(token[TIMEZONE_CLAIM], token.get(LANGUAGE_CLAIM))
        return TokenUser(token), token


class PreferencesJWTScheme(SimpleJWTScheme):
    """Documents the subclass (and the apps' subclasses of it) as the plain Bearer JWT scheme in OpenAPI."""

    target_class = "guitaronline.core.authentication.PreferencesJWTAuthentication"
    match_subclasses = True


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's, with its CSRF refusal in the user's language: DRF words it
    "CSRF Failed: <Django's reason>", in English whatever the language."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(_("CSRF check failed. Reload the page and try again.")) from None


class SessionAuthenticationScheme(SessionScheme):
    """Documents the subclass as DRF's cookie scheme in OpenAPI."""

    target_class = "guitaronline.core.authentication.SessionAuthentication"
