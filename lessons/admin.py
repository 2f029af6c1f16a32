from django.contrib import admin

from audit.admin_actions import DateHierarchyChangeList, ReadOnlyAdmin
from lessons.models import HomeworkItem, Lesson


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    """Lessons are created and canceled with their bookings; staff read them."""

    list_display = ["id", "start_at", "teacher", "student", "status", "finished_at"]
    list_filter = ["status"]
    search_fields = ["teacher__email", "student__email", "notes", "homework"]
    list_select_related = ["teacher", "student"]
    date_hierarchy = "start_at"
    readonly_fields = [field.name for field in Lesson._meta.fields]

    def get_changelist(self, request, **kwargs):
        return DateHierarchyChangeList

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(HomeworkItem)
class HomeworkItemAdmin(ReadOnlyAdmin):
    """Homework items change through lessons.services (teacher and student); staff read them."""

    list_display = ["id", "lesson", "kind", "title", "done", "done_at", "position"]
    list_filter = ["kind", "done"]
    search_fields = ["title", "lesson__teacher__email", "lesson__student__email"]
    list_select_related = ["lesson"]
    readonly_fields = [field.name for field in HomeworkItem._meta.fields]
