"""Template context for the portal layout: the app-lock timer's settings."""

from __future__ import annotations

from django.http import HttpRequest

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference


def app_lock(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not request.path.startswith("/portal/"):
        return {}
    minutes = (
        AppLockPreference.objects.filter(user=user, enabled=True)
        .values_list("timeout_minutes", flat=True)
        .first()
    )
    return {"app_lock_seconds": minutes * 60 if minutes else None}
