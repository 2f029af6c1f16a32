import pytest

from tests.factories import PASSWORD, StudentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_registers_and_a_student_logs_in_and_out(page, live_server, login, screenshot):
    page.goto(live_server.url + "/")
    screenshot("landing")
    page.click("text=Sign up") if page.locator("text=Sign up").count() else page.click("a[href='/accounts/register/']")
    page.fill("input[name=full_name]", "Browser Student")
    page.fill("input[name=email]", "browser@example.org")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.select_option("select[name=language]", "en")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/student/")
    screenshot("student-home-after-register")
    assert "Hello, Browser!" in page.inner_text("main")

    page.click("header form button[type=submit]")  # log out
    page.wait_for_load_state("networkidle")
    student = StudentFactory(language="en")
    login(student.email, PASSWORD)
    assert page.url == f"{live_server.url}/student/"


def test_a_visitor_in_new_york_starts_on_new_york_time(browser, live_server):
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    visitor = context.new_page()
    visitor.goto(f"{live_server.url}/accounts/register/")
    assert visitor.input_value("select[name=timezone]") == "America/New_York"
    context.close()
