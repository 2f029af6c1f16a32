from contextvars import ContextVar

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, AdminUserCreationForm
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts import auth_sessions, services, verification
from accounts.models import AuthSession, TeacherProfile, User
from audit.admin_actions import CapabilityAdmin, apply_service
from guitaronline.core.capabilities import Capability
from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import form_errors


class UserCreationForm(AdminUserCreationForm):
    """Staff create an account; they may vouch for its address (someone they
    enrolled in person), which then needs no confirmation link."""

    email_verified = forms.BooleanField(
        label=_("E-mail confirmed"),
        required=False,
        help_text=_("Tick only if you know the address is the person's own; otherwise they get a link to confirm it."),
    )

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "full_name", "role")


class PasswordForm(AdminPasswordChangeForm):
    """Staff set a password, or disable password logins, through the service:
    the account's devices are signed out and the change is recorded."""

    def save(self, commit: bool = True) -> User:
        password = self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        return services.user_set_password(user=self.user, password=password, actor=_password_page_staff.get())


# Who is on the admin's password page of this request (`UserAdmin.user_change_password`):
# Django's view makes the form itself, with the user only.
_password_page_staff: ContextVar[User | None] = ContextVar("password_page_staff", default=None)


class DeviceInline(admin.TabularInline):
    """The user's signed-in devices, read-only; "Log out everywhere" ends them."""

    model = AuthSession
    fields = readonly_fields = ("kind", "device", "ip", "created_at", "last_used_at", "ended_at")
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ["-last_used_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("device"))
    def device(self, obj: AuthSession) -> str:
        return auth_sessions.device_label(obj.user_agent)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreationForm
    change_password_form = PasswordForm
    inlines = [DeviceInline]
    ordering = ["email"]
    list_display = [
        "email",
        "full_name",
        "role",
        "email_verified_at",
        "timezone",
        "language",
        "is_active",
        "is_staff",
        "date_joined",
    ]
    list_filter = ["role", "is_active", "is_staff", "language", ("email_verified_at", admin.EmptyFieldListFilter)]
    search_fields = ["email", "pending_email", "full_name"]
    readonly_fields = ["last_login", "date_joined", "email_verified_at", "pending_email"]
    actions = ["rotate_calendar_links", "mark_email_verified", "log_out_everywhere"]
    fieldsets = (
        (None, {"fields": ("email", "email_verified_at", "pending_email", "password")}),
        (_("Profile"), {"fields": ("full_name", "role", "timezone", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "email_verified", "full_name", "role", "password1", "password2"),
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            return
        if form.cleaned_data.get("email_verified"):
            services.email_mark_verified(user=obj, actor=request.user)
        elif verification.sends_links():
            services.email_verification_resend(user=obj)  # the new account's owner confirms the address

    @admin.action(description=_("Replace the calendar links of selected users"), permissions=["change"])
    def rotate_calendar_links(self, request, queryset):
        """For a user whose calendar link leaked: the old link stops working at once."""

        def rotate(user: User) -> bool:
            services.user_calendar_token_rotate(user=user, actor=request.user)
            return True

        count = apply_service(self, request, queryset, rotate, admin_action="admin.user.calendar_token_rotate")
        self.message_user(
            request,
            ngettext("%(count)d calendar link replaced.", "%(count)d calendar links replaced.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark the e-mail of selected users as confirmed"), permissions=["change"])
    def mark_email_verified(self, request, queryset):
        """For addresses staff know to be their owners' (enrolled in person, say)."""
        count = apply_service(
            self,
            request,
            queryset,
            lambda user: services.email_mark_verified(user=user, actor=request.user),
            admin_action="admin.user.email_verified",
        )
        self.message_user(
            request,
            ngettext("%(count)d e-mail marked as confirmed.", "%(count)d e-mails marked as confirmed.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Log selected users out everywhere"), permissions=["change"])
    def log_out_everywhere(self, request, queryset):
        """For an account taken over or a lost device: every device signed out, every token dead."""
        count = apply_service(
            self,
            request,
            queryset,
            lambda user: services.auth_logout_all(user=user, actor=request.user) > 0,
            admin_action="admin.user.logged_out_everywhere",
        )
        self.message_user(
            request,
            ngettext("%(count)d user logged out everywhere.", "%(count)d users logged out everywhere.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []  # a new account has no devices

    def user_change_password(self, request, id, form_url=""):
        token = _password_page_staff.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _password_page_staff.reset(token)


PROFILE_FIELDS = ["display_name", "bio", "styles", "levels", "lesson_minutes", "min_notice_hours", "buffer_minutes"]


class TeacherProfileAdminForm(forms.ModelForm):
    """Changes go through `teacher_profile_update`: its checks (refusals show
    on the form), its audit record, and the open slots it outdates (the
    notice and the buffer decide which are open). The admin's change view
    runs in one transaction, so a refusal leaves nothing written."""

    actor = None  # set per request by `TeacherProfileAdmin.get_form`

    class Meta:
        model = TeacherProfile
        fields = PROFILE_FIELDS

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if not self.errors:
            try:
                services.teacher_profile_update(
                    profile=self.instance, actor=self.actor, **{name: data[name] for name in PROFILE_FIELDS}
                )
            except ApplicationError as error:
                form_errors(self, error)
        return data

    def _post_clean(self):
        """The service validated and saved the profile; skip the model's own pass."""


@admin.register(TeacherProfile)
class TeacherProfileAdmin(CapabilityAdmin):
    list_display = [
        "display_name",
        "user",
        "styles",
        "lesson_minutes",
        "min_notice_hours",
        "buffer_minutes",
        "is_published",
        "published_at",
    ]
    list_filter = ["is_published"]
    search_fields = ["display_name", "user__email", "styles"]
    list_select_related = ["user"]
    fields = ["user", *PROFILE_FIELDS, "is_published", "published_at", "created_at", "updated_at"]
    readonly_fields = ["user", "is_published", "published_at", "created_at", "updated_at"]
    actions = ["publish", "unpublish"]

    def has_add_permission(self, request):
        return False  # profiles come with teacher registration

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, form=TeacherProfileAdminForm, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]  # `form` is a fresh class built for this request
        return form

    def save_model(self, request, obj, form, change):
        """The service saved the profile in `form.clean`."""

    def _set_published(self, request, queryset, published: bool):
        def set_published(profile: TeacherProfile) -> bool:
            before = profile.is_published
            services.teacher_profile_set_published(profile=profile, published=published, actor=request.user)
            return before != published

        action = "admin.teacher.publish" if published else "admin.teacher.unpublish"
        changed = apply_service(self, request, queryset, set_published, admin_action=action)
        self.message_user(
            request,
            ngettext("%(count)d teacher changed.", "%(count)d teachers changed.", changed) % {"count": changed},
            messages.SUCCESS,
        )

    @admin.action(description=_("Publish selected teachers"), permissions=[Capability.PUBLISH_TEACHERS])
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description=_("Unpublish selected teachers"), permissions=[Capability.PUBLISH_TEACHERS])
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, False)
