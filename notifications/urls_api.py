from django.urls import path

from notifications import api

urlpatterns = [
    path("my", api.MyNotificationsApi.as_view(), name="notifications-my"),
    path("my/read", api.MarkReadApi.as_view(), name="notifications-mark-read"),
    path("delivery/metrics", api.DeliveryMetricsApi.as_view(), name="notifications-delivery-metrics"),
]
