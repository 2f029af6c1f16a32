from django.contrib import admin

from lessons.models import Lesson


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    """Lessons are created and canceled with their bookings; staff read them."""

    list_display = ["id", "start_at", "teacher", "student", "status", "finished_at"]
    list_filter = ["status"]
    search_fields = ["teacher__email", "student__email", "notes", "homework"]
    list_select_related = ["teacher", "student"]
    date_hierarchy = "start_at"
    readonly_fields = [field.name for field in Lesson._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
