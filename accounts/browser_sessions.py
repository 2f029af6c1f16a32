"""A browser's signed-in device: started when it signs in, ended when it signs
out, and checked on each of its requests, so that a device signed out from
elsewhere ("log out everywhere", a password change) is signed out here too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils.translation import gettext as _

from accounts import auth_sessions, services
from guitaronline.core.clients import client_ip, user_agent


@receiver(user_logged_in, dispatch_uid="accounts.browser_signed_in")
def _signed_in(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    if session.session_key is None:
        session.save()
    session[auth_sessions.SESSION_ID_KEY] = services.browser_signed_in(
        user=user,
        session_key=session.session_key,
        user_agent=user_agent(request),
        ip=client_ip(request),
    )
    session[auth_sessions.SESSION_KEY_KEY] = session.session_key


@receiver(user_logged_out, dispatch_uid="accounts.browser_signed_out")
def _signed_out(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if user is not None and session is not None:
        services.browser_signed_out(user=user, device=session.get(auth_sessions.SESSION_ID_KEY))


class BrowserSessionMiddleware:
    """Signs a browser out when its device has been signed out elsewhere (or
    its session predates devices: it signs in again once), and keeps the
    device's row on the session's current key."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        user_id = session.get(SESSION_KEY)
        if user_id is not None:
            device = session.get(auth_sessions.SESSION_ID_KEY)
            if device is None or not auth_sessions.in_use(
                session_id=device, user_id=user_id, ip=client_ip(request), session_key=session.session_key
            ):
                session.flush()  # not `logout`: the browser did not ask, nothing is to be recorded
                request.user = AnonymousUser()
                messages.info(request, _("You have been signed out on this device. Log in again to go on."))
            elif session.get(auth_sessions.SESSION_KEY_KEY) != session.session_key:
                auth_sessions.browser_rekey(session_id=device, session_key=session.session_key)
                session[auth_sessions.SESSION_KEY_KEY] = session.session_key
        return self.get_response(request)
