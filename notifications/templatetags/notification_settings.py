"""The notification settings panel of the profile page (the profile belongs
to accounts, which does not know notifications: its template loads this)."""

from django import template

from notifications.forms import PreferencesForm

register = template.Library()


@register.inclusion_tag("notifications/pages/settings_panel.html", takes_context=True)
def notification_settings_panel(context):
    request = context["request"]
    form = context.get("preferences_form") or PreferencesForm(user=request.user)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "form": form,
        "telegram": form.summary["telegram"],
    }
