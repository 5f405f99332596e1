"""The patient's recent security activity, in plain language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router

from carekey.audit.events import describe
from carekey.audit.models import SecurityEvent
from carekey.rows import read_datetime

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


def for_patient(
    *,
    pk: int,
    event_type: str,
    created_at: datetime,
    ip: str | None,
    user_agent: str,
    detail: dict[str, Any],
) -> PatientEvent:
    """The one place staff facts are removed from what a patient is shown."""
    hidden = STAFF_ONLY_DETAIL.get(event_type)
    return PatientEvent(
        id=pk,
        type=event_type,
        text=describe(event_type, dict(detail)),
        created_at=created_at,
        ip=None if hidden else ip,
        user_agent="" if hidden else user_agent,
        by_support_desk=hidden is not None,
        detail={k: v for k, v in detail.items() if k not in (hidden or ())},
    )


# A fixed statement of the columns a patient's event needs, read into PatientEvent without
# model instances: the security page reads twenty on every load, and compiling a queryset
# cost as much as running it, building the instances as much again (issue 18). Newest
# first, in the model's own order; served by the (user, -created_at) index.
_RECENT_SQL = (
    'SELECT "id", "type", "created_at", "ip", "user_agent", "detail" '
    'FROM "audit_securityevent" WHERE "user_id" = %s '
    'ORDER BY "created_at" DESC, "id" DESC LIMIT %s'
)


def patient_activity(user: Any, limit: int = 20) -> list[PatientEvent]:
    """The patient's newest events, at most MAX_LIMIT, as the patient may see them."""
    limit = max(1, min(limit, MAX_LIMIT))
    connection = connections[router.db_for_read(SecurityEvent)]
    detail_field: Any = SecurityEvent._meta.get_field("detail")
    with connection.cursor() as cursor:
        cursor.execute(_RECENT_SQL, [user.pk, limit])
        rows = cursor.fetchall()
    return [
        for_patient(
            pk=pk,
            event_type=event_type,
            created_at=read_datetime(created_at),
            ip=ip,
            user_agent=user_agent,
            detail=detail_field.from_db_value(detail, None, connection),  # the ORM's decoding
        )
        for pk, event_type, created_at, ip, user_agent, detail in rows
    ]
