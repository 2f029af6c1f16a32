"""The request of a page or API view that only signed-in users reach."""

from __future__ import annotations

from django.http import HttpRequest

from accounts.models import User


class SignedInRequest(HttpRequest):
    """An `HttpRequest` whose `user` is a `User`: what a view behind
    `login_required` (or the area guards built on it) receives. For the type
    checker only; at run time the view gets Django's own request."""

    user: User  # narrowed from User | AnonymousUser
