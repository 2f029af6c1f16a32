"""Booking API: /api/v1/booking/... (thin: parse, call one service, render)."""

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import admin_action_record
from booking import selectors, services
from booking.models import Booking
from booking.serializers import (
    BookingSerializer,
    ExpiredCountSerializer,
    HoldRequestSerializer,
    RescheduleRequestSerializer,
)
from guitaronline.core.api import error_responses
from guitaronline.core.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from guitaronline.core.permissions import IsStaff, IsStudent


def _render(booking: Booking, *, code: int = status.HTTP_200_OK) -> Response:
    """Re-read through the selector so every answer has the same shape."""
    fresh = selectors.with_effective_status(
        Booking.objects.select_related("slot", "rescheduled_to").filter(Q(pk=booking.pk))
    ).get()
    return Response(BookingSerializer(fresh).data, status=code)


class HoldApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["booking"],
        request=HoldRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BookingSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Hold an open slot. 409 `slot_unavailable`, `slot_too_soon` or `no_active_package`.",
    )
    @idempotent
    def post(self, request):
        data = HoldRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_hold(student=request.user, slot_id=data.validated_data["slot_id"])
        return _render(booking, code=status.HTTP_201_CREATED)


class ConfirmApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: BookingSerializer, **error_responses(401, 403, 404, 409)},
        description="Confirm a live hold (owner student). 409 `hold_expired`, `booking_not_active`, "
        "`no_active_package`.",
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = selectors.booking_for_user(user=request.user, booking_id=booking_id)
        return _render(services.booking_confirm(booking=booking, actor=request.user))


class CancelApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=None,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: BookingSerializer, **error_responses(401, 403, 404, 409)},
        description="Cancel (owner student, the slot's teacher, staff). `lesson_returned` tells whether the "
        "lesson went back to the package.",
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = selectors.booking_for_user(user=request.user, booking_id=booking_id)
        return _render(services.booking_cancel(booking=booking, actor=request.user))


class RescheduleApi(APIView):
    @extend_schema(
        tags=["booking"],
        request=RescheduleRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: BookingSerializer, **error_responses(400, 401, 403, 404, 409)},
        description="Cancel this confirmed booking and confirm `new_slot_id` instead, in one step. A retry "
        "returns the same new booking.",
    )
    @idempotent
    def post(self, request, booking_id: int):
        booking = selectors.booking_for_user(user=request.user, booking_id=booking_id)
        # the service checks who may reschedule before it reads the new slot id
        new_slot_id = request.data.get("new_slot_id") if isinstance(request.data, dict) else None
        successor = services.booking_reschedule(booking=booking, new_slot_id=new_slot_id, actor=request.user)
        return _render(successor, code=status.HTTP_201_CREATED)


class BookingDetailApi(APIView):
    @extend_schema(tags=["booking"], responses={200: BookingSerializer, **error_responses(401, 404)})
    def get(self, request, booking_id: int):
        return Response(BookingSerializer(selectors.booking_for_user(user=request.user, booking_id=booking_id)).data)


@extend_schema(
    tags=["booking"],
    parameters=[OpenApiParameter("status", str, enum=[s.value for s in Booking.Status])],
    responses={200: BookingSerializer(many=True), **error_responses(401)},
)
class MyBookingsApi(ListAPIView):
    """Own bookings (a teacher: the bookings of their slots)."""

    permission_classes = [IsAuthenticated]
    serializer_class = BookingSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Booking.objects.none()
        status_filter = serializers.ChoiceField(choices=Booking.Status.choices, required=False, allow_blank=True)
        try:
            status = status_filter.run_validation(self.request.query_params.get("status", ""))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"status": exc.detail}) from exc
        return selectors.bookings_for_user(user=self.request.user, status=status or None)


class ExpireHoldsApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(tags=["booking"], request=None, responses={200: ExpiredCountSerializer, **error_responses(401, 403)})
    def post(self, request):
        expired = services.bookings_expire_holds(actor=request.user)
        admin_action_record(actor=request.user, action="admin.holds.expire", payload={"expired": expired})
        return Response({"expired": expired})
