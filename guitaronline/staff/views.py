"""Staff dashboards in the admin (KPI and operations). Each view is recorded
as an AdminAction."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import admin_action_record
from billing import selectors as billing_selectors
from booking import selectors as booking_selectors
from guitaronline.core.capabilities import Capability, staff_can
from guitaronline.core.csv_export import csv_lines
from guitaronline.core.tallies import Tally
from guitaronline.core.widgets import DatePicker
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


# --- finance --------------------------------------------------------------------------------

EXPORT_MAX_DAYS = 366
EXPORT_HEADER = (
    "id",
    "created_at",
    "paid_at",
    "student_email",
    "student_name",
    "product",
    "amount",
    "currency",
    "status",
    "provider",
    "provider_reference",
    "refunded_amount",
    "refunded_at",
)


class ExportForm(forms.Form):
    """A period of payments to export: days in the school's time zone, inclusive."""

    start = forms.DateField(label=gettext_lazy("From"), widget=DatePicker())
    end = forms.DateField(label=gettext_lazy("To"), widget=DatePicker())

    def clean(self):
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end of the period cannot come before its start."))
            elif (end - start).days + 1 > EXPORT_MAX_DAYS:
                self.add_error("end", _("Export at most %(days)d days at a time.") % {"days": EXPORT_MAX_DAYS})
        return data


def _require_finance(request) -> None:
    if not staff_can(request.user, Capability.MANAGE_PAYMENTS):
        raise PermissionDenied


def _month_rows(months: dict) -> list[tuple[str, dict, list]]:
    """Per currency: the chart (revenue and refunds side by side) and the same figures for the table."""
    return [
        (
            currency,
            charts.grouped_bar_chart([(date_format(row.month, "M y"), [row.revenue, row.refunds]) for row in rows]),
            rows,
        )
        for currency, rows in months.items()
    ]


def finance_dashboard(request):
    """Money for finance: revenue and refunds per month per currency, payments
    still pending after a day, notifications that did not match, and the CSV
    export of a period."""
    _require_finance(request)
    overview = selectors.finance_overview()
    today = timezone.localdate()
    form = ExportForm(initial={"start": today.replace(day=1), "end": today})
    admin_action_record(actor=request.user, action="admin.finance.view")
    return _finance_page(request, overview, form)


def _finance_page(request, overview, form, status: int = 200):
    context = {
        **admin.site.each_context(request),
        "title": _("Finance dashboard"),
        "overview": overview,
        "currencies": _month_rows(overview.months),
        "form": form,
        "now": timezone.now(),
    }
    return render(request, "admin/dashboards/finance.html", context, status=status)


def finance_export(request):
    """The payments created in a period, as CSV (streamed; safe to open in a spreadsheet)."""
    _require_finance(request)
    form = ExportForm(request.GET)
    if not form.is_valid():
        return _finance_page(request, selectors.finance_overview(), form)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    admin_action_record(
        actor=request.user, action="admin.finance.export", payload={"start": start.isoformat(), "end": end.isoformat()}
    )
    rows = (
        (
            payment.pk,
            timezone.localtime(payment.created_at),
            timezone.localtime(payment.paid_at) if payment.paid_at else None,
            payment.student.email,
            payment.student.full_name,
            payment.product.name_en if payment.product else "",
            payment.amount,
            payment.currency,
            payment.status,
            payment.provider,
            payment.provider_reference,
            payment.refunded_amount,
            timezone.localtime(payment.refunded_at) if payment.refunded_at else None,
        )
        for payment in billing_selectors.payments_for_export(start=start, end=end).iterator(chunk_size=500)
    )
    response = StreamingHttpResponse(csv_lines(EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payments-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv"'
    return response
