"""The student's pages: teacher directory and teacher page, hold -> confirm,
my bookings (cancel, reschedule), the waitlist (join, my waitlists, leave,
the offer page) and the student's dashboard.

Thin: each view parses its input, calls one selector (reads) or an access
helper and one service (writes), and renders or redirects (Post/Redirect/Get).
Service errors become messages in the user's language.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import selectors as account_selectors
from accounts.http import SignedInRequest
from booking import selectors, services, waitlist
from booking.errors import SlotUnavailable
from booking.forms import (
    MoveProposalForm,
    SeriesForm,
    SlotChoiceForm,
    TeacherCancelForm,
    TeacherFilterForm,
    TimeOffForm,
    WaitlistJoinForm,
    WeekForm,
)
from guitaronline.core import viewcache
from guitaronline.core.errors import ApplicationError, NotFound
from guitaronline.core.pages import area_page, error_messages, form_errors
from guitaronline.core.times import in_zone
from guitaronline.core.weeks import local_week
from scheduling import selectors as scheduling_selectors

student_page = area_page("student")
teacher_page = area_page("teacher")


def _when(moment) -> str:
    """A date and time for a message, in the active zone, with the zone's name."""
    local = in_zone(moment)
    return f"{date_format(local, 'j E Y, H:i')} ({timezone.get_current_timezone_name()})"


def _error(request: HttpRequest, error: ApplicationError) -> None:
    """A service's refusal as an error message in the user's language."""
    if isinstance(error, NotFound):  # a slot removed meanwhile: say it as the user sees it
        error = SlotUnavailable()
    error_messages(request, error)


def _with_week(url: str, week) -> str:
    return f"{url}?{urlencode({'week': week.isoformat()})}" if week else url


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# --- dashboard --------------------------------------------------------------------


@student_page
def dashboard(request: SignedInRequest) -> HttpResponse:
    """The student's dashboard; its part of their own lessons, holds and
    packages is cached until a change touches them or time changes it."""

    def render_part():
        dashboard = selectors.student_dashboard(student=request.user)
        html = render_to_string("booking/includes/student_dashboard.html", {"dashboard": dashboard}, request)
        return html, dashboard.changes_at

    part = viewcache.value(
        "student-dashboard", owner=request.user.pk, keys=viewcache.viewer(request), compute=render_part
    )
    return render(request, "accounts/student_home.html", {"part": part})


@teacher_page
def teacher_dashboard(request: HttpRequest) -> HttpResponse:
    """The teacher's home page (it combines lessons and slots, so it lives here)."""
    dashboard = selectors.teacher_dashboard(teacher=request.user, zone=timezone.get_current_timezone())
    return render(request, "booking/teacher_dashboard.html", {"dashboard": dashboard, "profile": dashboard.profile})


# --- teachers ---------------------------------------------------------------------


