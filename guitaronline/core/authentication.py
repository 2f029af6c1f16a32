"""JWT authentication that also applies the user's time zone and language.

Session users get theirs from `UserPreferencesMiddleware`; API users are
only known once DRF authenticates the token, after the middleware ran. The
middleware deactivates the time zone when the response is done.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.utils import timezone, translation
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication


def activate_user_preferences(user) -> None:
    timezone.activate(ZoneInfo(user.timezone))
    if user.language:
        translation.activate(user.language)


class PreferencesJWTAuthentication(JWTAuthentication):
    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None:
            activate_user_preferences(result[0])
        return result


class PreferencesJWTScheme(SimpleJWTScheme):
    """Documents the subclass as the plain Bearer JWT scheme in OpenAPI."""

    target_class = "guitaronline.core.authentication.PreferencesJWTAuthentication"
