"""Audit API: /api/v1/audit/outbox/pending (thin)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

from audit import selectors
from audit.models import OutboxEvent
from guitaronline.core.api import error_responses
from guitaronline.core.permissions import IsStaff


class OutboxEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = OutboxEvent
        fields = [
            "id",
            "event_type",
            "aggregate_type",
            "aggregate_id",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_error",
            "created_at",
        ]


@extend_schema(tags=["admin"], responses={200: OutboxEventSerializer(many=True), **error_responses(401, 403)})
class OutboxPendingApi(ListAPIView):
    """Outbox events not yet processed, oldest first."""

    permission_classes = [IsStaff]
    serializer_class = OutboxEventSerializer

    def get_queryset(self):
        return selectors.outbox_pending()
