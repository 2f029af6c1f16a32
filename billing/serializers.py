"""Billing API shapes. They parse and render; the rules live in `billing.services`."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from billing import selectors
from billing.models import LessonPackage, Payment, PaymentEvent, Product


class PackageSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField()

    class Meta:
        model = LessonPackage
        fields = ["id", "lessons_total", "lessons_left", "status", "expires_at", "price", "currency"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=LessonPackage.Status.choices))
    def get_status(self, package: LessonPackage) -> str:
        return selectors.package_effective_status(package=package)


class PackageCreateSerializer(serializers.Serializer):
    student_id = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    lessons_total = serializers.IntegerField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(max_length=3)
    expires_at = serializers.DateTimeField()


class PackagesExpiredSerializer(serializers.Serializer):
    expired = serializers.IntegerField()


class PaymentSerializer(serializers.ModelSerializer):
    package_id = serializers.IntegerField(read_only=True, allow_null=True)
    product_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "product_id",
            "package_id",
            "amount",
            "currency",
            "status",
            "provider",
            "checkout_url",
            "paid_at",
            "refunded_amount",
            "refunded_at",
            "created_at",
        ]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    package_id = serializers.PrimaryKeyRelatedField(queryset=LessonPackage.objects.all())
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(max_length=3)


class PaymentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Payment.Status.choices)


class ProductSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True, help_text="In the reader's language.")
    description = serializers.CharField(read_only=True, help_text="In the reader's language.")

    class Meta:
        model = Product
        fields = ["id", "name", "description", "lessons", "validity_days", "price", "currency"]
        read_only_fields = fields


class CheckoutRequestSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)


class CheckoutSerializer(serializers.ModelSerializer):
    payment_id = serializers.IntegerField(source="pk", read_only=True)

    class Meta:
        model = Payment
        fields = ["payment_id", "checkout_url", "status", "amount", "currency", "provider"]
        read_only_fields = fields


class RefundSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)


class WebhookResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=PaymentEvent.Result.choices)
