"""Settings every peer project starts from: the bare floor's, which the others extend.

The database comes from PEER_DATABASE: "postgres://postgres@127.0.0.1:5432/NAME" when
bench/run.py serves a peer, "sqlite:///PATH" for bench/peers/smoke.py. Connections persist
for 60 s as CareKey's do (CONN_MAX_AGE=60), without CareKey's per-request health check,
so the floor is what a plain production Django pays: a fair floor, not a slow one.
"""

from __future__ import annotations

import os
from typing import Any

SECRET_KEY = "bench-peer-secret-not-for-production"  # only ever served on 127.0.0.1
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "peers.floor_site.urls"
WSGI_APPLICATION = "peers.common.wsgi.application"

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "peers.common",
]

# The bare floor of issue 18: Session, CSRF and Auth, nothing else.
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
            ],
        },
    },
]


def database(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for a postgres:// or sqlite:/// URL (no dj-database-url)."""
    if url.startswith("sqlite:///"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.removeprefix("sqlite:///")}
    if not url.startswith("postgres://"):
        raise ValueError(f"PEER_DATABASE must be postgres:// or sqlite:///, not {url!r}")
    user_host, _, name = url.removeprefix("postgres://").partition("/")
    user, _, host_port = user_host.rpartition("@")
    host, _, port = host_port.partition(":")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": user or "postgres",
        "HOST": host,
        "PORT": port or "5432",
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {"connect_timeout": 5},
    }


DATABASES = {"default": database(os.environ.get("PEER_DATABASE", "sqlite:///peer.sqlite3"))}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
