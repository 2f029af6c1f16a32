from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchedulingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "scheduling"
    verbose_name = _("Scheduling")

    def ready(self) -> None:
        from guitaronline.core import viewcache
        from scheduling.models import Slot, TimeOff

        viewcache.watch(Slot, TimeOff)  # the pages' cached parts of the people these rows name
