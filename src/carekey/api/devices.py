"""/sessions: the patient's signed-in devices, and signing them out."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router

from carekey.accounts import sessions
from carekey.accounts.sessions import signed_in_patient
from carekey.api.openapi import raises
from carekey.api.schemas import SessionListOut

router = Router(tags=["devices"])


@router.get("/sessions", response=SessionListOut, operation_id="listSessions")
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


@router.delete("/sessions/others", response={204: None}, operation_id="signOutOtherSessions")
def revoke_other_sessions(request: HttpRequest) -> HttpResponse:
    sessions.sign_out_other_devices(request, signed_in_patient(request))
    return HttpResponse(status=204)


# Declared after /sessions/others, which a device id (hex) can never equal anyway.
@router.delete(
    "/sessions/{device_id}",
    response={204: None},
    operation_id="signOutSession",
    openapi_extra=raises("session_not_found"),
)
def sign_out_device(request: HttpRequest, device_id: str) -> HttpResponse:
    """Sign out one other device, named by the `id` of GET /sessions (this device: 422)."""
    sessions.sign_out_device(request, signed_in_patient(request), device_id)
    return HttpResponse(status=204)
