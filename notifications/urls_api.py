from django.urls import path

from notifications import api

urlpatterns = [
    path("my", api.MyNotificationsApi.as_view(), name="notifications-my"),
    path("my/read", api.MarkReadApi.as_view(), name="notifications-mark-read"),
    path("preferences", api.PreferencesApi.as_view(), name="notifications-preferences"),
    path("telegram/link", api.TelegramLinkApi.as_view(), name="notifications-telegram-link"),
    path("telegram/webhook", api.TelegramWebhookApi.as_view(), name="notifications-telegram-webhook"),
    path("delivery/metrics", api.DeliveryMetricsApi.as_view(), name="notifications-delivery-metrics"),
]
