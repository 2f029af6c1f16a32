"""Buying lessons in a real browser.

Through a hosted provider: the student picks a product, pays on the fake
YooKassa's page (a real HTTP server on loopback, which notifies the running
site as YooKassa does), comes back to the payment's page and finds the
receipt and the package. Offline, as in `make run`: the student checks out
and reads how to pay the school, finance marks the payment received in the
admin, and the student finds the receipt and the package.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from billing.models import LessonPackage, Payment, Product
from tests.factories import PASSWORD, StudentFactory, staff_in
from tests.fakes.stripe import FakeStripe
from tests.fakes.yookassa import FakeYooKassa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def euro_product():
    return Product.objects.create(
        name_en="Ten lessons",
        name_ru="Десять уроков",
        lessons=10,
        validity_days=90,
        price=Decimal("150.00"),
        currency="EUR",
    )


@pytest.fixture
def product():
    return Product.objects.create(
        name_en="Ten lessons",
        name_ru="Десять уроков",
        description_en="A term of weekly lessons.",
        lessons=10,
        validity_days=90,
        price=Decimal("15000.00"),
        currency="RUB",
    )


def _site_pays_through(fake, settings, live_server, provider: str) -> None:
    fake.webhook_url = f"{live_server.url}/api/v1/billing/webhooks/{provider}"
    settings.BILLING_PAYMENT_PROVIDER = provider
    settings.SITE_URL = live_server.url
    # the payment page's origin, as BILLING_CHECKOUT_ORIGINS adds the provider's in a deployment
    policy = settings.CONTENT_SECURITY_POLICY
    directives = {**policy["DIRECTIVES"], "form-action": [*policy["DIRECTIVES"]["form-action"], fake.url]}
    settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": directives}


@pytest.fixture
def yookassa(settings, live_server):
    """The fake YooKassa, calling the running site back; the site takes payments through it."""
    fake = FakeYooKassa().start()
    _site_pays_through(fake, settings, live_server, "yookassa")
    settings.YOOKASSA_SHOP_ID, settings.YOOKASSA_SECRET_KEY = fake.shop_id, fake.secret_key
    settings.YOOKASSA_API_BASE = fake.api_base
    yield fake
    fake.stop()


@pytest.fixture
def stripe(settings, live_server):
    """The fake Stripe, sending signed events to the running site; the site takes payments through it."""
    fake = FakeStripe().start()
    _site_pays_through(fake, settings, live_server, "stripe")
    settings.STRIPE_SECRET_KEY, settings.STRIPE_WEBHOOK_SECRET = fake.secret_key, fake.webhook_secret
    settings.STRIPE_API_BASE = fake.api_base
    yield fake
    fake.stop()


def _buy(page, live_server) -> None:
    page.goto(f"{live_server.url}/buy/")
    page.click("form[action*='/buy/'] button[type=submit]")


def test_a_student_pays_on_the_providers_page_and_comes_back_to_the_receipt(
    page, live_server, login, screenshot, product, yookassa
):
    student = StudentFactory(language="en", full_name="Olga Buyer")
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    login(student.email, PASSWORD)
    _buy(page, live_server)
    screenshot("buy-yookassa-01-provider-page")
    page.wait_for_url(re.compile(re.escape(yookassa.url) + r"/checkout/"))
    assert "15000.00 RUB" in page.inner_text("body")

    page.click("button")  # Pay: YooKassa notifies the site, then sends the student back
    page.wait_for_url(re.compile(r"/payments/\d+/$"))
    screenshot("buy-yookassa-02-receipt")
    receipt = page.inner_text("main")
    assert "Receipt" in receipt and "Payment received. Thank you!" in receipt
    assert "15000.00 RUB" in receipt and "Ten lessons" in receipt and "Olga Buyer" in receipt

    page.goto(f"{live_server.url}/packages/")
    screenshot("buy-yookassa-03-packages")
    assert page.locator(".package-item .facts dd").first.inner_text() == "10 of 10"
    package = LessonPackage.objects.get(student=student)
    assert (package.lessons_left, Payment.objects.get(student=student).package_id) == (10, package.pk)
    assert not [line for line in console if "Content Security Policy" in line], console


def test_a_student_pays_on_stripe_checkout_and_comes_back_to_the_receipt(
    page, live_server, login, screenshot, euro_product, stripe
):
    student = StudentFactory(language="en", full_name="Emma Euro")
    login(student.email, PASSWORD)
    _buy(page, live_server)
    page.wait_for_url(re.compile(re.escape(stripe.url) + r"/pay/cs_test_"))
    assert "150.00 EUR" in page.inner_text("body")
    screenshot("buy-stripe-01-checkout")

    page.click("button")  # Pay: Stripe sends a signed event, then the student comes back
    page.wait_for_url(re.compile(r"/payments/\d+/$"))
    screenshot("buy-stripe-02-receipt")
    receipt = page.inner_text("main")
    assert "Payment received. Thank you!" in receipt and "150.00 EUR" in receipt and "Stripe" in receipt
    assert LessonPackage.objects.get(student=student).lessons_left == 10


def test_offline_the_student_checks_out_finance_settles_and_the_student_sees_the_receipt(
    page, browser, live_server, login, screenshot, product, staff_groups
):
    student = StudentFactory(language="ru", full_name="Ольга Покупкина")
    finance = staff_in("finance")
    login(student.email, PASSWORD)
    _buy(page, live_server)
    page.wait_for_url(re.compile(r"/payments/\d+/$"))
    screenshot("buy-offline-01-how-to-pay")
    waiting = page.inner_text("main")
    payment = Payment.objects.get(student=student)
    assert "Оплатите школе 15000,00 RUB" in waiting and f"Номер платежа: {payment.pk}" in waiting

    desk = browser.new_page(locale="ru-RU")
    desk.goto(f"{live_server.url}/admin/login/")
    desk.fill("input[name=username]", finance.email)
    desk.fill("input[name=password]", PASSWORD)
    desk.click("input[type=submit], button[type=submit]")
    desk.goto(f"{live_server.url}/admin/billing/payment/?status__exact=pending")
    desk.check(f"input[name=_selected_action][value='{payment.pk}']")
    desk.select_option("select[name=action]", "mark_received")
    desk.click("button[name=index]")
    desk.wait_for_load_state("networkidle")
    assert "1 payment marked received." in desk.inner_text("ul.messagelist")
    desk.close()

    page.reload()
    screenshot("buy-offline-02-receipt")
    receipt = page.inner_text("main")
    assert "Квитанция" in receipt and "Платёж получен. Спасибо!" in receipt and "Десять уроков" in receipt
    page.goto(f"{live_server.url}/packages/")
    assert page.locator(".package-item .facts dd").first.inner_text() == "10 из 10"
