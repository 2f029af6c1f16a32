"""The demo school's money: products on sale in roubles and in euros, and
students' past payments, one in each state in each currency, made through
the same services as real ones (with the offline provider of `make run`).
Idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from billing import payments, services
from billing.models import Payment, Product

# (English name, Russian name, lessons, validity in days, price)
DEMO_PRODUCTS = (
    ("Trial month", "Пробный месяц", 4, 60, Decimal("6400.00")),
    ("Term", "Семестр", 10, 180, Decimal("15000.00")),
    ("School year", "Учебный год", 20, 365, Decimal("28000.00")),
)
EURO_PRICES = {4: Decimal("120.00"), 10: Decimal("280.00"), 20: Decimal("520.00")}  # for students paying in euros
DESCRIPTIONS = {
    4: ("A month of weekly lessons: try a teacher out.", "Месяц занятий раз в неделю: попробуйте преподавателя."),
    10: ("A term of weekly lessons.", "Семестр занятий раз в неделю."),
    20: ("Twice a week, or a whole school year.", "Дважды в неделю или целый учебный год."),
}


def seed_demo_products(*, admin, currency: str = "RUB") -> dict[int, Product]:
    """The products on sale in `currency` (RUB, or EUR), by number of lessons."""
    products = {}
    for position, (name_en, name_ru, lessons, days, rub) in enumerate(DEMO_PRODUCTS):
        price = rub if currency == "RUB" else EURO_PRICES[lessons]
        suffix = "" if currency == "RUB" else f" ({currency})"
        name_en, name_ru = name_en + suffix, name_ru + suffix
        product = Product.objects.filter(name_en=name_en).first()
        if product is None:
            description_en, description_ru = DESCRIPTIONS[lessons]
            product = services.product_save(
                product=Product(
                    name_en=name_en,
                    name_ru=name_ru,
                    description_en=description_en,
                    description_ru=description_ru,
                    lessons=lessons,
                    validity_days=days,
                    price=price,
                    currency=currency,
                    position=position + (0 if currency == "RUB" else len(DEMO_PRODUCTS)),
                ),
                actor=admin,
            )
        products[lessons] = product
    return products


def _started(payment: Payment, at: dt.datetime) -> Payment:
    """Date a demo checkout back to when the story says it began."""
    Payment.objects.filter(pk=payment.pk).update(created_at=at)
    payment.refresh_from_db()
    return payment


def seed_demo_payments(*, admin, student, products: dict[int, Product], now: dt.datetime) -> list[Payment]:
    """The student's history, once: a package refunded unused three months
    ago, a checkout that failed and one that was abandoned (expired), the
    10-lesson package bought three weeks ago (the lessons they book with), and
    a checkout of 20 lessons waiting for finance to record the money."""
    if Payment.objects.filter(student=student).exists():
        return []
    days = dt.timedelta(days=1)

    refunded = payments.product_sell_offline(product=products[4], student=student, actor=admin, now=now - 95 * days)
    payments.payment_refund(payment=refunded, actor=admin, now=now - 90 * days)
    _started(refunded, now - 95 * days)

    failed, _ = payments.product_checkout(student=student, product_id=products[20].pk, now=now - 40 * days)
    payments.payment_settle(payment=_started(failed, now - 40 * days), succeeded=False, actor=admin)

    abandoned, _ = payments.product_checkout(student=student, product_id=products[4].pk, now=now - 30 * days)
    _started(abandoned, now - 30 * days)
    payments.payments_reconcile(now=now)  # past BILLING_OFFLINE_CHECKOUT_DAYS: it expires

    bought = payments.product_sell_offline(product=products[10], student=student, actor=admin, now=now - 21 * days)
    _started(bought, now - 21 * days)

    waiting, _ = payments.product_checkout(student=student, product_id=products[20].pk, now=now - 2 * days)
    _started(waiting, now - 2 * days)

    return [Payment.objects.get(pk=p.pk) for p in (refunded, failed, abandoned, bought, waiting)]
