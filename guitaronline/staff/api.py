"""Staff API: /api/v1/admin/kpi/overview, /api/v1/admin/ops/overview and
/api/v1/admin/finance/overview.
Each overview read is recorded as an AdminAction."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import admin_action_record
from guitaronline.core.api import error_responses
from guitaronline.core.capabilities import Capability, StaffCan
from guitaronline.core.permissions import IsStaff
from guitaronline.staff import selectors


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
        return Response(overview.as_dict())


class OpsOverviewApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["admin"],
        responses={
            200: inline_serializer("OpsOverview", {"outbox_pending": serializers.IntegerField()}),
            **error_responses(401, 403),
        },
        description="Outbox pending, retryable and dead-letter failures (after OUTBOX_MAX_RETRIES attempts, "
        "given as `max_retries`), stale holds, overdue packages.",
    )
    def get(self, request):
        overview = selectors.ops_overview()
        admin_action_record(actor=request.user, action="admin.ops.view")
        return Response(overview)


class FinanceOverviewApi(APIView):
    permission_classes = [StaffCan.to(Capability.MANAGE_PAYMENTS)]

    @extend_schema(
        tags=["admin"],
        responses={
            200: inline_serializer(
                "FinanceOverview",
                {
                    "generated_at": serializers.DateTimeField(),
                    "months": serializers.DictField(
                        child=serializers.ListField(
                            child=inline_serializer(
                                "FinanceMonth",
                                {
                                    "month": serializers.CharField(help_text="YYYY-MM"),
                                    "revenue": serializers.DecimalField(max_digits=12, decimal_places=2),
                                    "refunds": serializers.DecimalField(max_digits=12, decimal_places=2),
                                },
                            )
                        ),
                        help_text="Per currency code, 12 months, oldest first.",
                    ),
                    "pending_older_than_a_day": inline_serializer(
                        "FinancePendingPayment",
                        {
                            "id": serializers.IntegerField(),
                            "student": serializers.EmailField(),
                            "amount": serializers.DecimalField(max_digits=12, decimal_places=2),
                            "currency": serializers.CharField(),
                            "provider": serializers.CharField(),
                            "created_at": serializers.DateTimeField(),
                        },
                        many=True,
                    ),
                    "mismatched_events": inline_serializer(
                        "FinanceMismatchedEvent",
                        {
                            "id": serializers.IntegerField(),
                            "provider": serializers.CharField(),
                            "event_id": serializers.CharField(),
                            "detail": serializers.CharField(),
                        },
                        many=True,
                    ),
                },
            ),
            **error_responses(401, 403),
        },
        description="Revenue and refunds per month per currency for the last 12 months (oldest first, empty "
        "months as 0.00), payments pending for more than a day, and notifications whose amount or currency did "
        "not match. For staff who manage payments.",
    )
    def get(self, request):
        overview = selectors.finance_overview()
        admin_action_record(actor=request.user, action="admin.finance.view")
        return Response(overview.as_dict())
