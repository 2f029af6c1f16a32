"""Lesson pages: the teacher's dashboard, the lesson list and lesson page of
both roles (the teacher marks and writes notes, the student reads), and the
teacher's students with each one's history. Thin: parse input, call one
service or selector, render; Post/Redirect/Get with a message after each
action. Times are shown in the viewer's zone (the active time zone)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.forms import add_service_errors
from guitaronline.core.errors import ApplicationError, NotFound
from lessons import selectors, services
from lessons.forms import LessonMarkForm, LessonNotesForm, PeriodForm
from lessons.models import Lesson

PAGE_SIZE = 50
MARK_PREFIX = "mark"
NOTES_PREFIX = "notes"

T = TypeVar("T")


def _or_404(read: Callable[[], T]) -> T:
    """Run an access helper or selector; its not-found becomes the 404 page."""
    try:
        return read()
    except NotFound as exc:
        raise Http404 from exc


def _teacher_only(request: HttpRequest) -> None:
    if not request.user.is_teacher:
        raise Http404


@login_required
@require_GET
def lesson_list(request: HttpRequest) -> HttpResponse:
    period = PeriodForm(request.GET).period()
    lessons = selectors.lessons_in_period(user=request.user, period=period)
    page = Paginator(lessons, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lessons/lesson_list.html", {"page": page, "period": period, "now": timezone.now()})


def _render_detail(
    request: HttpRequest,
    lesson: Lesson,
    *,
    mark_form: LessonMarkForm | None = None,
    notes_form: LessonNotesForm | None = None,
) -> HttpResponse:
    """The lesson page; for its teacher also the forms. A bound form (one the
    service refused) is shown whatever the lesson's state, with its errors
    and what was typed."""
    is_teacher = lesson.teacher_id == request.user.pk
    context = {"lesson": lesson, "is_teacher": is_teacher, "started": lesson.start_at <= timezone.now()}
    if is_teacher:
        initial = {"notes": lesson.notes, "homework": lesson.homework}
        if mark_form is None and lesson.status == Lesson.Status.SCHEDULED:
            mark_form = LessonMarkForm(prefix=MARK_PREFIX, initial=initial)
        if notes_form is None and lesson.status != Lesson.Status.CANCELED:
            notes_form = LessonNotesForm(prefix=NOTES_PREFIX, initial={**initial, "meeting_url": lesson.meeting_url})
        context.update(mark_form=mark_form, notes_form=notes_form)
    return render(request, "lessons/lesson_detail.html", context)


@login_required
@require_GET
def lesson_detail(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _or_404(lambda: selectors.lesson_for_user(user=request.user, lesson_id=lesson_id))
    return _render_detail(request, lesson)


@login_required
@require_POST
def lesson_mark(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _or_404(lambda: selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id))
    form = LessonMarkForm(request.POST, prefix=MARK_PREFIX)
    if form.is_valid():
        data = form.cleaned_data
        try:
            lesson = services.lesson_mark(
                lesson=lesson, status=data["status"], actor=request.user, notes=data["notes"], homework=data["homework"]
            )
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            if lesson.status == Lesson.Status.COMPLETED:
                messages.success(request, _("The lesson is marked completed."))
            else:
                messages.success(request, _("The lesson is marked as a no-show."))
            return redirect("lessons:detail", lesson_id=lesson.pk)
    return _render_detail(request, lesson, mark_form=form)


@login_required
@require_POST
def lesson_notes(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = _or_404(lambda: selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id))
    form = LessonNotesForm(request.POST, prefix=NOTES_PREFIX)
    if form.is_valid():
        try:
            lesson = services.lesson_update_notes(lesson=lesson, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Notes, homework and meeting link saved."))
            return redirect("lessons:detail", lesson_id=lesson.pk)
    return _render_detail(request, lesson, notes_form=form)


@login_required
@require_GET
def student_list(request: HttpRequest) -> HttpResponse:
    _teacher_only(request)
    students = selectors.students_of_teacher(teacher=request.user)
    page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lessons/student_list.html", {"page": page})


@login_required
@require_GET
def student_history(request: HttpRequest, student_id: int) -> HttpResponse:
    student = _or_404(lambda: selectors.student_of_teacher(teacher=request.user, student_id=student_id))
    lessons = selectors.lessons_between(teacher=request.user, student=student)
    page = Paginator(lessons, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"student": student, "page": page, "now": timezone.now()}
    return render(request, "lessons/student_history.html", context)
