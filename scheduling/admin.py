from django.contrib import admin

from audit.admin_actions import DateHierarchyChangeList, ReadOnlyAdmin
from scheduling.models import Slot


@admin.register(Slot)
class SlotAdmin(ReadOnlyAdmin):
    """Slots are read here; teachers add and remove them through the services
    (overlap lock, takenness checks, audit), so the admin does not write them.
    Removed slots (kept for their booking history) are listed too: filter on
    "removed at" ("No date" = live)."""

    list_display = ["id", "teacher", "start_at", "end_at", "created_at", "removed_at"]
    list_filter = [
        ("teacher", admin.RelatedOnlyFieldListFilter),
        "teacher__teacher_profile__is_published",
        "start_at",
        "removed_at",
    ]
    search_fields = ["teacher__email", "teacher__full_name"]
    list_select_related = ["teacher"]
    date_hierarchy = "start_at"
    ordering = ["-start_at"]
    readonly_fields = ["teacher", "start_at", "end_at", "removed_at", "created_at", "updated_at"]

    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList
