"""Notifications API: /api/v1/notifications/... (thin)."""

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guitaronline.core.api import error_responses
from guitaronline.core.permissions import IsStaff
from notifications import preferences, selectors, services, telegram
from notifications.models import Notification
from notifications.serializers import (
    MarkedSerializer,
    MarkReadSerializer,
    NotificationSerializer,
    PreferencesSerializer,
    PreferencesUpdateSerializer,
    TelegramLinkSerializer,
)


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


class PreferencesApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        responses={200: PreferencesSerializer, **error_responses(401)},
        description="What the user is told, per kind (reminders, waitlist, series, changes) and channel "
        "(email, in_app, telegram when the school has a bot), the reminder times, and the Telegram link. "
        "Essential messages (address, password, receipts, cancelled lessons) always go out.",
    )
    def get(self, request):
        return Response(preferences.summary(request.user))

    @extend_schema(
        tags=["notifications"],
        request=PreferencesUpdateSerializer,
        responses={200: PreferencesSerializer, **error_responses(400, 401)},
        description="Change some choices; kinds and channels not named keep theirs. An unknown kind or "
        "channel is a 400 naming it.",
    )
    def patch(self, request):
        data = PreferencesUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        return Response(
            preferences.preferences_update(
                user=request.user, kinds=values.get("kinds"), reminder_hours=values.get("reminder_hours")
            )
        )


class TelegramLinkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["notifications"],
        request=None,
        responses={201: TelegramLinkSerializer, **error_responses(401, 404)},
        description="A one-time deep link to the school bot; opening it in Telegram and pressing Start links "
        "the chat to this account. 404 `telegram_unavailable` when the school has no bot.",
    )
    def post(self, request):
        url = telegram.link_start(user=request.user)
        return Response(
            {"url": url, "expires_in_minutes": settings.TELEGRAM_LINK_MINUTES}, status=status.HTTP_201_CREATED
        )

    @extend_schema(tags=["notifications"], responses={204: None, **error_responses(401)})
    def delete(self, request):
        telegram.unlink(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TelegramWebhookApi(APIView):
    """Telegram's calls: refused without the school's secret-token header.
    The bot's answer goes back in the response (a Bot API method call), so
    the webhook makes no outgoing request."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        tags=["notifications"],
        request=inline_serializer("TelegramUpdate", {"update_id": serializers.IntegerField()}),
        responses={200: None, **error_responses(403, 404)},
    )
    def post(self, request):
        telegram.webhook_verified(request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        reply = telegram.webhook_handle(request.data if isinstance(request.data, dict) else {})
        if reply is None:
            return Response({})
        return Response({"method": "sendMessage", "chat_id": reply.chat_id, "text": reply.text})
