from django.utils.translation import gettext_lazy as _

from guitaronline.core.errors import Conflict


class LessonNotStarted(Conflict):
    code = "lesson_not_started"
    default_message = _("A lesson can be marked only after it has started.")


class LessonFinished(Conflict):
    code = "lesson_finished"
    default_message = _("This lesson has already been marked completed or no-show.")


class LessonCanceled(Conflict):
    code = "lesson_canceled"
    default_message = _("This lesson was canceled.")
