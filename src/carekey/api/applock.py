"""/app-lock: the API face of app lock (CONTRACT §3-4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from carekey.accounts.sessions import signed_in_patient
from carekey.api.schemas import AppLockIn, AppLockOut
from carekey.applock import services as applock

router = Router(tags=["app lock"])


def preferences_body(prefs: applock.Preferences) -> dict[str, Any]:
    return {
        "enabled": prefs.enabled,
        "timeout_minutes": prefs.timeout_minutes,
        "unlock_method": prefs.unlock_method,
    }


@router.get("/app-lock", response=AppLockOut, operation_id="getAppLock")
def get_app_lock(request: HttpRequest) -> dict[str, Any]:
    return preferences_body(applock.preferences(signed_in_patient(request)))


@router.put("/app-lock", response=AppLockOut, operation_id="updateAppLock")
def put_app_lock(request: HttpRequest, body: AppLockIn) -> dict[str, Any]:
    """The delays on offer and the refusal of any other come from one rule
    (applock.offered_lock_minutes); the document's enum is that rule's list."""
    chosen = applock.update(
        request, signed_in_patient(request), body.enabled, body.timeout_minutes, body.unlock_method
    )
    return preferences_body(chosen)
