"""Billing API under /api/v1/billing/ (thin views over selectors and services)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from audit.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from audit.services import admin_action_record
from billing import selectors, services
from billing.filters import PackageFilter, PaymentFilter
from billing.models import LessonPackage, Payment
from billing.serializers import (
    PackageCreateSerializer,
    PackageSerializer,
    PackagesExpiredSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    PaymentStatusSerializer,
)
from guitaronline.core.api import error_responses
from guitaronline.core.capabilities import Capability, StaffCan
from guitaronline.core.permissions import IsStudent


class _ListMixin:
    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(self.filter_queryset(queryset))
        return self.get_paginated_response(serializer_class(page, many=True).data)


@extend_schema(tags=["billing"])
class PackageViewSet(_ListMixin, viewsets.GenericViewSet):
    """Lesson packages. Students read their own; staff read all and create."""

    queryset = LessonPackage.objects.none()  # for the schema; reads go through selectors
    serializer_class = PackageSerializer
    filterset_class = PackageFilter

    def get_permissions(self):
        if self.action == "create":
            return [StaffCan.to(Capability.MANAGE_PACKAGES)()]
        if self.action == "expire":
            return [StaffCan.to(Capability.EXPIRE_OVERDUE)()]
        if self.action == "my":
            return [IsStudent()]
        return [permissions.IsAuthenticated()]

    @extend_schema(responses={200: PackageSerializer(many=True), **error_responses(400, 401, 403, 404)})
    @action(detail=False, methods=["get"])
    def my(self, request):
        return self.paginated(selectors.package_list_for_student(student=request.user), PackageSerializer)

    @extend_schema(
        parameters=[OpenApiParameter("student_id", int, OpenApiParameter.PATH, description="The student's user id")],
        responses={200: PackageSerializer(many=True), **error_responses(400, 401, 404)},
    )
    @action(detail=False, methods=["get"], url_path=r"students/(?P<student_id>[^/.]+)", url_name="student")
    def student(self, request, student_id=None):
        student = selectors.student_for_user(user=request.user, student_id=student_id)
        return self.paginated(selectors.package_list_for_student(student=student), PackageSerializer)

    @extend_schema(responses={200: PackageSerializer, **error_responses(401, 404)})
    def retrieve(self, request, pk=None):
        return Response(PackageSerializer(selectors.package_for_user(user=request.user, package_id=pk)).data)

    @extend_schema(
        request=PackageCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: PackageSerializer, **error_responses(400, 401, 403, 409)},
    )
    @idempotent
    def create(self, request):
        data = PackageCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        package = services.package_create(
            student=values["student_id"],
            lessons_total=values["lessons_total"],
            price=values["price"],
            currency=values["currency"],
            expires_at=values["expires_at"],
            actor=request.user,
        )
        return Response(PackageSerializer(package).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: PackagesExpiredSerializer, **error_responses(401, 403)})
    @action(detail=False, methods=["post"])
    def expire(self, request):
        """Persist `expired` for every active package past its expiry (the periodic job, on demand)."""
        expired = services.packages_expire_overdue(actor=request.user)
        admin_action_record(actor=request.user, action="admin.packages.expire", payload={"expired": expired})
        return Response({"expired": expired})


@extend_schema(tags=["billing"])
class PaymentViewSet(_ListMixin, viewsets.GenericViewSet):
    """Payments for lesson packages. Staff record them; students read their own."""

    queryset = Payment.objects.none()  # for the schema; reads go through selectors
    serializer_class = PaymentSerializer
    filterset_class = PaymentFilter

    def get_permissions(self):
        if self.action in ("create", "set_status"):
            return [StaffCan.to(Capability.MANAGE_PAYMENTS)()]
        if self.action == "my":
            return [IsStudent()]
        return [permissions.IsAuthenticated()]

    @extend_schema(responses={200: PaymentSerializer(many=True), **error_responses(400, 401, 403, 404)})
    @action(detail=False, methods=["get"])
    def my(self, request):
        return self.paginated(selectors.payments_list_for_user(user=request.user), PaymentSerializer)

    @extend_schema(responses={200: PaymentSerializer, **error_responses(401, 404)})
    def retrieve(self, request, pk=None):
        return Response(PaymentSerializer(selectors.payment_for_user(user=request.user, payment_id=pk)).data)

    @extend_schema(
        request=PaymentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: PaymentSerializer, **error_responses(400, 401, 403, 409, 502)},
    )
    @idempotent
    def create(self, request):
        data = PaymentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        payment = services.payment_create(
            package=values["package_id"], amount=values["amount"], currency=values["currency"], actor=request.user
        )
        return Response(PaymentSerializer(payment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=PaymentStatusSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: PaymentSerializer, **error_responses(400, 401, 403, 404, 409, 502)},
    )
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    @idempotent
    def set_status(self, request, pk=None):
        data = PaymentStatusSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = selectors.payment_for_user(user=request.user, payment_id=pk)
        payment = services.payment_set_status(payment=payment, status=data.validated_data["status"], actor=request.user)
        return Response(PaymentSerializer(payment).data)
