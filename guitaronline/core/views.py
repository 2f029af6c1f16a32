"""Site-wide views: landing page, probes, rate-limit and error pages."""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from guitaronline.core import dependencies
from guitaronline.core.api import error_body

logger = logging.getLogger(__name__)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def landing(request: HttpRequest) -> HttpResponse:
    return render(request, "landing.html")


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    """Readiness: 503 only when the database does not answer (the pod cannot
    serve pages). The cache and the broker are checked and shown, and a
    failure of theirs makes the status "degraded", still 200: their alerts
    come from /metrics."""
    checks = dependencies.states()
    down = [name for name, state in checks.items() if state != "ok"]
    unready = [name for name in down if name in dependencies.DECIDING]
    status = "unavailable" if unready else "degraded" if down else "ok"
    body: dict = {"status": status, "checks": checks, "deciding": list(dependencies.DECIDING)}
    if down:
        body["down"] = down
    return JsonResponse(body, status=503 if unready else 200)


def rate_limited(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Answer for a request stopped by django-ratelimit outside DRF (pages)."""
    from django.conf import settings

    response: HttpResponse
    if _is_api(request):
        response = JsonResponse(error_body("rate_limited", _("Too many requests. Try again later.")), status=429)
    else:
        response = render(request, "errors/429.html", status=429)
    response["Retry-After"] = str(settings.AUTH_RATE_LIMIT_WINDOW_SECONDS)
    return response


def _not_found_answer() -> JsonResponse:
    return JsonResponse(error_body("not_found", _("Not found.")), status=404)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _not_found_answer()
    return render(request, "errors/404.html", status=404)


@csrf_exempt  # a POST without a CSRF token would meet the CSRF page before this answer
def api_not_found(request: HttpRequest) -> JsonResponse:
    """/api and any path under /api/ that no route takes, with any method: the
    404 in the error shape. `handler404` does the same, but not when DEBUG is
    on: Django then answers with its HTML debug page."""
    return _not_found_answer()


def _standalone_page(template: str, *, status: int) -> HttpResponse:
    """An error page rendered without the request's context processors: they
    read the session and the user, which may be what just failed."""
    return HttpResponse(loader.render_to_string(template), status=status)


def _database_unavailable() -> bool:
    """Is the error being handled the database being out of reach?"""
    error = sys.exc_info()[1]
    return isinstance(error, (OperationalError, InterfaceError))


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or a 503 when the database is unreachable: a passing outage, from
    which the next request recovers by itself (CONN_HEALTH_CHECKS)."""
    if _database_unavailable():
        logger.error("database unavailable for %s %s", request.method, request.path)
        response: HttpResponse
        if _is_api(request):
            response = JsonResponse(
                error_body("service_unavailable", _("The service is briefly unavailable. Try again shortly.")),
                status=503,
            )
        else:
            response = _standalone_page("errors/503.html", status=503)
        response["Retry-After"] = "30"
        return response
    if _is_api(request):
        return JsonResponse(error_body("server_error", _("Internal server error.")), status=500)
    return _standalone_page("errors/500.html", status=500)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("permission_denied", _("Permission denied.")), status=403)
    return render(request, "errors/403.html", status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(error_body("bad_request", _("Bad request.")), status=400)
    return render(request, "errors/400.html", status=400)
