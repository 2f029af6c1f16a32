import pytest
from django.core.management import call_command

from booking import services as booking_services
from tests.factories import PASSWORD, StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot, staff_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_open_both_dashboards(page, live_server, screenshot):
    staff = StaffFactory(language="en")
    teacher, student = TeacherFactory(), StudentFactory()
    make_package(student)
    for _ in range(3):
        booking = booking_services.booking_hold(student=student, slot_id=make_slot(teacher).pk)
        booking_services.booking_confirm(booking=booking, actor=student)

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", staff.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    screenshot("admin-index")
    page.click("text=KPI dashboard")
    page.wait_for_url("**/admin/dashboards/kpi/")
    assert page.locator("svg.bar-chart rect").count() == 12
    screenshot("admin-kpi-dashboard")
    page.click("#content >> text=Operations dashboard")
    page.wait_for_url("**/admin/dashboards/ops/")
    assert page.locator(".ops-card").count() == 6
    screenshot("admin-ops-dashboard")


def test_finance_opens_the_finance_dashboard_and_downloads_a_period(page, live_server, screenshot, staff_groups):
    call_command("seed_demo")  # the demo school's payments: one in each state, over three months
    finance = staff_in("finance")
    finance.language = "ru"
    finance.save(update_fields=["language"])

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", finance.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    page.click("#content >> text=Финансы")
    page.wait_for_url("**/admin/dashboards/finance/")
    # roubles and euros: 12 months each, revenue and refunds side by side
    assert page.locator("svg.bar-chart rect").count() == 2 * 12 * 2
    assert "Ждут оплаты больше суток" in page.inner_text("#content")
    screenshot("admin-finance-dashboard")
    with page.expect_download() as download:
        page.click("input[type=submit][value='Скачать CSV']")
    assert download.value.suggested_filename.startswith("payments-")
