from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from guitaronline.core import viewcache
        from notifications.models import Notification

        viewcache.watch(Notification)  # a notification saved or deleted outside the services (the admin's)
