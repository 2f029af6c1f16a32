from __future__ import annotations

from django.db.models import QuerySet

from accounts import auth_sessions
from accounts.models import AuthSession, Role, TeacherProfile, User
from guitaronline.core.errors import NotFound
from guitaronline.core.ids import object_id
from guitaronline.core.tallies import Tally, tally

# The topic of the cached directory (`guitaronline.core.viewcache`): every change
# of a teacher's profile or account renews it (`accounts.apps`).
DIRECTORY = "teacher-directory"


def teacher_list_published(*, style: str | None = None, search: str | None = None) -> QuerySet[TeacherProfile]:
    teachers = TeacherProfile.objects.filter(is_published=True, user__is_active=True).select_related("user")
    if style:
        teachers = teachers.filter(styles__icontains=style)
    if search:
        teachers = teachers.filter(display_name__icontains=search)
    return teachers.order_by("display_name", "pk")


def teacher_published_get(*, teacher_id) -> TeacherProfile:
    """A published teacher by id, or not-found (unpublished teachers are not public)."""
    try:
        return teacher_list_published().get(pk=object_id(teacher_id))
    except TeacherProfile.DoesNotExist as exc:
        raise NotFound() from exc


def teacher_profile_for_user(*, user: User) -> TeacherProfile:
    """The signed-in teacher's own profile, or not-found for anyone else."""
    if not user.is_authenticated or not user.is_teacher:
        raise NotFound()
    profile, _ = TeacherProfile.objects.get_or_create(user=user, defaults={"display_name": user.full_name})
    return profile


def users_by_role() -> Tally:
    return tally(User.objects.all(), "role", Role)


def devices_signed_in(*, user: User, current: str | None = None) -> list[AuthSession]:
    """`user`'s signed-in devices, last used first, each with its `label`
    ("Firefox on Ubuntu") and whether it is the `current` one."""
    current_id = auth_sessions.parse_id(current) if current else None
    devices = list(auth_sessions.live(user=user).order_by("-last_used_at", "-created_at"))
    for device in devices:
        device.label = auth_sessions.device_label(device.user_agent)
        device.current = device.pk == current_id
    return devices
