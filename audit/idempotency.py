"""`Idempotency-Key` for state-changing API POSTs.

A repeat of a request with the same user, key and body gets the first
answer again (header `Idempotent-Replayed: true`) without running twice; the
same key with another body or path is refused with 409
`idempotency_key_reused`. The record is inserted first, in the transaction
that runs the view: a concurrent repeat blocks on the unique key until the
first commits, then replays it. Only successful answers are kept; an error
rolls the record back with everything else, so a retry runs again.
"""

from __future__ import annotations

import functools
import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response

from audit.models import IdempotencyRecord
from guitaronline.core.errors import Conflict, InvalidInput

MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    type=str,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Optional. A repeat with the same key and body returns the first answer.",
)


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was already used for a different request.")


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    raw = f"{request.method}\n{request.path}\n{body}"
    return hashlib.sha256(raw.encode()).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise InvalidInput(
            details={"Idempotency-Key": [gettext("Use 1 to %(max)d printable characters.") % {"max": MAX_KEY_LENGTH}]}
        )
    return key


def _replay(record: IdempotencyRecord) -> Response:
    body = json.loads(record.response_body) if record.response_body else None
    return Response(body, status=record.response_status, headers={"Idempotent-Replayed": "true"})


def idempotent(handler):
    """Decorate a DRF view method (post) to honour `Idempotency-Key`."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = _key(request)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        fingerprint = _fingerprint(request)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        user=request.user,
                        key=key,
                        method=request.method,
                        path=request.path[:255],
                        request_hash=fingerprint,
                        response_status=0,
                    )
            except IntegrityError:
                record = IdempotencyRecord.objects.get(user=request.user, key=key)
                if record.request_hash != fingerprint:
                    raise IdempotencyKeyReused(details={"key": key})
                return _replay(record)

            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.response_status = response.status_code
                record.response_body = json.dumps(response.data, cls=DjangoJSONEncoder)
                record.save(update_fields=["response_status", "response_body"])
            else:
                record.delete()
            return response

    wrapper.accepts_idempotency_key = True  # type: ignore[attr-defined]  # a marker on the view function
    return wrapper
