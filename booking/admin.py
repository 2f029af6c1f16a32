from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin_actions import CapabilityAdmin, ReadOnlyAdmin, ServiceAddAdmin, ServiceAddForm, apply_service
from audit.services import admin_action_record
from booking import services
from booking.models import Booking, MoveProposal, Series, WaitlistEntry, WaitlistOffer
from guitaronline.core.capabilities import Capability
from scheduling.models import TimeOff


@admin.register(Booking)
class BookingAdmin(CapabilityAdmin):
    """Bookings change only through the booking services."""

    list_display = ["id", "student", "slot", "status", "hold_expires_at", "confirmed_at", "lesson_returned"]
    list_filter = ["status", "lesson_returned"]
    search_fields = ["student__email", "slot__teacher__email"]
    list_select_related = ["student", "slot", "slot__teacher"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Booking._meta.fields]
    actions = ["expire_stale_holds", "cancel_bookings", "mark_teacher_no_show"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Expire stale holds (all)"), permissions=[Capability.EXPIRE_OVERDUE])
    def expire_stale_holds(self, request, queryset):
        expired = services.bookings_expire_holds(actor=request.user)
        admin_action_record(actor=request.user, action="admin.holds.expire", payload={"expired": expired})
        self.message_user(
            request,
            ngettext("%(count)d hold expired.", "%(count)d holds expired.", expired) % {"count": expired},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Cancel selected bookings on the student's behalf"), permissions=[Capability.CANCEL_FOR_STUDENTS]
    )
    def cancel_bookings(self, request, queryset):
        def cancel(booking: Booking) -> bool:
            services.booking_cancel(booking=booking, actor=request.user)
            self.message_user(request, _("Booking #%(id)s canceled.") % {"id": booking.pk}, messages.SUCCESS)
            return True

        bookings = queryset.select_related("slot", "slot__teacher")
        apply_service(self, request, bookings, cancel, admin_action="admin.booking.cancel")

    @admin.action(
        description=_("The teacher did not come: give the lesson back to the student"),
        permissions=[Capability.CANCEL_FOR_STUDENTS],
    )
    def mark_teacher_no_show(self, request, queryset):
        def mark(booking: Booking) -> bool:
            services.lesson_teacher_no_show(booking=booking, actor=request.user)
            self.message_user(
                request,
                _("Booking #%(id)s: the teacher's no-show is recorded; the lesson went back to the student.")
                % {"id": booking.pk},
                messages.SUCCESS,
            )
            return True

        apply_service(self, request, queryset, mark, admin_action="admin.booking.teacher_no_show")


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "student", "teacher", "weekday", "start_time", "end_time", "timezone", "active", "created_at"]
    list_filter = ["active", "weekday"]
    search_fields = ["student__email", "teacher__email"]
    list_select_related = ["student", "teacher"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in WaitlistEntry._meta.fields]


@admin.register(WaitlistOffer)
class WaitlistOfferAdmin(ReadOnlyAdmin):
    list_display = ["id", "slot", "student", "status", "expires_at", "closed_at", "booking"]
    list_filter = ["status"]
    search_fields = ["entry__student__email", "slot__teacher__email"]
    list_select_related = ["slot", "entry", "entry__student", "booking"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in WaitlistOffer._meta.fields]

    @admin.display(description=_("student"), ordering="entry__student__email")
    def student(self, offer: WaitlistOffer):
        return offer.entry.student


class TimeOffAddForm(ServiceAddForm):
    class Meta:
        model = TimeOff
        fields = ["teacher", "start_date", "end_date", "reason"]

    def create(self, data: dict) -> TimeOff:
        time_off, _removed = services.time_off_take(actor=self.actor, **data)
        return time_off


@admin.register(TimeOff)
class TimeOffAdmin(ServiceAddAdmin):
    """Staff who run bookings enter a teacher's days off (the free slots in
    them are removed, as when the teacher does it); the teacher takes them
    back on their own page."""

    add_form = TimeOffAddForm
    add_capability = Capability.CANCEL_FOR_STUDENTS
    list_display = ["id", "teacher", "start_date", "end_date", "reason", "created_by", "created_at"]
    search_fields = ["teacher__email", "teacher__full_name", "reason"]
    list_select_related = ["teacher", "created_by"]
    date_hierarchy = "start_date"
    detail_readonly_fields = [field.name for field in TimeOff._meta.fields]
    autocomplete_fields = ["teacher"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff  # every staff group reads the schedule

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(MoveProposal)
class MoveProposalAdmin(ReadOnlyAdmin):
    """Teachers propose and students answer on their pages; staff read them."""

    list_display = ["id", "booking", "new_slot", "status", "expires_at", "answered_at", "created_at"]
    list_filter = ["status"]
    search_fields = ["booking__student__email", "booking__slot__teacher__email"]
    list_select_related = ["booking", "new_slot"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in MoveProposal._meta.fields]


@admin.register(Series)
class SeriesAdmin(ReadOnlyAdmin):
    """Students book and cancel series on their pages and the API; staff read them (each lesson is a booking)."""

    list_display = [
        "id",
        "student",
        "teacher",
        "weekday",
        "local_time",
        "timezone",
        "weeks",
        "until",
        "open_ended",
        "status",
    ]
    list_filter = ["status", "open_ended", "weekday"]
    search_fields = ["student__email", "teacher__email"]
    list_select_related = ["student", "teacher"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in Series._meta.fields]
