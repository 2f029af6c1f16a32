from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LessonsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "lessons"
    verbose_name = _("Lessons")

    def ready(self) -> None:
        from guitaronline.core import viewcache
        from lessons.models import Lesson

        viewcache.watch(Lesson)  # the pages' cached parts of the people these rows name
