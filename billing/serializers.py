"""Billing API shapes. They parse and render; the rules live in `billing.services`."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from billing import selectors
from billing.models import LessonPackage, Payment


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
    package_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Payment
        fields = ["id", "package_id", "amount", "currency", "status", "paid_at", "created_at"]
        read_only_fields = fields


class PaymentCreateSerializer(serializers.Serializer):
    package_id = serializers.PrimaryKeyRelatedField(queryset=LessonPackage.objects.all())
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField(max_length=3)


class PaymentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Payment.Status.choices)
