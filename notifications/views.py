"""Notification pages: the in-app list (mark one or all read), the choices
and the Telegram link on the profile, unsubscribing from an e-mail (thin)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import SignedInRequest
from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import error_messages
from notifications import preferences, selectors, services, telegram
from notifications.forms import PreferencesForm

PAGE_SIZE = 20


def _back(request: HttpRequest) -> HttpResponse:
    """To the list page the form was sent from."""
    page = request.POST.get("page", "")
    url = reverse("notifications:list")
    return redirect(f"{url}?{urlencode({'page': page})}" if page.isdigit() else url)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    notifications = selectors.notifications_for_user(user=request.user)
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/pages/notification_list.html", {"page": page})


@login_required
@require_POST
def mark_read(request: SignedInRequest, notification_id) -> HttpResponse:
    notification = selectors.notification_for_user(user=request.user, notification_id=notification_id)
    services.notifications_mark_read(user=request.user, notification_ids=[notification.pk])
    messages.success(request, _("The notification is marked as read."))
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: SignedInRequest) -> HttpResponse:
    marked = services.notifications_mark_read(user=request.user)
    if marked:
        messages.success(
            request,
            ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", marked)
            % {"count": marked},
        )
    else:
        messages.info(request, _("You have no unread notifications."))
    return _back(request)


def _to_profile(anchor: str = "notifications") -> HttpResponse:
    return redirect(f"{reverse('accounts:profile')}#{anchor}")


@login_required
@require_POST
def preferences_save(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            form.save()
        except ApplicationError as error:
            error_messages(request, error)
        else:
            messages.success(request, _("Your notification choices have been saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return _to_profile()


@login_required
@require_POST
def telegram_link(request: HttpRequest) -> HttpResponse:
    try:
        url = telegram.link_start(user=request.user)
    except ApplicationError as error:
        error_messages(request, error)
    else:
        messages.info(
            request,
            format_html(
                '{} <a href="{}" rel="noopener">{}</a>',
                _("Open the school bot in Telegram and press Start. The link works once, for %(minutes)d minutes.")
                % {"minutes": settings.TELEGRAM_LINK_MINUTES},
                url,
                _("Open the school bot"),
            ),
        )
    return _to_profile("telegram")


@login_required
@require_POST
def telegram_unlink(request: HttpRequest) -> HttpResponse:
    if telegram.unlink(user=request.user):
        messages.success(request, _("Telegram is unlinked: messages no longer go there."))
    return _to_profile()


@csrf_exempt  # the link in the e-mail is the credential; mail apps post here for one-click unsubscribe (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Turn off one kind of e-mail from the link in it, signed in or not."""
    found = preferences.unsubscribe_read(token)
    if found is None:
        return render(request, "notifications/pages/unsubscribe.html", {"invalid": True}, status=400)
    user, kind = found
    label = preferences.KINDS[kind]
    if request.method == "POST":
        preferences.preferences_update(user=user, kinds={kind: {preferences.EMAIL: False}})
        return render(request, "notifications/pages/unsubscribe.html", {"done": True, "kind": label})
    return render(request, "notifications/pages/unsubscribe.html", {"kind": label, "token": token})
