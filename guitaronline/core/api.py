"""Shared API plumbing: the single error shape, pagination, schema helpers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.exceptions import Ratelimited
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from guitaronline.core.errors import ApplicationError
from guitaronline.core.parsers import JSONParseError
from guitaronline.core.times import in_zone


def error_body(code: str, message: Any, details: Any = None) -> dict:
    return {"error": {"code": code, "message": str(message), "details": details}}


def _rate_limited_response() -> Response:
    from django.conf import settings

    response = Response(error_body("rate_limited", _("Too many requests. Try again later.")), status=429)
    response["Retry-After"] = str(settings.AUTH_RATE_LIMIT_WINDOW_SECONDS)
    return response


def _api_exception_code(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict) and isinstance(detail.get("code"), str):
        return str(detail["code"])
    codes = exc.get_codes()
    if isinstance(codes, str):
        return codes
    return exc.default_code


def _api_exception_message(exc: exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict) and "detail" in detail:
        return str(detail["detail"])
    if isinstance(detail, str):
        return detail
    return str(exc.default_detail)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Map every error an API view can raise to `{"error": {...}}`."""
    if isinstance(exc, Ratelimited):
        return _rate_limited_response()
    if isinstance(exc, ApplicationError):
        set_rollback()
        response = Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
        if exc.retry_after is not None:
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        set_rollback()
        return Response(error_body("validation_error", _("Invalid input."), details), status=400)
    if isinstance(exc, (Http404, ObjectDoesNotExist)):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if auth_header := getattr(exc, "auth_header", None):  # NotAuthenticated, AuthenticationFailed
        headers["WWW-Authenticate"] = auth_header
    if wait := getattr(exc, "wait", None):  # Throttled
        headers["Retry-After"] = str(int(wait))
    set_rollback()

    if isinstance(exc, exceptions.ValidationError):
        return Response(
            error_body("validation_error", _("Invalid input."), exc.detail),
            status=exc.status_code,
            headers=headers,
        )
    if isinstance(exc, exceptions.Throttled):
        return Response(
            error_body("rate_limited", _("Too many requests. Try again later.")),
            status=429,
            headers=headers,
        )
    parse_details: dict[str, Any] | None = exc.details if isinstance(exc, JSONParseError) else None
    return Response(
        error_body(_api_exception_code(exc), _api_exception_message(exc), parse_details),
        status=exc.status_code,
        headers=headers,
    )


class ZonedDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, put on the viewer's clock with `in_zone`: an
    instant the viewer's zone cannot hold (a row stored at the very end or
    start of the calendar) is given in UTC, with its offset, where DRF would
    fail the whole answer with "Datetime value out of range"."""

    def enforce_timezone(self, value):
        zone = self.timezone if hasattr(self, "timezone") else self.default_timezone()
        if zone is not None and timezone.is_aware(value):
            return in_zone(value, zone)
        return super().enforce_timezone(value)


class Pagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.JSONField(allow_null=True)


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


def error_responses(*statuses: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses in the single error shape for the given statuses."""
    descriptions = {
        400: "Invalid input (`validation_error`).",
        401: "Not signed in, token invalid, or its device signed out "
        "(`not_authenticated`, `token_not_valid`, `session_ended`).",
        403: "Not allowed (`permission_denied`).",
        404: "Not found or not yours (`not_found`).",
        409: "Conflicts with the current state.",
        429: "Too many requests (`rate_limited`).",
    }
    return {status: OpenApiResponse(ErrorSerializer, description=descriptions.get(status, "")) for status in statuses}
