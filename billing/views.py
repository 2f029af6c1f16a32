"""The student's money pages: buying lessons (the products on sale, the
checkout), a payment's own page (the return from the provider, how to pay
offline, the printable receipt), and the packages with their payments.
Thin: access helper or selector, one service, render or redirect."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_POST

from accounts.http import SignedInRequest
from billing import payments, selectors
from guitaronline.core.errors import ApplicationError
from guitaronline.core.pages import area_page, error_messages

PAGE_SIZE = 20

student_page = area_page("student")


@student_page
def package_list(request: SignedInRequest) -> HttpResponse:
    """The signed-in student's packages, newest first, each with its payments,
    and their payments not (yet) turned into a package."""
    packages = selectors.package_list_for_student(student=request.user).prefetch_related("payments")
    page = Paginator(packages, PAGE_SIZE).get_page(request.GET.get("page"))
    open_payments = selectors.payments_list_for_user(user=request.user).filter(package__isnull=True)[:PAGE_SIZE]
    return render(request, "billing/package_list.html", {"page": page, "open_payments": open_payments})


def product_list(request: HttpRequest) -> HttpResponse:
    """Buy lessons: the products on sale (anyone may look; buying needs a student's login)."""
    return render(request, "billing/product_list.html", {"products": selectors.products_on_sale()})


@student_page
@require_POST
def checkout(request: HttpRequest, product_id: int) -> HttpResponse:
    """Start (or resume) the checkout of a product, then pay at the provider,
    or read how to pay the school offline on the payment's page."""
    try:
        payment, _ = payments.product_checkout(student=request.user, product_id=product_id)
    except ApplicationError as error:
        error_messages(request, error)
        return redirect("billing:product-list")
    if payment.checkout_url:
        return redirect(payment.checkout_url)
    return redirect("billing:payment-detail", payment.pk)


def _offline_instructions() -> str:
    if get_language() == "ru":
        return settings.BILLING_OFFLINE_INSTRUCTIONS_RU or settings.BILLING_OFFLINE_INSTRUCTIONS_EN
    return settings.BILLING_OFFLINE_INSTRUCTIONS_EN or settings.BILLING_OFFLINE_INSTRUCTIONS_RU


@student_page
def payment_detail(request: HttpRequest, payment_id: int) -> HttpResponse:
    """A payment as its student sees it: received (with the receipt to print),
    still processing at the provider (asked once more on each visit; the page
    reloads itself meanwhile), waiting for the school (how to pay offline),
    refunded, or not completed."""
    payment = payments.payment_refresh(payment=selectors.payment_for_student(user=request.user, payment_id=payment_id))
    context = {"payment": payment, "instructions": _offline_instructions(), "school": settings.SITE_URL}
    return render(request, "billing/payment_detail.html", context)
