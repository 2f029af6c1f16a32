"""The one domain error class and its common cases.

Services raise these; the DRF exception handler turns them into the single
error shape and page views into form errors or messages.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    code = "application_error"
    status_code = 400
    default_message = _("The request could not be completed.")
    # Where a person can put it right, for pages: (URL name, label), e.g. the page that sells lessons.
    link: tuple[str, Any] | None = None
    # Seconds until asking again makes sense (a refusal for now, 429): the API's Retry-After.
    retry_after: int | None = None

    def __init__(self, message: Any = None, *, details: Any = None, code: str | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.details = details
        if code is not None:
            self.code = code
        super().__init__(str(self.message))


class InvalidInput(ApplicationError):
    code = "validation_error"
    status_code = 400
    default_message = _("Invalid input.")


class NotFound(ApplicationError):
    code = "not_found"
    status_code = 404
    default_message = _("Not found.")


class Forbidden(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = _("You do not have permission to perform this action.")


class Conflict(ApplicationError):
    code = "conflict"
    status_code = 409
    default_message = _("The request conflicts with the current state.")
