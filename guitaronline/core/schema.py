"""OpenAPI generation: every operation documents the errors the shared
machinery can give it, in the single error shape, so that clients (and the
fuzzer) can rely on the documented statuses being the complete list."""

from drf_spectacular import openapi
from rest_framework.permissions import AllowAny

from guitaronline.core.api import error_responses


class AutoSchema(openapi.AutoSchema):
    def _shared_errors(self) -> list[int]:
        errors = []
        if not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions()):
            errors += [401, 403]  # not signed in; signed in without the role
        if self._is_list_view() and self._get_paginator() is not None:
            errors += [400, 404]  # bad filter values; a page number past the end
        if getattr(self._handler(), "accepts_idempotency_key", False):
            errors += [400, 409]  # a malformed key; a key reused with another request
        return errors

    def _handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for status, response in error_responses(*self._shared_errors()).items():
            if str(status) not in responses:
                responses[str(status)] = self._get_response_for_code(response, str(status), direction=direction)
        return responses
