"""WSGI entry point of every peer (gunicorn peers.common.wsgi:application), the project
chosen by DJANGO_SETTINGS_MODULE."""

from __future__ import annotations

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
