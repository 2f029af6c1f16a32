"""List filters of the billing API (`?status=`)."""

import django_filters

from billing.models import LessonPackage, Payment


class PackageFilter(django_filters.FilterSet):
    # The status as shown: an active package past `expires_at` filters as expired.
    status = django_filters.ChoiceFilter(field_name="effective_status", choices=LessonPackage.Status.choices)

    class Meta:
        model = LessonPackage
        fields = ["status"]


class PaymentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Payment.Status.choices)

    class Meta:
        model = Payment
        fields = ["status"]
