#!/usr/bin/env python3
"""Django's command-line utility for the example project.

Run it behind liveproxy from the repository root (Django's own autoreloader off: liveproxy restarts it):
    liveproxy --watch examples/django -- /usr/bin/python3 examples/django/manage.py runserver --noreload 127.0.0.1:{port}
"""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
