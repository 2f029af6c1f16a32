"""The bench's data, through django-appointment's models:

    manage.py shell -c "from bench_appointment.seed import seed; seed(UNITS, 'var/peers/appointment/seed.json')"

One service (a 60-minute lesson), one staff member (the teacher) working 08:00-20:00 every day of the
week, and the first UNITS hours of that from tomorrow on: the times the bench books, one each. The clients
are signed-in browsers, one per booking (a distinct e-mail each): a user, a session as Django's login
leaves it, and the CSRF cookie the site gave that browser. Signed in because django-appointment 3.12
creates the Appointment from the details form only for a signed-in client; a new anonymous client gets
an account and a verification code by e-mail, to type in on a third page.
"""

import datetime
import json
import string

from appointment.models import Config, Service, StaffMember, WorkingHours
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from django.utils.crypto import get_random_string

OPENS, CLOSES = 8, 20  # the teacher's working hours, every day


def seed(units: int, out: str) -> None:
    user_model = get_user_model()
    Config(
        slot_duration=60,
        lead_time=datetime.time(OPENS),
        finish_time=datetime.time(CLOSES),
        appointment_buffer_time=0,
        website_name="GuitarOnline bench",
    ).save()
    lesson = Service.objects.create(name="Guitar lesson", duration=datetime.timedelta(minutes=60), price=0)
    teacher = user_model.objects.create_user(
        "teacher", "teacher@bench.example", "teacher", first_name="Tess", last_name="Teacher"
    )
    staff = StaffMember.objects.create(
        user=teacher,
        slot_duration=60,
        lead_time=datetime.time(OPENS),
        finish_time=datetime.time(CLOSES),
        work_on_saturday=True,
        work_on_sunday=True,
    )
    staff.services_offered.add(lesson)
    for day in range(7):
        WorkingHours.objects.create(
            staff_member=staff, day_of_week=day, start_time=datetime.time(OPENS), end_time=datetime.time(CLOSES)
        )

    first = timezone.localdate() + datetime.timedelta(days=1)
    per_day = CLOSES - OPENS
    times = [
        (
            (first + datetime.timedelta(days=n // per_day)).isoformat(),
            f"{OPENS + n % per_day:02d}:00",
            f"{OPENS + n % per_day + 1:02d}:00",
        )
        for n in range(units)
    ]

    password = make_password("client")  # hashed once: the clients never sign in here, their sessions are made
    clients = user_model.objects.bulk_create(
        user_model(
            username=f"client{n}",
            email=f"client{n}@bench.example",
            first_name="Client",
            last_name=str(n),
            password=password,
        )
        for n in range(units)
    )
    expires = timezone.now() + datetime.timedelta(days=14)
    store = SessionStore()
    sessions, browsers = [], []
    for user in clients:
        key = get_random_string(32, string.ascii_lowercase + string.digits)
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        browsers.append(
            {"sessionid": key, "csrftoken": get_random_string(32), "name": user.get_full_name(), "email": user.email}
        )
    Session.objects.bulk_create(sessions)

    with open(out, "w") as f:
        json.dump({"service": lesson.pk, "staff": staff.pk, "times": times, "clients": browsers}, f)
