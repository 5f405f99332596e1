"""/security-events: the patient's recent security activity."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from carekey.accounts.sessions import signed_in_patient
from carekey.api.schemas import EventListOut
from carekey.audit.activity import patient_activity

router = Router(tags=["security events"])


class EventQuery(Schema):
    limit: int = Field(default=20, ge=1, le=100)


@router.get("/security-events", response=EventListOut, operation_id="listSecurityEvents")
def list_events(request: HttpRequest, query: Query[EventQuery]) -> dict[str, Any]:
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
