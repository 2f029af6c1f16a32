"""What the staff console's model admins share: read-only admins for rows
only services write, staff capabilities as the rights of admin actions, the
shape every admin action has (call a service for each selected row), and the
page an action shows when it must ask something first, and adds that go
through a create service (`ServiceAddAdmin`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import transaction
from django.db.models import Model, QuerySet
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from audit.services import admin_action_record
from guitaronline.core.capabilities import Capability, staff_can
from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import form_errors

M = TypeVar("M", bound=Model)


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
    modeladmin, request, queryset: QuerySet[M], change: Callable[[M], bool], *, admin_action: str | None = None
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
                % {"object": str(obj._meta.verbose_name).capitalize(), "id": obj.pk, "message": error.message},
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


class ServiceAddForm(forms.ModelForm):
    """An add form whose validation calls a create service.

    The admin's add view runs in one transaction; when the service refuses,
    nothing was written and its message shows on the form. When it succeeds,
    `instance` is the created object and the admin has nothing left to save.
    """

    actor = None  # set per request by `ServiceAddAdmin.get_form`

    def create(self, data: dict):
        raise NotImplementedError

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if self.errors:
            return data
        try:
            self.instance = self.create(data)
        except ApplicationError as exc:
            self._add_application_error(exc)
        return data

    def _post_clean(self):
        """The service validated and saved the object; skip the model's own pass."""

    def _add_application_error(self, exc: ApplicationError) -> None:
        """Field messages of invalid input go on their fields (`student_id` on
        `student`); everything else on top."""
        form_errors(self, exc, {f"{name}_id": name for name in self.fields})


class ServiceAddAdmin(CapabilityAdmin):
    """Adds go through a service, for those with `add_capability`; existing
    rows are read-only, and change only through the admin actions."""

    add_form: type[ServiceAddForm]
    add_capability: Capability
    detail_readonly_fields: list[str] | tuple[str, ...]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # type: ignore[attr-defined]  # `form` is a fresh class built for this request
        return form

    def get_fields(self, request, obj=None):
        if obj is None:
            return list(self.add_form._meta.fields or ())
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.detail_readonly_fields

    def save_model(self, request, obj, form, change):
        """The service saved the new object in `form.clean`; changes are not editable."""

    def has_add_permission(self, request):
        return self.has_capability(request, self.add_capability)

    def has_change_permission(self, request, obj=None):
        return False  # read-only rows; the actions carry their own capabilities

    def has_delete_permission(self, request, obj=None):
        return False  # money and balances are never deleted
