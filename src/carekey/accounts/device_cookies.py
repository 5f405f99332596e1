"""OWASP device cookies: a browser that signed in before keeps its own failure count.

Without them, anyone who knows a patient's email could keep the patient out with five
wrong passwords every fifteen minutes. A successful sign-in gives the browser a signed
cookie naming the account and a random nonce (90 days). While the account is throttled
for unknown browsers, the right password from a browser holding a valid cookie still
signs in, and that cookie's own failures are counted under its nonce alone.

The cookie is signed, not secret: it proves a past sign-in from this browser and nothing
else; it never signs anyone in.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse

COOKIE_NAME = "carekey_device"
MAX_AGE_SECONDS = 90 * 24 * 3600
MAX_ACCOUNTS = 5  # a family computer: a few accounts per browser, newest first
_SALT = "carekey.device-cookie"
_PENDING = "_carekey_device_cookie"


def _entries(request: HttpRequest) -> list[tuple[int, str]]:
    raw = request.COOKIES.get(COOKIE_NAME, "")
    if not raw or len(raw) > 4096:
        return []
    try:
        value: Any = signing.loads(raw, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:
        return []
    if not isinstance(value, list):
        return []
    return [
        (int(entry[0]), str(entry[1]))
        for entry in value[:MAX_ACCOUNTS]
        if isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], int)
    ]


def nonce_for(request: HttpRequest, user_id: int) -> str | None:
    """This browser's nonce for the account, when it holds a valid device cookie for it."""
    return next((nonce for uid, nonce in _entries(request) if uid == user_id), None)


def remember(request: HttpRequest, user_id: int) -> None:
    """After a successful sign-in: a fresh nonce for this account, set on the response."""
    others = [[uid, nonce] for uid, nonce in _entries(request) if uid != user_id]
    entries = [[user_id, secrets.token_urlsafe(16)], *others][:MAX_ACCOUNTS]
    setattr(request, _PENDING, signing.dumps(entries, salt=_SALT, compress=True))


def apply(request: HttpRequest, response: HttpResponse, *, secure: bool) -> None:
    """Write the cookie a sign-in asked for (the gate middleware calls this)."""
    value = getattr(request, _PENDING, None)
    if value is None:
        return
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=MAX_AGE_SECONDS,
        httponly=True,
        secure=secure,
        samesite="Lax",
    )
