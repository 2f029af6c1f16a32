from django.utils.translation import gettext_lazy as _

from guitaronline.core.errors import Conflict


class NotDeadLetter(Conflict):
    code = "not_dead_letter"
    default_message = _("Only failed items can be requeued.")
