"""The Celery app: `celery -A guitaronline worker` and `celery -A guitaronline beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitaronline.settings")

app = Celery("guitaronline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
