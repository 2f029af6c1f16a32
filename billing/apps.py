from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing.models import LessonPackage, Payment
        from guitaronline.core import viewcache

        viewcache.watch(LessonPackage, Payment)  # the pages' cached parts of the people these rows name
