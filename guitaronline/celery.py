"""The Celery app: `celery -A guitaronline worker` and `celery -A guitaronline beat`."""

import os

from celery import Celery

from guitaronline import celery_context
from guitaronline.worker_heartbeat import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guitaronline.settings")

app = Celery("guitaronline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
celery_context.connect()  # the request id travels from the publisher into the task
app.steps["worker"].add(Heartbeat)  # liveness that a broker outage does not fail
