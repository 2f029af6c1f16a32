"""In-app notifications page: the list, mark one or all read (thin)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from notifications import selectors, services

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
def mark_read(request: HttpRequest, notification_id) -> HttpResponse:
    notification = selectors.notification_for_user(user=request.user, notification_id=notification_id)
    services.notifications_mark_read(user=request.user, notification_ids=[notification.pk])
    messages.success(request, _("The notification is marked as read."))
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
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
