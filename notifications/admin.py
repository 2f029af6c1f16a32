from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from audit.admin_actions import CapabilityAdmin, apply_service
from guitaronline.core.capabilities import Capability
from notifications import services
from notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(CapabilityAdmin):
    """Every e-mail's delivery state is visible here, so silent non-delivery cannot go unnoticed."""

    list_display = ["created_at", "event_type", "recipient", "channel", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "channel", "event_type"]
    search_fields = ["recipient__email", "subject", "event_type", "last_error"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Notification._meta.fields]
    actions = ["requeue"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected failed e-mails again"), permissions=[Capability.REQUEUE_MESSAGES])
    def requeue(self, request, queryset):
        def requeue_one(notification):
            services.notification_requeue(notification=notification, actor=request.user)  # records its admin action
            return True

        requeued = apply_service(self, request, queryset, requeue_one)
        self.message_user(request, _("%(count)d e-mail(s) requeued.") % {"count": requeued}, messages.SUCCESS)
