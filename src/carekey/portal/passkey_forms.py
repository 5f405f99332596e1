"""What passkeys.js posts: the credential (hidden field "passkey") or the browser's
failure ("passkey_error"). Views ask `posted` first, then `credential`, which turns a
browser-side failure into its sentence (an error the page shows like any other)."""

from __future__ import annotations

from django.http import HttpRequest

from carekey.accounts.models import User
from carekey.mfa import passkey_browser


def posted(request: HttpRequest) -> bool:
    return request.method == "POST" and (
        bool(request.POST.get("passkey")) or bool(request.POST.get("passkey_error"))
    )


def credential(request: HttpRequest, user: User | None) -> str:
    outcome = request.POST.get("passkey_error", "")
    if outcome:
        passkey_browser.refuse(request, user, outcome[:40])
    return request.POST.get("passkey", "")
