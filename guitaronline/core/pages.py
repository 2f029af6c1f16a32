"""What every app's pages share: who may open a role's area, and how a
service's answer becomes what a person sees.

- `area_page("student" | "teacher")` guards the pages of one role's area: a
  visitor is sent to log in, and a signed-in user of another role gets a page
  that says whose area this is, with a link to their own (403).
- `NotFoundAsPageMiddleware`: an access helper's `NotFound` raised by any page
  becomes the 404 page, and a service's `Forbidden` the 403 page. Views do not
  catch either (the API has its own exception handler).
- `form_errors` puts a service's refusal on a form (per field where it names
  fields); `error_messages` shows it as messages.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from guitaronline.core.errors import ApplicationError, Forbidden, NotFound

AREAS = {
    "student": _("This area is for students"),
    "teacher": _("This area is for teachers"),
}


def area_page(role: str) -> Callable:
    """Decorate a page view of `role`'s area (`user.is_student`, `user.is_teacher`)."""
    if role not in AREAS:
        raise ValueError(f"unknown area {role!r}")

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not getattr(request.user, f"is_{role}"):
                return render(request, "errors/wrong_area.html", {"area": AREAS[role]}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


class NotFoundAsPageMiddleware:
    """`NotFound` from a page view becomes the 404 page, `Forbidden` the 403
    page: one adapter for every app's pages (access helpers answer the same
    for "not yours" and "does not exist")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotFound):
            raise Http404 from exception
        if isinstance(exception, Forbidden):
            raise PermissionDenied from exception
        return None


def _field_messages(error: ApplicationError) -> dict[str, list[str]]:
    """The error's messages by field: details entries that are lists of
    messages, as invalid input and refused fields carry them (other details,
    such as `{"status": "expired"}`, are data, not messages)."""
    details = error.details if isinstance(error.details, dict) else {}
    return {name: [str(text) for text in found] for name, found in details.items() if isinstance(found, list)}


def form_errors(form: forms.BaseForm, error: ApplicationError, field_map: dict[str, str] | None = None) -> None:
    """Show a service's refusal on `form`: on each field it names
    (`field_map` renames service fields to form fields), else on the form."""
    field_map = field_map or {}
    placed = False
    for name, found in _field_messages(error).items():
        field = field_map.get(name, name)
        for message in found:
            form.add_error(field if field in form.fields else None, message)
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


def error_messages(request: HttpRequest, error: ApplicationError, *, sentence: str = "%(reason)s", **values) -> None:
    """Show a service's refusal as error messages in the user's language:
    its field messages (they say more), else its message.
    Each is put into `sentence` as `%(reason)s`, beside `values` (e.g. a
    translated "The slot of %(when)s was not removed: %(reason)s", when=...)."""
    reasons = [text for texts in _field_messages(error).values() for text in texts] or [str(error.message)]
    for reason in reasons:
        text = sentence % {**values, "reason": reason}
        if error.link is not None:  # where to put it right, as a link after the sentence
            url_name, label = error.link
            text = format_html('{} <a href="{}">{}</a>', text, reverse(url_name), label)
        messages.error(request, text)
