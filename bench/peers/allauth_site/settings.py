"""allauth.mfa as its documentation sets it up, served through allauth's headless JSON API
(the browser client: session cookie and CSRF token, like CareKey's API).

Its defaults stay, with two notes. The replay check (a TOTP code works once) and the rate
limits live in Django's cache, here the default per-process LocMemCache: allauth's
cheapest set-up (with two workers a replay could pass on the other one). The per-address
limit on failed logins (10 a minute) is lifted because the whole load comes from
127.0.0.1; the per-account limit (5 in 5 minutes) stays, so every attempt still does the
rate-limit bookkeeping it does in production.
"""

from __future__ import annotations

from peers.common.settings import *  # noqa: F403
from peers.common.settings import INSTALLED_APPS, MIDDLEWARE

ROOT_URLCONF = "peers.allauth_site.urls"
INSTALLED_APPS = [
    *INSTALLED_APPS,
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
]
MIDDLEWARE = [*MIDDLEWARE, "allauth.account.middleware.AccountMiddleware"]
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ACCOUNT_RATE_LIMITS = {"login_failed": "1000000/m/ip,5/300s/key"}
HEADLESS_ONLY = False
