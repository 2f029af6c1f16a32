"""gunicorn bench_appointment.wsgi:application, from the site folder (on PYTHONPATH)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_appointment.settings")
application = get_wsgi_application()
