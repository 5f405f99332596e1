"""Template context for the portal layout: the app-lock timer's settings."""

from __future__ import annotations

from django.http import HttpRequest

from carekey.accounts.models import User
from carekey.applock import services as applock
from carekey.routes import PORTAL_PREFIX


def app_lock(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not request.path_info.startswith(PORTAL_PREFIX):
        return {}
    return {"app_lock_seconds": applock.lock_seconds(user)}
