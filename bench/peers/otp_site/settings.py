"""django-otp as its documentation sets it up: OTPMiddleware after Auth, TOTP devices and
static (backup) tokens, default throttling (1, 2, 4, ... s after each failure) and replay
protection (a TOTP device accepts a step once: last_t)."""

from __future__ import annotations

from peers.common.settings import *  # noqa: F403
from peers.common.settings import INSTALLED_APPS, MIDDLEWARE

ROOT_URLCONF = "peers.otp_site.urls"
INSTALLED_APPS = [
    *INSTALLED_APPS,
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
MIDDLEWARE = [*MIDDLEWARE, "django_otp.middleware.OTPMiddleware"]
