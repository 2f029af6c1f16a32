"""django-appointment as its README sets it up: the app, its URLs under /appointment/, Django's user model,
the package's own base template; production-like (DEBUG off, persistent connections as the product's).

E-mail goes to Django's dummy backend: the package renders its notifications (the staff member's, with its
.ics) and nothing is sent. django-q is not installed: the package then schedules no reminders and sends its
e-mails synchronously, which is what it does without a task cluster (check_q_cluster, initialize_django_q).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ["BENCH_PEER_SECRET_KEY"]  # one per run, shared by the seed and every worker
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "appointment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench_appointment.urls"
WSGI_APPLICATION = "bench_appointment.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["BENCH_PEER_DB_NAME"],
        "HOST": os.environ.get("BENCH_PEER_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("BENCH_PEER_DB_PORT", "5432"),
        "USER": os.environ.get("BENCH_PEER_DB_USER", ""),
        "PASSWORD": os.environ.get("BENCH_PEER_DB_PASSWORD", ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"

EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
DEFAULT_FROM_EMAIL = "appointments@bench.example"

APPOINTMENT_WEBSITE_NAME = "GuitarOnline bench"
