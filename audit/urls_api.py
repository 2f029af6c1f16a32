from django.urls import path

from audit import api

urlpatterns = [
    path("outbox/pending", api.OutboxPendingApi.as_view(), name="audit-outbox-pending"),
]
