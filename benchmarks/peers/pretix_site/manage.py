#!/usr/bin/env python
"""pretix's manage.py with the bench settings (run from the peer's own venv)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_pretix.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
