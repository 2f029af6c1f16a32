"""Notifications API: /api/v1/notifications/... (thin)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guitaronline.core.api import error_responses
from guitaronline.core.permissions import IsStaff
from notifications import selectors, services
from notifications.models import Notification
from notifications.serializers import MarkedSerializer, MarkReadSerializer, NotificationSerializer


@extend_schema(
    tags=["notifications"],
    parameters=[OpenApiParameter("unread", bool, description="true: only unread; false: only read")],
    responses={200: NotificationSerializer(many=True), **error_responses(400, 401)},
)
class MyNotificationsApi(ListAPIView):
    """The signed-in user's in-app notifications, newest first."""

    permission_classes = [IsAuthenticated]
    serializer_class = NotificationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return Notification.objects.none()
        unread = serializers.BooleanField(allow_null=True).to_internal_value(
            self.request.query_params.get("unread", "null")
        )
        return selectors.notifications_for_user(user=self.request.user, unread=unread)


class MarkReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        request=MarkReadSerializer,
        responses={200: MarkedSerializer, **error_responses(400, 401)},
        description="Mark own notifications read: the given `ids`, or all when none are given.",
    )
    def post(self, request):
        data = MarkReadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(user=request.user, notification_ids=data.validated_data.get("ids"))
        return Response({"marked": marked})


class DeliveryMetricsApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["notifications"],
        responses={
            200: inline_serializer("DeliveryMetrics", {"notifications": serializers.DictField()}),
            **error_responses(401, 403),
        },
        description="Notification totals by status, e-mail retryable vs dead-letter failures (after "
        "OUTBOX_MAX_RETRIES attempts), the outbox queue.",
    )
    def get(self, request):
        return Response(selectors.delivery_metrics())
