"""/app-lock, /sessions and /security-events: the API face of app lock and session control."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import Field

from carekey.accounts import sessions
from carekey.accounts.sessions import signed_in_patient
from carekey.api.schemas import AppLockIn, AppLockOut, ErrorOut, EventListOut, SessionListOut
from carekey.applock import services as applock

router = Router(tags=["app lock and sessions"])


def preferences_body(prefs: applock.Preferences) -> dict[str, Any]:
    return {
        "enabled": prefs.enabled,
        "timeout_minutes": prefs.timeout_minutes,
        "unlock_method": prefs.unlock_method,
    }


@router.get("/app-lock", response={200: AppLockOut})
def get_app_lock(request: HttpRequest) -> dict[str, Any]:
    return preferences_body(applock.preferences(signed_in_patient(request)))


@router.put("/app-lock", response={200: AppLockOut, 422: ErrorOut})
def put_app_lock(request: HttpRequest, body: AppLockIn) -> dict[str, Any]:
    chosen = applock.update(
        request, signed_in_patient(request), body.enabled, body.timeout_minutes, body.unlock_method
    )
    return preferences_body(chosen)


@router.get("/sessions", response={200: SessionListOut})
def list_sessions(request: HttpRequest) -> dict[str, Any]:
    return {
        "sessions": [
            {
                "id": device.id,
                "current": device.current,
                "user_agent": device.user_agent,
                "ip": device.ip,
                "created_at": device.created_at,
                "last_active_at": device.last_active_at,
            }
            for device in sessions.devices(request, signed_in_patient(request))
        ]
    }


@router.delete("/sessions/others", response={204: None})
def revoke_other_sessions(request: HttpRequest) -> HttpResponse:
    sessions.sign_out_other_devices(request, signed_in_patient(request))
    return HttpResponse(status=204)


# Declared after /sessions/others, which a device id (hex) can never equal anyway.
@router.delete("/sessions/{device_id}", response={204: None, 404: ErrorOut, 422: ErrorOut})
def sign_out_device(request: HttpRequest, device_id: str) -> HttpResponse:
    """Sign out one other device, named by the `id` of GET /sessions."""
    sessions.sign_out_device(request, signed_in_patient(request), device_id)
    return HttpResponse(status=204)


class EventQuery(Schema):
    limit: int = Field(default=20, ge=1, le=100)


@router.get("/security-events", response={200: EventListOut, 422: ErrorOut})
def list_events(request: HttpRequest, query: Query[EventQuery]) -> dict[str, Any]:
    from carekey.audit.activity import patient_activity

    return {
        "events": [
            {
                "id": event.id,
                "type": event.type,
                "created_at": event.created_at,
                "ip": event.ip,
                "user_agent": event.user_agent,
                "detail": event.detail,
            }
            for event in patient_activity(signed_in_patient(request), query.limit)
        ]
    }
