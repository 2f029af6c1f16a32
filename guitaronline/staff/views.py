"""Staff dashboards in the admin (KPI and operations). Each view is recorded
as an AdminAction."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from audit.services import admin_action_record
from booking import selectors as booking_selectors
from guitaronline.core.tallies import Tally
from guitaronline.staff import charts, selectors


def _with_total(tally: Tally) -> list[tuple[str, int]]:
    """[(translated label, count)] in the choices' order, then the total."""
    return [*tally.rows(), (_("Total"), tally.total)]


def kpi_dashboard(request):
    overview = selectors.kpi_overview()
    tables = [
        (_("Users by role"), _with_total(overview.users)),
        (_("Bookings by status"), _with_total(overview.bookings)),
        (_("Lessons by status"), _with_total(overview.lessons)),
        (_("Packages by status"), _with_total(overview.packages)),
        (_("Payments by status"), _with_total(overview.payments)),
    ]
    weeks = booking_selectors.bookings_per_week(weeks=12)
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
    overview = selectors.ops_overview()
    admin_action_record(actor=request.user, action="admin.ops.view")
    context = {
        **admin.site.each_context(request),
        "title": _("Operations dashboard"),
        "overview": overview,
    }
    return render(request, "admin/dashboards/ops.html", context)
