"""The teacher's schedule pages: the week of slots, add a slot, add weekly
availability, remove a free slot. Thin: parse the form, call one service or
selector, render; Post/Redirect/Get with a message after each action.

Times are entered and shown in the teacher's zone, the active time zone of
the request (`UserPreferencesMiddleware`); the database keeps UTC.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import add_service_errors
from accounts.models import User
from guitaronline.core.errors import ApplicationError, NotFound
from guitaronline.core.times import in_zone
from guitaronline.core.weeks import local_week
from scheduling import selectors, services
from scheduling.forms import RecurringForm, SlotForm, WeekForm

SKIPPED_DATES_SHOWN = 5


def _teacher(request: HttpRequest) -> User:
    """The signed-in teacher; anyone else gets the 404 page."""
    if not request.user.is_teacher:
        raise Http404
    return request.user


def _week_url(day: dt.date) -> str:
    return f"{reverse('scheduling:week')}?week={day.isoformat()}"


def _week_of(moment: dt.datetime) -> str:
    """The week view showing `moment` (in the active zone)."""
    return _week_url(in_zone(moment).date())


@login_required
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    teacher = _teacher(request)
    zone = timezone.get_current_timezone()
    now = timezone.now()
    today = now.astimezone(zone).date()
    shown = local_week(WeekForm(request.GET).day(default=today), zone)
    monday, start, end = shown.monday, shown.start, shown.end
    days = [{"date": monday + dt.timedelta(days=offset), "slots": []} for offset in range(7)]
    # A day of margin, then the local date decides: exact even where a clock change falls on midnight.
    margin = dt.timedelta(days=1)
    for slot in selectors.teacher_slots_with_takers(teacher=teacher, start=start - margin, end=end + margin, now=now):
        offset = (slot.start_at.astimezone(zone).date() - monday).days
        if 0 <= offset < 7:
            days[offset]["slots"].append(slot)
    context = {
        "days": days,
        "today": today,
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous_url": _week_url(monday - dt.timedelta(days=7)),
        "next_url": _week_url(monday + dt.timedelta(days=7)),
        "this_week_url": None if start <= now < end else reverse("scheduling:week"),
    }
    return render(request, "scheduling/week.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def slot_add(request: HttpRequest) -> HttpResponse:
    teacher = _teacher(request)
    form = SlotForm(request.POST or None, zone=timezone.get_current_timezone())
    if request.method == "POST" and form.is_valid():
        try:
            slot = services.slot_create(
                teacher=teacher, start_at=form.cleaned_data["start_at"], end_at=form.cleaned_data["end_at"]
            )
        except ApplicationError as error:
            add_service_errors(form, error, form.service_fields)
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


@login_required
@require_http_methods(["GET", "POST"])
def slot_add_recurring(request: HttpRequest) -> HttpResponse:
    teacher = _teacher(request)
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
            add_service_errors(form, error, form.service_fields)
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
            return redirect(_week_of(result.created[0].start_at) if created else reverse("scheduling:week"))
    return render(request, "scheduling/recurring_form.html", {"form": form})


@login_required
@require_POST
def slot_remove(request: HttpRequest, slot_id: int) -> HttpResponse:
    try:
        slot = selectors.slot_for_teacher(user=request.user, slot_id=slot_id)
    except NotFound as exc:
        raise Http404 from exc
    when = formats.date_format(in_zone(slot.start_at), "j E, H:i")
    try:
        services.slot_delete(teacher=request.user, slot=slot)
    except ApplicationError as error:
        messages.error(
            request, _("The slot of %(when)s was not removed: %(reason)s") % {"when": when, "reason": error.message}
        )
    else:
        messages.success(request, _("Slot removed: %(when)s.") % {"when": when})
    return redirect(_week_of(slot.start_at))
