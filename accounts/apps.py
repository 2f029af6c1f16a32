from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from accounts import browser_sessions  # noqa: F401  (connects the sign-in and sign-out receivers)
        from accounts.models import TeacherProfile, User
        from accounts.selectors import DIRECTORY
        from guitaronline.core import viewcache

        # the pages' cached parts of the people these rows name, and the directory of teachers
        viewcache.watch(User, topics=lambda user: [DIRECTORY] if user.is_teacher else [])
        viewcache.watch(TeacherProfile, topics=lambda profile: [DIRECTORY])
