"""Reading what a page shows: its HTML, its visible text, its messages, its queries."""

from __future__ import annotations

import re
from html import unescape

from django.conf import settings
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's visible text: tags dropped, entities decoded, white space
    collapsed, and times kept together ("17:00–18:00")."""
    body = html(response)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"</?time[^>]*>", "", body)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def messages_of(response) -> list[str]:
    """The messages (django.contrib.messages) the response's request carried."""
    return [str(message) for message in get_messages(response.wsgi_request)]


def queries_of(client: Client, url: str) -> int:
    """How many queries a GET of `url` runs (it must answer 200)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse(settings.LOGIN_URL) + "?next=")


# The refusal of a student with no lesson left, as a page shows it: with the link to buy lessons.
NO_LESSONS_LEFT = 'You have no active lesson package with lessons left. <a href="/buy/">Buy lessons</a>'
