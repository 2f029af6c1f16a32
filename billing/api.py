"""Billing API under /api/v1/billing/ (thin views over selectors and services)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.idempotency import IDEMPOTENCY_KEY_PARAMETER, idempotent
from audit.services import admin_action_record
from billing import payments, selectors, services
from billing.filters import PackageFilter, PaymentFilter
from billing.models import LessonPackage, Payment
from billing.serializers import (
    CheckoutRequestSerializer,
    CheckoutSerializer,
    PackageCreateSerializer,
    PackageSerializer,
    PackagesExpiredSerializer,
    PaymentCreateSerializer,
    PaymentSerializer,
    PaymentStatusSerializer,
    ProductSerializer,
    RefundSerializer,
    WebhookResultSerializer,
)
from guitaronline.core.api import error_responses
from guitaronline.core.capabilities import Capability, StaffCan
from guitaronline.core.permissions import IsStudent


class _ListMixin(GenericAPIView):
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
        payment = payments.payment_create(
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
        payment = payments.payment_set_status(payment=payment, status=data.validated_data["status"], actor=request.user)
        return Response(PaymentSerializer(payment).data)

    @extend_schema(
        request=RefundSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={200: PaymentSerializer, **error_responses(400, 401, 403, 404, 409, 503)},
        description="Refund a succeeded payment through its provider and cancel the lessons its package has "
        "left. `amount` may be left out for a package with no lesson used (the whole amount); it can never "
        "exceed what was paid (400 `refund_too_large`).",
    )
    @action(detail=True, methods=["post"], url_path="refund", url_name="refund")
    @idempotent
    def refund(self, request, pk=None):
        data = RefundSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment = selectors.payment_for_user(user=request.user, payment_id=pk)
        payment = payments.payment_refund(payment=payment, actor=request.user, amount=data.validated_data.get("amount"))
        return Response(PaymentSerializer(payment).data)


@extend_schema(tags=["billing"], responses={200: ProductSerializer(many=True)})
class ProductListApi(ListAPIView):
    """The products on sale, in their display order, named in the reader's language."""

    permission_classes = [AllowAny]
    serializer_class = ProductSerializer

    def get_queryset(self):
        return selectors.products_on_sale()


class CheckoutApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        tags=["billing"],
        request=CheckoutRequestSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={
            201: CheckoutSerializer,
            200: CheckoutSerializer,
            **error_responses(400, 401, 403, 404, 409, 503),
        },
        description="Buy a product: a pending payment whose amount and currency are the product's, and the "
        "address where the student pays (`checkout_url`; empty offline, where the school's instructions "
        "apply). The package comes when the provider confirms the payment. A checkout still pending for "
        "the same product comes back (200). 404 for an unknown product, 409 `product_unavailable` for one "
        "off sale, 503 `payment_provider_unavailable` when the provider does not answer (nothing written).",
    )
    @idempotent
    def post(self, request):
        data = CheckoutRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment, created = payments.product_checkout(student=request.user, product_id=data.validated_data["product_id"])
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(CheckoutSerializer(payment).data, status=code)


class WebhookApi(APIView):
    """A provider's notifications: no login, no CSRF; genuine ones only (the
    provider's signature, or the payment fetched back from the provider)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["billing"],
        request=None,
        responses={200: WebhookResultSerializer, **error_responses(400, 404, 503)},
        description="200 once the notification is recorded (a replay or an unknown payment changes nothing); "
        "400 `webhook_rejected` when it cannot be verified (nothing recorded); 404 for a provider we do not "
        "know; 503 when the provider must be asked to verify it and does not answer.",
    )
    def post(self, request, provider: str):
        event = payments.webhook_receive(provider_name=provider, body=request.body, headers=request.headers)
        return Response({"result": event.result})
