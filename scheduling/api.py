"""Scheduling API: a teacher adds slots, single or weekly (thin views over
services). What needs to know whether a slot is taken (the open-slot listing,
a teacher's slots with `taken`, removing a slot) is served by booking under
the same /api/v1/scheduling/ paths (`booking.urls_api_slots`)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from guitaronline.core.api import error_responses
from guitaronline.core.permissions import IsTeacher
from scheduling import services
from scheduling.serializers import (
    RecurringResultSerializer,
    SlotCreateSerializer,
    SlotRecurringSerializer,
    SlotSerializer,
)


class SlotCreateApi(APIView):
    permission_classes = [IsTeacher]

    @extend_schema(
        tags=["scheduling"],
        request=SlotCreateSerializer,
        responses={201: SlotSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        data = SlotCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = services.slot_create(teacher=request.user, **data.validated_data)
        return Response(SlotSerializer(slot).data, status=status.HTTP_201_CREATED)


class SlotRecurringApi(APIView):
    """Weekly slots from wall-clock times in the teacher's time zone."""

    permission_classes = [IsTeacher]

    @extend_schema(
        tags=["scheduling"],
        request=SlotRecurringSerializer,
        responses={201: RecurringResultSerializer, **error_responses(400, 401, 403, 409)},
    )
    def post(self, request):
        data = SlotRecurringSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.slot_create_recurring(teacher=request.user, **data.validated_data)
        return Response(RecurringResultSerializer(result).data, status=status.HTTP_201_CREATED)
