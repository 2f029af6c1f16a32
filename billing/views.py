"""The student's packages and payments page (thin: access helper, selector, render)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from billing import selectors
from guitaronline.core.pages import area_page

PAGE_SIZE = 20


@area_page("student")
def package_list(request: HttpRequest) -> HttpResponse:
    """The signed-in student's packages, newest first, each with its payments."""
    packages = selectors.package_list_for_student(student=request.user).prefetch_related("payments")
    page = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "billing/package_list.html", {"page": page})
