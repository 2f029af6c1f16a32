"""The student's packages and payments page (thin: access helper, selector, render)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from billing import selectors
from guitaronline.core.errors import NotFound

PAGE_SIZE = 20


@login_required
def package_list(request: HttpRequest) -> HttpResponse:
    """The signed-in student's packages, newest first, each with its payments;
    anyone who is not a student gets the 404 page."""
    try:
        student = selectors.student_for_user(user=request.user, student_id=request.user.pk)
    except NotFound as exc:
        raise Http404 from exc
    packages = selectors.package_list_for_student(student=student).prefetch_related("payments")
    page = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "billing/package_list.html", {"page": page})
