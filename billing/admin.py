"""Billing in the Django admin.

Staff add packages and record payments through the same services as the API
(the add forms call them, service errors show on the form); statuses are
read-only here and change only through the admin actions, which call
services too and record an `AdminAction`.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from audit.admin_actions import (
    CapabilityAdmin,
    ReadOnlyAdmin,
    ServiceAddAdmin,
    ServiceAddForm,
    action_form_page,
    apply_service,
)
from audit.services import admin_action_record
from billing import payments, selectors, services
from billing.models import LessonPackage, Payment, PaymentEvent, Product
from guitaronline.core.capabilities import Capability


class PackageAddForm(ServiceAddForm):
    class Meta:
        model = LessonPackage
        fields = ["student", "lessons_total", "price", "currency", "expires_at"]

    def create(self, data: dict) -> LessonPackage:
        return services.package_create(actor=self.actor, **data)


class PaymentAddForm(ServiceAddForm):
    class Meta:
        model = Payment
        fields = ["package", "amount", "currency"]

    def create(self, data: dict) -> Payment:
        return payments.payment_create(actor=self.actor, **data)


class PaymentInline(admin.TabularInline):
    model = Payment
    fields = readonly_fields = (
        "id",
        "amount",
        "currency",
        "status",
        "provider",
        "provider_reference",
        "paid_at",
        "created_at",
    )
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LessonPackage)
class LessonPackageAdmin(ServiceAddAdmin):
    add_form = PackageAddForm
    add_capability = Capability.MANAGE_PACKAGES
    list_display = [
        "id",
        "student",
        "lessons_left",
        "lessons_total",
        "shown_status",
        "expires_at",
        "price",
        "currency",
        "created_at",
    ]
    list_display_links = ["id", "student"]
    list_filter = ["status", "currency", "expires_at", "created_at"]
    search_fields = ["=id", "student__email", "student__full_name"]
    list_select_related = ["student"]
    autocomplete_fields = ["student"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    detail_readonly_fields = [
        "student",
        "lessons_total",
        "lessons_left",
        "price",
        "currency",
        "expires_at",
        "status",
        "shown_status",
        "created_at",
        "updated_at",
    ]
    inlines = [PaymentInline]
    actions = ["expire_overdue", "cancel_packages"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description=_("status (as shown)"))
    def shown_status(self, package: LessonPackage) -> str:
        """`expired` for an active package past its expiry, before the job persisted it."""
        return str(LessonPackage.Status(selectors.package_effective_status(package=package)).label)

    @admin.action(description=_("Expire selected packages that are overdue"), permissions=[Capability.EXPIRE_OVERDUE])
    def expire_overdue(self, request, queryset):
        expired = 0
        for package in queryset:
            with transaction.atomic():
                if services.package_expire(package=package, actor=request.user):
                    expired += 1
                    admin_action_record(actor=request.user, action="admin.billing.package_expired", target=package)
        self.message_user(
            request,
            # The English text stays "(s)" in both forms, as before; Russian gets real plural forms.
            ngettext("%(count)d package(s) expired.", "%(count)d package(s) expired.", expired) % {"count": expired},
            messages.SUCCESS,
        )

    @admin.action(description=_("Cancel selected packages"), permissions=[Capability.MANAGE_PACKAGES])
    def cancel_packages(self, request, queryset):
        def cancel(package):
            before = package.status  # the service updates the instance too
            return services.package_cancel(package=package, actor=request.user).status != before

        canceled = apply_service(self, request, queryset, cancel, admin_action="admin.billing.package_canceled")
        self.message_user(
            request,
            ngettext("%(count)d package canceled.", "%(count)d packages canceled.", canceled) % {"count": canceled},
            messages.SUCCESS,
        )


@admin.register(Payment)
class PaymentAdmin(ServiceAddAdmin):
    """Payments: recorded by hand for a package (add), bought through a
    checkout, or sold at the desk (products' action). Finance settles offline
    money (received or not) and refunds (the whole amount of an unused
    package; for a used one, the amount entered), each through its service."""

    add_form = PaymentAddForm
    add_capability = Capability.MANAGE_PAYMENTS
    list_display = [
        "id",
        "student",
        "product",
        "package",
        "amount",
        "currency",
        "status",
        "refunded_amount",
        "provider",
        "provider_reference",
        "paid_at",
        "created_at",
    ]
    list_display_links = ["id"]
    list_filter = ["status", "provider", "currency", "paid_at", "created_at"]
    search_fields = ["=id", "provider_reference", "student__email", "student__full_name"]
    list_select_related = ["student", "product", "package"]
    autocomplete_fields = ["package"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    detail_readonly_fields = [
        "student",
        "product",
        "package",
        "amount",
        "currency",
        "status",
        "provider",
        "provider_reference",
        "checkout_url",
        "paid_at",
        "refunded_amount",
        "refunded_at",
        "created_at",
        "updated_at",
    ]
    actions = ["mark_received", "mark_failed", "refund_payments"]

    def _settle(self, request, queryset, *, succeeded: bool) -> int:
        def settle(payment):
            before = payment.status  # the service updates the instance too
            return payments.payment_settle(payment=payment, succeeded=succeeded, actor=request.user).status != before

        action = "admin.billing.payment_received" if succeeded else "admin.billing.payment_failed"
        return apply_service(self, request, queryset, settle, admin_action=action)

    @admin.action(description=_("Mark received (the package is created)"), permissions=[Capability.MANAGE_PAYMENTS])
    def mark_received(self, request, queryset):
        settled = self._settle(request, queryset, succeeded=True)
        self.message_user(
            request,
            ngettext("%(count)d payment marked received.", "%(count)d payments marked received.", settled)
            % {"count": settled},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark failed (no money came)"), permissions=[Capability.MANAGE_PAYMENTS])
    def mark_failed(self, request, queryset):
        settled = self._settle(request, queryset, succeeded=False)
        self.message_user(
            request,
            ngettext("%(count)d payment marked failed.", "%(count)d payments marked failed.", settled)
            % {"count": settled},
            messages.SUCCESS,
        )

    @admin.action(description=_("Refund selected payments"), permissions=[Capability.MANAGE_PAYMENTS])
    def refund_payments(self, request, queryset):
        """A page that asks the amount (blank: the whole of an unused
        package), then refunds each payment through its provider."""
        form = RefundForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return action_form_page(
                self,
                request,
                template="admin/billing/refund.html",
                title=_("Refund payments"),
                objects=queryset.select_related("student", "package"),
                form=form,
                action="refund_payments",
            )

        def refund(payment):
            before = payment.status  # the service updates the instance too
            amount = form.cleaned_data["amount"]
            return payments.payment_refund(payment=payment, actor=request.user, amount=amount).status != before

        refunded = apply_service(self, request, queryset, refund, admin_action="admin.billing.payment_refunded")
        self.message_user(
            request,
            # The English text stays "(s)" in both forms, as before; Russian gets real plural forms.
            ngettext("%(count)d payment(s) refunded.", "%(count)d payment(s) refunded.", refunded)
            % {"count": refunded},
            messages.SUCCESS,
        )
        return None


class RefundForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to refund"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text=_("Leave empty to refund the whole amount of a package with no lesson used."),
    )


class SellForm(forms.Form):
    student = forms.ModelChoiceField(
        label=_("Student"), queryset=User.objects.filter(role=Role.STUDENT, is_active=True).order_by("email")
    )


@admin.register(Product)
class ProductAdmin(CapabilityAdmin):
    """The catalogue. Products are never deleted (payments keep them): take
    one off sale instead."""

    list_display = ["name_en", "name_ru", "lessons", "validity_days", "price", "currency", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "currency"]
    search_fields = ["name_en", "name_ru"]
    ordering = ["position", "id"]
    actions = ["sell_offline"]

    def has_add_permission(self, request):
        return self.has_capability(request, Capability.MANAGE_PACKAGES)

    def has_change_permission(self, request, obj=None):
        return self.has_capability(request, Capability.MANAGE_PACKAGES)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return self.has_view_permission(request) or super().has_module_permission(request)

    def save_model(self, request, obj, form, change):
        services.product_save(product=obj, actor=request.user)

    @admin.action(description=_("Sell to a student who paid at the desk"), permissions=[Capability.MANAGE_PAYMENTS])
    def sell_offline(self, request, queryset):
        """A page that asks the student, then sells each selected product:
        the payment (received) and the package at once."""
        form = SellForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return action_form_page(
                self,
                request,
                template="admin/billing/sell.html",
                title=_("Sell lessons paid at the desk"),
                objects=queryset,
                form=form,
                action="sell_offline",
            )
        student = form.cleaned_data["student"]

        def sell(product):
            payments.product_sell_offline(product=product, student=student, actor=request.user)
            return True

        sold = apply_service(self, request, queryset, sell, admin_action="admin.billing.product_sold")
        self.message_user(
            request,
            ngettext("%(count)d package sold to %(student)s.", "%(count)d packages sold to %(student)s.", sold)
            % {"count": sold, "student": student},
            messages.SUCCESS,
        )
        return None


@admin.register(PaymentEvent)
class PaymentEventAdmin(ReadOnlyAdmin):
    """Every notification a provider sent, whatever came of it."""

    list_display = ["created_at", "provider", "event_type", "event_id", "payment", "result", "detail"]
    list_filter = ["provider", "result", "event_type"]
    search_fields = ["event_id", "event_type", "detail"]
    list_select_related = ["payment"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in PaymentEvent._meta.fields]

    def has_view_permission(self, request, obj=None):
        return self.has_capability(request, Capability.MANAGE_PAYMENTS)

    def has_module_permission(self, request):
        return self.has_view_permission(request) or super().has_module_permission(request)
