"""Lesson pages: the teacher's dashboard, the lesson list and lesson page of
both roles (the teacher marks, writes notes and homework items, the student
reads and ticks homework done), the teacher's students with each one's
history, and the student's history with one teacher. Thin: parse input, call one
service or selector, render; Post/Redirect/Get with a message after each
action. Times are shown in the viewer's zone (the active time zone)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import area_page, error_messages, form_errors
from lessons import selectors, services
from lessons.forms import HomeworkDoneForm, HomeworkItemForm, LessonMarkForm, LessonNotesForm, PeriodForm
from lessons.models import Lesson

PAGE_SIZE = 50
MARK_PREFIX = "mark"
NOTES_PREFIX = "notes"
HOMEWORK_PREFIX = "homework"

student_page = area_page("student")
teacher_page = area_page("teacher")


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
    homework_form: HomeworkItemForm | None = None,
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
        if homework_form is None and lesson.status != Lesson.Status.CANCELED:
            homework_form = HomeworkItemForm(prefix=HOMEWORK_PREFIX)
        context.update(mark_form=mark_form, notes_form=notes_form, homework_form=homework_form)
    context["can_tick"] = lesson.student_id == request.user.pk and lesson.status != Lesson.Status.CANCELED
    return render(request, "lessons/lesson_detail.html", context)


@login_required
@require_GET
def lesson_detail(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = selectors.lesson_for_user(user=request.user, lesson_id=lesson_id)
    return _render_detail(request, lesson)


@login_required
@require_POST
def lesson_mark(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id)
    form = LessonMarkForm(request.POST, prefix=MARK_PREFIX)
    if form.is_valid():
        data = form.cleaned_data
        try:
            lesson = services.lesson_mark(
                lesson=lesson, status=data["status"], actor=request.user, notes=data["notes"], homework=data["homework"]
            )
        except ApplicationError as error:
            form_errors(form, error)
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
    lesson = selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id)
    form = LessonNotesForm(request.POST, prefix=NOTES_PREFIX)
    if form.is_valid():
        try:
            lesson = services.lesson_update_notes(lesson=lesson, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Notes, homework and meeting link saved."))
            return redirect("lessons:detail", lesson_id=lesson.pk)
    return _render_detail(request, lesson, notes_form=form)


@teacher_page
@require_GET
def student_list(request: HttpRequest) -> HttpResponse:
    students = selectors.students_of_teacher(teacher=request.user)
    page = Paginator(students, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "lessons/student_list.html", {"page": page})


@teacher_page
@require_GET
def student_history(request: HttpRequest, student_id: int) -> HttpResponse:
    student = selectors.student_of_teacher(teacher=request.user, student_id=student_id)
    lessons = selectors.lessons_between(teacher=request.user, student=student)
    page = Paginator(lessons, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"student": student, "page": page, "now": timezone.now()}
    return render(request, "lessons/student_history.html", context)


# --- homework items -----------------------------------------------------------------


@login_required
@require_POST
def homework_add(request: HttpRequest, lesson_id: int) -> HttpResponse:
    lesson = selectors.lesson_for_teacher(user=request.user, lesson_id=lesson_id)
    form = HomeworkItemForm(request.POST, prefix=HOMEWORK_PREFIX)
    if form.is_valid():
        try:
            services.homework_item_add(lesson=lesson, actor=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_errors(form, error)
        else:
            messages.success(request, _("Homework added."))
            return redirect("lessons:detail", lesson_id=lesson.pk)
    return _render_detail(request, lesson, homework_form=form)


@login_required
@require_POST
def homework_remove(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.homework_item_for_teacher(user=request.user, item_id=item_id)
    try:
        services.homework_item_remove(item=item, actor=request.user)
    except ApplicationError as error:
        error_messages(request, error)
    else:
        messages.success(request, _("Homework removed."))
    return redirect("lessons:detail", lesson_id=item.lesson_id)


@login_required
@require_POST
def homework_done(request: HttpRequest, item_id: int) -> HttpResponse:
    item = selectors.homework_item_for_student(user=request.user, item_id=item_id)
    form = HomeworkDoneForm(request.POST)
    form.is_valid()  # a boolean: anything but a checked box reads as not done
    try:
        item = services.homework_item_set_done(item=item, actor=request.user, done=form.cleaned_data["done"])
    except ApplicationError as error:
        error_messages(request, error)
    else:
        if item.done:
            messages.success(request, _("Marked done: %(title)s.") % {"title": item.title})
        else:
            messages.success(request, _("Marked not done yet: %(title)s.") % {"title": item.title})
    return redirect("lessons:detail", lesson_id=item.lesson_id)


@student_page
@require_GET
def teacher_history(request: HttpRequest, teacher_id: int) -> HttpResponse:
    """The student's history with one teacher: every lesson, notes and homework."""
    teacher = selectors.teacher_of_student(student=request.user, teacher_id=teacher_id)
    lessons = selectors.lessons_between(teacher=teacher, student=request.user)
    page = Paginator(lessons, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"teacher": teacher, "page": page, "now": timezone.now()}
    return render(request, "lessons/teacher_history.html", context)
