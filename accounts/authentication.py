"""The API's JWT authentication: the project's (the user's zone and language
made active) refusing the access tokens of a signed-out device."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import AuthenticationFailed

from accounts import auth_sessions
from guitaronline.core.authentication import PreferencesJWTAuthentication
from guitaronline.core.clients import client_ip


class DeviceSignedOut(AuthenticationFailed):
    default_detail = _("This device has been signed out. Log in again.")
    default_code = "session_ended"


class DeviceJWTAuthentication(PreferencesJWTAuthentication):
    """An access token is taken only while its device is signed in
    (`auth_sessions.in_use`): after "log out everywhere", a password change or
    reset, or the device's own logout, it answers 401 `session_ended` before
    it expires. A token minted before devices were recorded has no device and
    lives out its few minutes."""

    def authenticate(self, request):
        self._request = request
        return super().authenticate(request)

    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        device = validated_token.get(auth_sessions.SESSION_ID_CLAIM)
        if device is not None and not auth_sessions.in_use(
            session_id=device, user_id=user.pk, ip=client_ip(self._request)
        ):
            raise DeviceSignedOut()
        return user


def current_device(request) -> str | None:
    """The id of the device a request comes from: its access token's, or its browser session's."""
    token = getattr(request, "auth", None)
    if token is not None and hasattr(token, "get"):
        return token.get(auth_sessions.SESSION_ID_CLAIM)
    session = getattr(request, "session", None)
    return session.get(auth_sessions.SESSION_ID_KEY) if session is not None else None
