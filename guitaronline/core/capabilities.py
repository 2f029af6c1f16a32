"""What staff may do: one permission per capability, one check for all paths.

Each capability is a Django permission on `accounts.StaffCapability` (a model
without a table that only carries them), given to the staff groups
(`support`, `finance`) by a data migration and editable in the admin.
Superusers have every capability. `staff_can` is the one check: the services
call `require` with the acting user (the system, in a task, acts as `None`
and needs none), the API's staff endpoints use `StaffCan`, and the admin
shows an action or a form only to those `staff_can` allows.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from guitaronline.core.errors import Forbidden

PERMISSION_APP = "accounts"  # the app of the model the permissions hang on


class Capability(models.TextChoices):
    MANAGE_PACKAGES = "manage_packages", _("Manage lesson packages (create, cancel)")
    MANAGE_PAYMENTS = "manage_payments", _("Record, settle and refund payments")
    CANCEL_FOR_STUDENTS = "cancel_for_students", _("Cancel bookings on a student's behalf")
    EXPIRE_OVERDUE = "expire_overdue", _("Expire stale holds and overdue packages")
    REQUEUE_MESSAGES = "requeue_messages", _("Requeue outbox events and re-send e-mails")
    PUBLISH_TEACHERS = "publish_teachers", _("Publish and unpublish teachers")
    READ_AUDIT_LOG = "read_audit_log", _("Read the audit log")


def staff_can(user, capability: Capability) -> bool:
    """Whether `user` is active staff with `capability` (superusers have all)."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(f"{PERMISSION_APP}.{capability.value}")
    )


class CapabilityMissing(Forbidden):
    code = "permission_denied"
    default_message = _("Your staff account does not have the right to do this.")


def require(actor, capability: Capability) -> None:
    """Refuse (403) a person without `capability`; `actor=None`, the system
    running a task, needs none."""
    if actor is not None and not staff_can(actor, capability):
        raise CapabilityMissing(details={"capability": capability.value})


class StaffCan(BasePermission):
    """DRF: `permission_classes = [StaffCan.to(Capability.MANAGE_PAYMENTS)]`."""

    capability: Capability
    message = CapabilityMissing.default_message

    @classmethod
    def to(cls, capability: Capability) -> type[StaffCan]:
        return type(f"StaffCan_{capability.value}", (cls,), {"capability": capability})

    def has_permission(self, request, view) -> bool:
        return staff_can(request.user, self.capability)
