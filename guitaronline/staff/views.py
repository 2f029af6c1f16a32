"""Staff dashboards in the admin (KPI and operations). Each view is recorded
as an AdminAction."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import Role
from audit.services import admin_action_record
from billing.models import LessonPackage, Payment
from booking.models import Booking
from guitaronline.staff import charts, selectors
from lessons.models import Lesson


def _max_retries(request) -> int:
    try:
        value = int(request.GET.get("max_retries", ""))
    except ValueError:
        return selectors.DEFAULT_MAX_RETRIES
    return min(max(value, 1), 100)


def _labelled(counts: dict[str, int], choices) -> list[tuple[str, int]]:
    """[(translated label, count)] in the choices' order, then the total."""
    rows = [(label, counts.get(value, 0)) for value, label in choices.choices]
    return [*rows, (_("Total"), counts["total"])]


def kpi_dashboard(request):
    overview = selectors.kpi_overview()
    tables = [
        (_("Users by role"), _labelled(overview["users"], Role)),
        (_("Bookings by status"), _labelled(overview["bookings"], Booking.Status)),
        (_("Lessons by status"), _labelled(overview["lessons"], Lesson.Status)),
        (_("Packages by status"), _labelled(overview["packages"], LessonPackage.Status)),
        (_("Payments by status"), _labelled(overview["payments"], Payment.Status)),
    ]
    weeks = selectors.bookings_per_week(weeks=12)
    chart = charts.bar_chart([(date_format(week["week"], "j M"), week["count"]) for week in weeks])
    admin_action_record(actor=request.user, action="admin.kpi.view")
    context = {
        **admin.site.each_context(request),
        "title": _("KPI dashboard"),
        "overview": overview,
        "tables": tables,
        "chart": chart,
        "weeks": weeks,
    }
    return render(request, "admin/dashboards/kpi.html", context)


def ops_dashboard(request):
    max_retries = _max_retries(request)
    overview = selectors.ops_overview(max_retries=max_retries)
    admin_action_record(actor=request.user, action="admin.ops.view", payload={"max_retries": max_retries})
    context = {
        **admin.site.each_context(request),
        "title": _("Operations dashboard"),
        "overview": overview,
        "max_retries": max_retries,
    }
    return render(request, "admin/dashboards/ops.html", context)
