"""What the staff console's model admins share: read-only admins for rows
only services write, staff capabilities as the rights of admin actions, the
shape every admin action has (call a service for each selected row), and the
page an action shows when it must ask something first."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from audit.services import admin_action_record
from guitaronline.core.capabilities import Capability, staff_can
from guitaronline.core.errors import ApplicationError


class CapabilityAdmin(admin.ModelAdmin):
    """An admin whose actions are declared with a staff capability,
    `@admin.action(permissions=[Capability.X])`: the admin offers each action
    to the users `staff_can` allows (the service it calls checks the same)."""

    def has_capability(self, request, capability: Capability) -> bool:
        return staff_can(request.user, capability)


def _action_right(capability: Capability):
    def has_permission(self, request) -> bool:
        return self.has_capability(request, capability)

    has_permission.__name__ = f"has_{capability.value}_permission"
    return has_permission


for _capability in Capability:  # what Django's admin asks for `permissions=[...]` on an action
    setattr(CapabilityAdmin, f"has_{_capability.value}_permission", _action_right(_capability))


class ReadOnlyAdmin(CapabilityAdmin):
    """Rows written only by services (with their audit trail): staff read them
    here and change them through admin actions, never through forms."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DateHierarchyChangeList(ChangeList):
    """The change list of an admin with a `date_hierarchy`: a drill-down into
    the last year, month or day a datetime holds (`?start_at__year=9999`) is
    answered as a bad lookup (the admin's "?e=1" page), where Django would
    fail computing the year, month or day after it."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc


def apply_service(
    modeladmin, request, queryset, change: Callable[[object], bool], *, admin_action: str | None = None
) -> int:
    """Run `change(obj)` for each selected object, each in its own
    transaction; `change` calls a service and says whether anything changed.
    Each change is recorded as `admin_action` (when the service does not
    record it itself); a service's refusal becomes an error message naming
    the object, and the other objects go on. Returns how many changed."""
    changed = 0
    for obj in queryset:
        try:
            with transaction.atomic():
                if change(obj):
                    changed += 1
                    if admin_action:
                        admin_action_record(actor=request.user, action=admin_action, target=obj)
        except ApplicationError as error:
            modeladmin.message_user(
                request,
                _("%(object)s #%(id)s: %(message)s")
                % {"object": obj._meta.verbose_name.capitalize(), "id": obj.pk, "message": error.message},
                messages.ERROR,
            )
    return changed


def action_form_page(modeladmin, request, *, template: str, title, objects, form, action: str) -> TemplateResponse:
    """The page an admin action shows to ask what it needs (`form`) about the
    selected `objects`; submitted with `apply`, the action runs again with it
    (templates extend admin/action_form.html)."""
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": objects,
        "form": form,
        "opts": modeladmin.model._meta,
        "action": action,
    }
    return TemplateResponse(request, template, context)
