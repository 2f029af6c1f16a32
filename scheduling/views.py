"""The teacher's pages that add slots: one slot, or weekly availability.
Thin: parse the form, call one service, render; Post/Redirect/Get with a
message after each action. The week of slots, which shows who booked them,
and removing a slot are booking's pages (`booking.views`).

Times are entered and shown in the teacher's zone, the active time zone of
the request (`UserPreferencesMiddleware`); the database keeps UTC.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from accounts.http import SignedInRequest
from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import area_page, form_errors
from guitaronline.core.times import in_zone
from scheduling import services
from scheduling.forms import RecurringForm, SlotForm

SKIPPED_DATES_SHOWN = 5

teacher_page = area_page("teacher")


def _week_of(moment: dt.datetime) -> str:
    """The teacher's week page showing `moment` (in the active zone)."""
    return f"{reverse('booking:teacher-week')}?week={in_zone(moment).date().isoformat()}"


@teacher_page
@require_http_methods(["GET", "POST"])
def slot_add(request: SignedInRequest) -> HttpResponse:
    teacher = request.user
    form = SlotForm(request.POST or None, zone=timezone.get_current_timezone())
    if request.method == "POST" and form.is_valid():
        try:
            slot = services.slot_create(
                teacher=teacher, start_at=form.cleaned_data["start_at"], end_at=form.cleaned_data["end_at"]
            )
        except ApplicationError as error:
            form_errors(form, error, form.service_fields)
        else:
            messages.success(
                request,
                _("Slot added: %(when)s.")
                % {"when": formats.date_format(timezone.localtime(slot.start_at), "j E, H:i")},
            )
            return redirect(_week_of(slot.start_at))
    return render(request, "scheduling/slot_form.html", {"form": form})


def _skipped_message(skipped: list[dict]) -> str:
    """'3 occurrences skipped: 1 had already started; 2 overlapped ... (10 March 18:00, ...).'"""
    reasons = Counter(item["reason"] for item in skipped)

    def dates(reason: str) -> str:
        moments = [
            formats.date_format(dt.datetime.combine(item["local_date"], item["local_time"]), "j E H:i")
            for item in skipped
            if item["reason"] == reason
        ]
        shown = ", ".join(moments[:SKIPPED_DATES_SHOWN])
        return f" ({shown}{', …' if len(moments) > SKIPPED_DATES_SHOWN else ''})"

    parts = []
    if count := reasons[services.SKIP_PAST]:
        parts.append(
            ngettext("%(count)d had already started", "%(count)d had already started", count) % {"count": count}
        )
    if count := reasons[services.SKIP_OVERLAP]:
        parts.append(
            ngettext("%(count)d overlapped one of your slots", "%(count)d overlapped your slots", count)
            % {"count": count}
            + dates(services.SKIP_OVERLAP)
        )
    if count := reasons[services.SKIP_BEYOND_MAX_DAYS_AHEAD]:
        days = settings.SCHEDULING_MAX_DAYS_AHEAD
        parts.append(
            ngettext(
                "%(count)d fell beyond the limit of %(days)s ahead",
                "%(count)d fell beyond the limit of %(days)s ahead",
                count,
            )
            % {"count": count, "days": ngettext("%(days)d day", "%(days)d days", days) % {"days": days}}
            + dates(services.SKIP_BEYOND_MAX_DAYS_AHEAD)
        )
    if count := reasons[services.SKIP_NONEXISTENT]:
        parts.append(
            ngettext(
                "%(count)d fell on a time the clocks skip that day",
                "%(count)d fell on a time the clocks skip that day",
                count,
            )
            % {"count": count}
            + dates(services.SKIP_NONEXISTENT)
        )
    total = len(skipped)
    return ngettext("%(count)d slot skipped: %(reasons)s.", "%(count)d slots skipped: %(reasons)s.", total) % {
        "count": total,
        "reasons": "; ".join(parts),
    }


@teacher_page
@require_http_methods(["GET", "POST"])
def slot_add_recurring(request: SignedInRequest) -> HttpResponse:
    teacher = request.user
    form = RecurringForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.slot_create_recurring(
                teacher=teacher,
                weekday=data["weekday"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                slot_minutes=data["slot_minutes"],
                weeks=data["weeks"],
            )
        except ApplicationError as error:
            form_errors(form, error, form.service_fields)
        else:
            created = len(result.created)
            if created:
                messages.success(
                    request,
                    ngettext("%(count)d slot created.", "%(count)d slots created.", created) % {"count": created},
                )
            else:
                messages.warning(request, _("No slot was created."))
            if result.skipped:
                messages.warning(request, _skipped_message(result.skipped))
            return redirect(_week_of(result.created[0].start_at) if created else reverse("booking:teacher-week"))
    return render(request, "scheduling/recurring_form.html", {"form": form})
