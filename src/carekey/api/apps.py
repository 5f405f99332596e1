"""/connected-apps: the API face of "Connected apps" (apps signed in through CareKey)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from carekey.accounts import app_tokens
from carekey.accounts.sessions import signed_in_patient
from carekey.api.openapi import raises

router = Router(tags=["connected apps"])


class ConnectedAppOut(Schema):
    client_id: str
    name: str
    first_used: datetime
    last_used: datetime


class ConnectedAppListOut(Schema):
    apps: list[ConnectedAppOut]


@router.get("/connected-apps", response=ConnectedAppListOut, operation_id="listConnectedApps")
def list_connected_apps(request: HttpRequest) -> dict[str, Any]:
    apps = app_tokens.connected(signed_in_patient(request))
    return {"apps": [app.__dict__ for app in apps]}


@router.delete(
    "/connected-apps/{client_id}",
    response={204: None},
    operation_id="disconnectApp",
    openapi_extra=raises("app_not_found"),
)
def disconnect_app(request: HttpRequest, client_id: str) -> HttpResponse:
    """Revoke every token the app holds for the patient."""
    app_tokens.disconnect(request, signed_in_patient(request), client_id)
    return HttpResponse(status=204)