def teacher_list(request: HttpRequest) -> HttpResponse:
    """The directory of published teachers; the same for everyone, so it is
    cached per query until a teacher's profile or account changes."""

    def render_part():
        form = TeacherFilterForm(request.GET or None)
        teachers = account_selectors.teacher_list_published(**form.filters())
        page = Paginator(teachers, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
        return render_to_string("booking/includes/teacher_list.html", {"form": form, "page": page}, request), None

    keys = viewcache.viewer(request, query=True)
    part = viewcache.value("teacher-list", owner=account_selectors.DIRECTORY, keys=keys, compute=render_part)
    return render(request, "booking/teacher_list.html", {"part": part})


def teacher_detail(request: HttpRequest, teacher_id: int) -> HttpResponse:
    week = WeekForm(request.GET).week_or_none()
    teacher = selectors.teacher_page(teacher_id=teacher_id, week=week)
    context = {"profile": teacher.profile, "week": teacher.week}
    if request.user.is_authenticated and request.user.is_student:
        context["waitlist_form"] = WaitlistJoinForm()
        context["waitlisted"] = selectors.waitlisted_with_teacher(user=request.user, teacher_id=teacher.profile.pk)
    return render(request, "booking/teacher_detail.html", context)


@student_page
def hold(request: HttpRequest, teacher_id: int) -> HttpResponse:
    back = reverse("booking:teacher-detail", args=[teacher_id])
    if request.method != "POST":  # e.g. back here after logging in: show the slots again
        return redirect(back)
    form = SlotChoiceForm(request.POST)
    valid = form.is_valid()
    back = _with_week(back, form.cleaned_data.get("week"))
    if not valid:
        messages.error(request, str(SlotUnavailable.default_message))
        return redirect(back)
    try:
        booking = services.booking_hold(student=request.user, slot_id=form.cleaned_data["slot"])
    except ApplicationError as error:
        _error(request, error)
        return redirect(back)
    expires = date_format(timezone.localtime(booking.hold_expires_at), "H:i")
    messages.success(
        request, _("The slot is held for you until %(time)s. Confirm it to book the lesson.") % {"time": expires}
    )
    return redirect("booking:booking-detail", booking.pk)


# --- bookings ---------------------------------------------------------------------


@student_page
def booking_list(request: HttpRequest) -> HttpResponse:
    page = selectors.bookings_page_for_student(student=request.user, page_number=request.GET.get("page"))
    return render(request, "booking/booking_list.html", {"page": page})


@student_page
def booking_detail(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_for_student(user=request.user, booking_id=booking_id)
    context = {"booking": booking, "proposal": selectors.proposal_pending(booking=booking)}
    return render(request, "booking/booking_detail.html", context)


@student_page
@require_POST
def proposal_answer(request: HttpRequest, proposal_id: int, answer: str) -> HttpResponse:
    """The student accepts a teacher's proposed new time (the booking moves) or declines it."""
    proposal = selectors.proposal_for_student(user=request.user, proposal_id=proposal_id)
    try:
        if answer == "accept":
            moved = services.move_proposal_accept(proposal=proposal, student=request.user)
        else:
            services.move_proposal_decline(proposal=proposal, student=request.user)
    except ApplicationError as error:
        _error(request, error)
        return redirect("booking:booking-detail", proposal.booking_id)
    if answer == "accept":
        messages.success(request, _("Your lesson is moved to %(when)s.") % {"when": _when(moved.slot.start_at)})
        return redirect("booking:booking-detail", moved.pk)
    messages.success(request, _("You declined the new time; the lesson keeps its time."))
    return redirect("booking:booking-detail", proposal.booking_id)


@student_page
@require_POST
def confirm(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_for_student(user=request.user, booking_id=booking_id)
    try:
        booking = services.booking_confirm(booking=booking, actor=request.user)
    except ApplicationError as error:
        _error(request, error)
    else:
        messages.success(request, _("Your lesson is booked: %(when)s.") % {"when": _when(booking.slot.start_at)})
    return redirect("booking:booking-detail", booking_id)


@student_page
@require_POST
def cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_for_student(user=request.user, booking_id=booking_id)
    back = _next_or(request, reverse("booking:booking-list"))
    try:
        booking = services.booking_cancel(booking=booking, actor=request.user)
    except ApplicationError as error:
        _error(request, error)
        return redirect(back)
    if booking.lesson_returned is None:
        messages.success(request, _("The hold is released; the slot is free for others again."))
    elif booking.lesson_returned:
        messages.success(
            request, _("The booking is canceled.") + " " + _("The lesson has been returned to your package.")
        )
    else:
        messages.success(
            request,
            _("The booking is canceled.")
            + " "
            + _("The lesson was not returned to your package: the cancellation came too close to the start."),
        )
    return redirect(back)


@student_page
def reschedule(request: HttpRequest, booking_id: int) -> HttpResponse:
    if request.method == "POST":
        return _reschedule_post(request, booking_id)
    week = WeekForm(request.GET).week_or_none()
    page = selectors.reschedule_page(user=request.user, booking_id=booking_id, week=week)
    return render(request, "booking/reschedule.html", {"booking": page.booking, "week": page.week})


def _reschedule_post(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = selectors.booking_for_student(user=request.user, booking_id=booking_id)
    form = SlotChoiceForm(request.POST)
    valid = form.is_valid()
    back = _with_week(reverse("booking:reschedule", args=[booking.pk]), form.cleaned_data.get("week"))
    if not valid:
        messages.error(request, str(SlotUnavailable.default_message))
        return redirect(back)
    try:
        successor = services.booking_reschedule(
            booking=booking, new_slot_id=form.cleaned_data["slot"], actor=request.user
        )
    except ApplicationError as error:
        _error(request, error)
        return redirect(back)
    message = _("Your lesson is moved to %(when)s.") % {"when": _when(successor.slot.start_at)}
    if successor.rescheduled_from is not None and successor.rescheduled_from.lesson_returned:
        message += " " + _("The lesson of the old time has been returned to your package.")
    messages.success(request, message)
    return redirect("booking:booking-detail", successor.pk)


# --- the waitlist -------------------------------------------------------------------


@student_page
def waitlist_join(request: HttpRequest, teacher_id: int) -> HttpResponse:
    back = reverse("booking:teacher-detail", args=[teacher_id])
    if request.method != "POST":  # e.g. back here after logging in
        return redirect(back)
    form = WaitlistJoinForm(request.POST)
    if not form.is_valid():
        for field_messages in form.errors.values():
            for message in field_messages:
                messages.error(request, str(message))
        return redirect(back)
    try:
        waitlist.waitlist_join(student=request.user, teacher_id=teacher_id, **form.cleaned_data)
    except NotFound:
        raise  # not a published teacher: the 404 page
    except ApplicationError as error:
        _error(request, error)
        return redirect(back)
    messages.success(
        request, _("You are on the waitlist. We will write to you when a lesson time that suits you frees up.")
    )
    return redirect("booking:waitlist-list")


@student_page
def waitlist_list(request: HttpRequest) -> HttpResponse:
    entries = selectors.waitlist_entries_for_student(student=request.user)
    return render(request, "booking/waitlist_list.html", {"entries": entries})


@student_page
@require_POST
def waitlist_leave(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.waitlist_entry_for_student(user=request.user, entry_id=entry_id)
    try:
        waitlist.waitlist_leave(entry=entry, actor=request.user)
    except ApplicationError as error:
        _error(request, error)
    else:
        messages.success(request, _("You have left the waitlist."))
    return redirect("booking:waitlist-list")


@student_page
def waitlist_offer(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = selectors.waitlist_offer_for_student(user=request.user, offer_id=offer_id)
    return render(request, "booking/waitlist_offer.html", {"offer": offer})


@student_page
@require_POST
def waitlist_offer_accept(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = selectors.waitlist_offer_for_student(user=request.user, offer_id=offer_id)
    try:
        booking = services.waitlist_offer_accept(offer=offer, student=request.user)
    except ApplicationError as error:
        _error(request, error)
        return redirect("booking:waitlist-offer", offer.pk)
    expires = date_format(timezone.localtime(booking.hold_expires_at), "H:i")
    messages.success(
        request, _("The slot is held for you until %(time)s. Confirm it to book the lesson.") % {"time": expires}
    )
    return redirect("booking:booking-detail", booking.pk)


# --- the teacher's week of slots ----------------------------------------------------


def _teacher_week_url(day) -> str:
    return _with_week(reverse("booking:teacher-week"), day)


@teacher_page
@require_GET
def teacher_week(request: SignedInRequest) -> HttpResponse:
    """The teacher's slots of one week, by local day, each free, held or booked
    (by whom); cached until a change touches the teacher or time changes it
    (a slot starts, a hold runs out, the day ends)."""
    zone = timezone.get_current_timezone()
    now = timezone.now()
    today = timezone.localtime(now, zone).date()
    shown = local_week(WeekForm(request.GET).week_or_none() or today, zone)
    monday, start, end = shown.monday, shown.start, shown.end

    def render_part():
        days: list[dict[str, Any]] = [{"date": monday + timedelta(days=offset), "slots": []} for offset in range(7)]
        # A day of margin, then the local date decides: exact even where a clock change falls on midnight.
        margin = timedelta(days=1)
        # when it changes with time alone: the next local midnight ("today" moves), a slot starts, a hold ends
        moments: list[datetime | None] = [datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)]
        for slot in selectors.teacher_slots_with_takers(
            teacher=request.user, start=start - margin, end=end + margin, now=now
        ):
            offset = (timezone.localtime(slot.start_at, zone).date() - monday).days
            if 0 <= offset < 7:
                days[offset]["slots"].append(slot)
                moments += [slot.start_at, slot.hold_expires_at] if slot.booking_status == "hold" else [slot.start_at]
        context = {
            "days": days,
            "today": today,
            "monday": monday,
            "sunday": shown.sunday,
            "previous_url": _teacher_week_url(monday - timedelta(days=7)),
            "next_url": _teacher_week_url(monday + timedelta(days=7)),
            "this_week_url": None if start <= now < end else reverse("booking:teacher-week"),
        }
        html = render_to_string("booking/includes/teacher_week.html", context, request)
        return html, min(moment for moment in moments if moment is not None and moment > now)

    keys = [*viewcache.viewer(request, forms=True), str(monday)]
    part = viewcache.value("teacher-week", owner=request.user.pk, keys=keys, compute=render_part)
    return render(request, "booking/teacher_week.html", {"part": part})


@teacher_page
def teacher_cancel(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The teacher cancels a booked lesson, with a reason for the student; the
    lesson goes back to the student's package and the slot is withdrawn."""
    booking = selectors.booking_for_teacher(user=request.user, booking_id=booking_id)
    form = TeacherCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_cancel(booking=booking, actor=request.user, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            form_errors(form, error)
        else:
            messages.success(
                request,
                _("The lesson of %(when)s is canceled; it went back to %(name)s's package, and they are told.")
                % {"when": _when(booking.slot.start_at), "name": booking.student.full_name},
            )
            return redirect(_teacher_week_url(in_zone(booking.slot.start_at).date()))
    return render(request, "booking/teacher_cancel.html", {"booking": booking, "form": form})


@teacher_page
def teacher_move(request: HttpRequest, booking_id: int) -> HttpResponse:
    """The teacher proposes another of their open slots for a booked lesson;
    the student accepts or declines."""
    booking = selectors.booking_for_teacher(user=request.user, booking_id=booking_id)
    form = MoveProposalForm(request.POST or None, slots=selectors.proposal_slots(booking=booking))
    if request.method == "POST" and form.is_valid():
        try:
            services.booking_move_propose(
                booking=booking,
                teacher=request.user,
                new_slot_id=form.cleaned_data["new_slot"],
                message=form.cleaned_data["message"],
            )
        except ApplicationError as error:
            form_errors(form, error, {"new_slot_id": "new_slot"})
        else:
            messages.success(request, _("The new time is proposed to %(name)s.") % {"name": booking.student.full_name})
            return redirect(_teacher_week_url(in_zone(booking.slot.start_at).date()))
    context = {"booking": booking, "form": form, "proposal": selectors.proposal_pending(booking=booking)}
    return render(request, "booking/teacher_move.html", context)


@teacher_page
def teacher_time_off(request: HttpRequest) -> HttpResponse:
    """The teacher's days off: enter new ones (their free slots are removed),
    and see those ahead with the lessons still booked in them, to cancel."""
    form = TimeOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            time_off, removed = services.time_off_take(teacher=request.user, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_errors(form, error)
        else:
            booked = len(selectors.bookings_in_time_off(time_off=time_off))
            messages.success(
                request,
                ngettext(
                    "Time off saved; %(count)d free slot in these days is removed.",
                    "Time off saved; %(count)d free slots in these days are removed.",
                    removed,
                )
                % {"count": removed},
            )
            if booked:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)d lesson is still booked in these days: cancel it below.",
                        "%(count)d lessons are still booked in these days: cancel them below.",
                        booked,
                    )
                    % {"count": booked},
                )
            return redirect("booking:teacher-time-off")
    periods = selectors.time_off_for_teacher(teacher=request.user)
    return render(request, "booking/teacher_time_off.html", {"form": form, "periods": periods})


@teacher_page
@require_POST
def time_off_cancel(request: SignedInRequest, time_off_id: int) -> HttpResponse:
    time_off = scheduling_selectors.time_off_for_teacher(user=request.user, time_off_id=time_off_id)
    services.time_off_cancel(time_off=time_off, actor=request.user)
    messages.success(request, _("Time off removed; you can open slots in these days again."))
    return redirect("booking:teacher-time-off")


@teacher_page
@require_POST
def slot_remove(request: SignedInRequest, slot_id: int) -> HttpResponse:
    slot = scheduling_selectors.slot_for_teacher(user=request.user, slot_id=slot_id)
    when = date_format(in_zone(slot.start_at), "j E, H:i")
    try:
        services.slot_remove(teacher=request.user, slot=slot)
    except ApplicationError as error:
        error_messages(request, error, sentence=_("The slot of %(when)s was not removed: %(reason)s"), when=when)
    else:
        messages.success(request, _("Slot removed: %(when)s.") % {"when": when})
    return redirect(_teacher_week_url(in_zone(slot.start_at).date()))


# --- weekly series ----------------------------------------------------------------


@student_page
def series_new(request: HttpRequest) -> HttpResponse:
    """Book a slot every week: choose how long, see each week (bookable, or
    why not), then book the bookable ones."""
    data = request.POST if request.method == "POST" else request.GET
    form = SeriesForm(data if "length" in data else None, initial={"slot": data.get("slot")})
    weeks = None
    if form.is_bound and form.is_valid():
        terms = form.terms()
        if request.method == "POST":
            try:
                series, _plan, booked = services.series_book(
                    student=request.user, slot_id=form.cleaned_data["slot"], **terms
                )
            except ApplicationError as error:  # e.g. the weeks went to someone else meanwhile: the preview, afresh
                form_errors(form, error, {"slot_id": "slot"})
            else:
                messages.success(
                    request,
                    ngettext("%(count)d weekly lesson is booked.", "%(count)d weekly lessons are booked.", len(booked))
                    % {"count": len(booked)},
                )
                return redirect(f"{reverse('booking:series-list')}#series-{series.pk}")
        try:
            weeks = selectors.series_preview(
                slot_id=form.cleaned_data["slot"], weeks=terms.get("weeks"), until=terms.get("until")
            )
        except ApplicationError as error:
            form_errors(form, error, {"slot_id": "slot"})
    slot = selectors.series_start(slot_id=data.get("slot")).slot
    first = in_zone(slot.start_at).time()
    for week in weeks or ():  # the student's clock may move where the teacher's does not (DST on other dates)
        week.shifted = week.start_at is not None and in_zone(week.start_at).time() != first
    context = {
        "form": form,
        "slot": slot,
        "weeks": weeks,
        "bookable": sum(1 for week in weeks or () if week.bookable),
        "shifts": any(week.shifted for week in weeks or ()),
    }
    return render(request, "booking/series_new.html", context)


@login_required
def series_list(request: HttpRequest) -> HttpResponse:
    """The signed-in student's or teacher's weekly series, each with its lessons."""
    return render(
        request,
        "booking/series_list.html",
        {"all_series": selectors.series_for_user(user=request.user), "now": timezone.now()},
    )


@login_required
@require_POST
def series_cancel(request: HttpRequest, series_id: int) -> HttpResponse:
    series = selectors.series_of_user(user=request.user, series_id=series_id)
    try:
        canceled = services.series_cancel(
            series=series, actor=request.user, from_booking_id=request.POST.get("from_booking_id")
        )
    except ApplicationError as error:
        _error(request, error)
    else:
        returned = sum(1 for booking in canceled if booking.lesson_returned)
        messages.success(
            request,
            ngettext("%(count)d lesson canceled", "%(count)d lessons canceled", len(canceled))
            % {"count": len(canceled)}
            + "; "
            + ngettext("%(count)d went back to the package.", "%(count)d went back to the package.", returned)
            % {"count": returned},
        )
    return redirect("booking:series-list")
