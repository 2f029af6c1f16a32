"""django-appointment (PyPI `django-appointment`) as a peer: a Django app for booking a staff member's time.

Its booking pages, as a browser uses them (appointment/urls.py, views.py of 3.12):

1. /appointment/request/<service>/: a calendar; its script asks for the free slots of a day and, on "Next",
   posts date, start_time, end_time, service and staff_member to /appointment/request-submit/, which saves
   an AppointmentRequest and redirects (302) to /appointment/client-info/<id>/<id_request>/;
2. that page's form (name, phone, address, ...) posts back to itself: for a signed-in client it creates the
   Appointment, e-mails the staff member and redirects (302) to the thank-you page.

One unit here is those two posts, the second to where the first redirected, with the browser's cookies
(its session, signed in, and its CSRF cookie) and whatever cookies the answers set, as GuitarOnline's unit
is its hold and its confirm. The pages shown between (the calendar and its slot queries, the details form
after the redirect, the thank-you page, which sends the client's e-mail) are not requested.

What it checks: the request form validates the fields and that the date is not past and the times are in
order and fit the service; nothing compares a request with the appointments already made (the free slots
are only computed for the calendar), and no transaction or lock spans the two steps. Two clients posting
the same time both get an appointment; here every unit books a time of its own, and `verify` counts
any time booked twice.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from benchmarks.loadgen import HOST, Scenario, render
from benchmarks.peers import Peer

REQUEST_SUBMIT = "/appointment/request-submit/"


def answer_head(answer: bytes) -> tuple[str | None, dict[str, str]]:
    """The Location and the cookies (name -> value) of an answer given with its head."""
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    location, cookies = None, {}
    for line in head.split("\r\n")[1:]:
        name, _, value = line.partition(":")
        name, value = name.strip().lower(), value.strip()
        if name == "location":
            location = urlsplit(value).path
        elif name == "set-cookie":
            cookie, _, _ = value.partition(";")
            key, _, val = cookie.partition("=")
            cookies[key.strip()] = val.strip()
    return location, cookies


class AppointmentBooking(Scenario):
    """One appointment per unit: the request submit, then the client details at the address it redirects to,
    each unit a seeded time and a signed-in client of its own."""

    name = "appointment booking"
    ok = frozenset({302})  # both steps redirect; a form with errors answers 200 with the page
    heads = True

    def __init__(self, seed: dict):
        self.service = seed["service"]
        self.staff = seed["staff"]
        self.times = seed["times"]
        self.clients = seed["clients"]
        self.units = iter(range(min(len(self.times), len(self.clients))))

    @staticmethod
    def _post(path: str, page: str, cookies: dict[str, str], form: dict) -> bytes:
        """A form of `page` posted to `path`. gunicorn takes the X-Forwarded-Proto of render() from 127.0.0.1,
        so the site is on HTTPS, where Django's CSRF check wants the browser's Origin (or Referer)."""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}{page}",
            "Cookie": "; ".join(f"{key}={value}" for key, value in cookies.items()),
        }
        return render("POST", path, headers, urlencode(form).encode())

    def next(self):
        unit = next(self.units, None)
        if unit is None:
            return None  # every seeded time booked
        date, start, end = self.times[unit]
        client = self.clients[unit]
        cookies = {"csrftoken": client["csrftoken"], "sessionid": client["sessionid"]}
        form = {
            "csrfmiddlewaretoken": client["csrftoken"],
            "staff_member": self.staff,
            "appointment_request_id": "",
            "date": date,
            "start_time": start,
            "end_time": end,
            "service": self.service,
            "reason_for_rescheduling": "",
        }
        page = f"/appointment/request/{self.service}/"
        return self._post(REQUEST_SUBMIT, page, cookies, form), ("request", unit, cookies)

    def done(self, context, status, body):
        step, unit, cookies = context
        if step != "request" or status != 302:
            return None
        location, set_cookies = answer_head(body)
        if not location:
            return None
        cookies = {**cookies, **set_cookies}
        form = {
            "csrfmiddlewaretoken": cookies["csrftoken"],
            "name": self.clients[unit]["name"],
            "phone_0": "FR",
            "phone_1": "612345678",
            "address": "",
            "additional_info": "",
            "payment_type": "full",
        }
        return self._post(location, location, cookies, form), ("details", unit, cookies)


class Appointment(Peer):
    name = "appointment"
    package = "django-appointment"
    wsgi = "bench_appointment.wsgi:application"
    seed_module = "bench_appointment.seed"

    def migrate(self) -> None:
        # The package ships no migrations: its README has them made in the project (here, once, into the venv).
        self.manage("makemigrations", "appointment", "--no-input")
        super().migrate()

    def booking(self) -> Scenario:
        return AppointmentBooking(self.seeded())

    def verify(self) -> dict[str, int]:
        return {
            "bookings": self.database.scalar("SELECT count(*) FROM appointment_appointment"),
            "double_booked": self.database.scalar(
                """
                SELECT count(*) FROM (
                    SELECT r.staff_member_id, r.date, r.start_time
                    FROM appointment_appointment a
                    JOIN appointment_appointmentrequest r ON r.id = a.appointment_request_id
                    GROUP BY 1, 2, 3 HAVING count(*) > 1
                ) AS twice
                """
            ),
        }
