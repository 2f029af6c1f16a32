from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from audit import services
from audit.admin_actions import ReadOnlyAdmin, apply_service
from audit.models import AdminAction, AuditLog, IdempotencyRecord, OutboxEvent
from guitaronline.core.capabilities import Capability


class AuditTrailAdmin(ReadOnlyAdmin):
    """The audit log and the admin actions: for staff who read the audit log."""

    def has_view_permission(self, request, obj=None):
        return self.has_capability(request, Capability.READ_AUDIT_LOG)

    def has_module_permission(self, request):
        return self.has_capability(request, Capability.READ_AUDIT_LOG) or super().has_module_permission(request)


@admin.register(AuditLog)
class AuditLogAdmin(AuditTrailAdmin):
    list_display = ["created_at", "action", "entity_type", "entity_id", "actor", "ip"]
    list_filter = ["action", "entity_type"]
    search_fields = ["action", "entity_id", "actor__email", "request_id"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    actions = ["requeue"]
    list_display = [
        "created_at",
        "event_type",
        "aggregate_type",
        "aggregate_id",
        "status",
        "attempts",
        "next_attempt_at",
    ]
    list_filter = ["status", "event_type"]
    search_fields = ["event_type", "aggregate_id", "last_error"]
    date_hierarchy = "created_at"

    @admin.action(description=_("Requeue the selected failed events"), permissions=[Capability.REQUEUE_MESSAGES])
    def requeue(self, request, queryset):
        def requeue_one(event):
            services.outbox_event_requeue(event=event, actor=request.user)  # records its admin action
            return True

        requeued = apply_service(self, request, queryset, requeue_one)
        self.message_user(request, _("%(count)d event(s) requeued.") % {"count": requeued}, messages.SUCCESS)


@admin.register(AdminAction)
class AdminActionAdmin(AuditTrailAdmin):
    list_display = ["created_at", "action", "target_type", "target_id", "actor"]
    list_filter = ["action"]
    search_fields = ["action", "target_id", "actor__email"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "user", "key", "method", "path", "response_status"]
    search_fields = ["key", "user__email", "path"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
