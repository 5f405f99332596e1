"""The patient's recent security activity, in plain language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from carekey.audit.events import describe
from carekey.audit.models import SecurityEvent

MAX_LIMIT = 100

# What the patient's own activity view leaves out, per event type: who on the staff acted,
# from which address and browser, and their reason are the organisation's record (the staff
# audit trail shows them), not the patient's. A staff member's name in a patient's hands
# invites social engineering of that staff member.
STAFF_ONLY_DETAIL = {
    "staff.mfa_reset": frozenset({"staff_email", "staff_id", "reason"}),
    "staff.password_reset_link": frozenset({"staff_email", "staff_id"}),
}


@dataclass(frozen=True)
class PatientEvent:
    """One event as the patient may see it: the page and the API both render this."""

    id: int
    type: str
    text: str
    created_at: datetime
    ip: str | None
    user_agent: str
    by_support_desk: bool
    detail: dict[str, Any]


def for_patient(event: SecurityEvent) -> PatientEvent:
    """The one place staff facts are removed from what a patient is shown."""
    hidden = STAFF_ONLY_DETAIL.get(event.type)
    detail = {k: v for k, v in dict(event.detail).items() if k not in (hidden or ())}
    return PatientEvent(
        id=event.pk,
        type=event.type,
        text=describe(event.type, dict(event.detail)),
        created_at=event.created_at,
        ip=None if hidden else event.ip,
        user_agent="" if hidden else event.user_agent,
        by_support_desk=hidden is not None,
        detail=detail,
    )


def patient_activity(user: Any, limit: int = 20) -> list[PatientEvent]:
    return [for_patient(event) for event in recent_events(user, limit)]


# A fixed statement: the security page reads it on every load, and compiling the queryset
# cost as much as running it (issue 18). The same rows in the model's own order.
_RECENT_SQL = (
    'SELECT * FROM "audit_securityevent" WHERE "user_id" = %s '
    'ORDER BY "created_at" DESC, "id" DESC LIMIT %s'
)


def recent_events(user: Any, limit: int = 20) -> list[SecurityEvent]:
    """Newest first; served by the (user, -created_at) index whatever the table's size."""
    limit = max(1, min(limit, MAX_LIMIT))
    return list(SecurityEvent.objects.raw(_RECENT_SQL, [user.pk, limit]))
