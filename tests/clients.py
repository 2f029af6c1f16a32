"""Clients acting as a user: the API's (a bearer token) and the pages' (a session)."""

from __future__ import annotations

from django.test import Client
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import User


def client_for(user) -> APIClient:
    """An API client sending `user`'s access token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


def signed_in(user, *, language: str | None = None) -> Client:
    """A client signed in as `user`; with `language`, the user's pages come in it."""
    if language is not None and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language
    client = Client()
    client.force_login(user)
    return client
