"""WSGI entry point for gunicorn (`carekey serve`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carekey.settings")
application = get_wsgi_application()
