#!/usr/bin/env python
"""django-appointment's bench site: manage.py of the peer's own virtual environment."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_appointment.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
