import pytest

from booking import services as booking_services
from tests.factories import PASSWORD, StaffFactory, StudentFactory, TeacherFactory, make_package, make_slot

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
