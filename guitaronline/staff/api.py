"""Staff API: /api/v1/admin/kpi/overview, /api/v1/admin/ops/overview,
/api/v1/audit/outbox/pending. Each overview read is recorded as an AdminAction."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import OutboxEvent
from audit.services import admin_action_record
from guitaronline.core.api import error_responses
from guitaronline.core.permissions import IsStaff
from guitaronline.staff import selectors

MAX_RETRIES_PARAMETER = OpenApiParameter(
    "max_retries", int, description="Failed events with at least this many attempts count as dead-letter (1-100)."
)


class MaxRetriesSerializer(serializers.Serializer):
    max_retries = serializers.IntegerField(min_value=1, max_value=100, default=selectors.DEFAULT_MAX_RETRIES)


def max_retries_from(request) -> int:
    params = MaxRetriesSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.validated_data["max_retries"]


class KpiOverviewApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["admin"],
        responses={
            200: inline_serializer("KpiOverview", {"users": serializers.DictField()}),
            **error_responses(401, 403),
        },
        description="Users by role, bookings, lessons, payments (with succeeded/refunded/net amounts per currency) "
        "and packages by status.",
    )
    def get(self, request):
        overview = selectors.kpi_overview()
        admin_action_record(actor=request.user, action="admin.kpi.view")
        return Response(overview)


class OpsOverviewApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["admin"],
        parameters=[MAX_RETRIES_PARAMETER],
        responses={
            200: inline_serializer("OpsOverview", {"outbox_pending": serializers.IntegerField()}),
            **error_responses(400, 401, 403),
        },
        description="Outbox pending, retryable and dead-letter failures, stale holds, overdue packages.",
    )
    def get(self, request):
        max_retries = max_retries_from(request)
        overview = selectors.ops_overview(max_retries=max_retries)
        admin_action_record(actor=request.user, action="admin.ops.view", payload={"max_retries": max_retries})
        return Response(overview)


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
        return OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).order_by("created_at")
