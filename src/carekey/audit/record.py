"""`record()`: the one way an audit event is written."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError, connections, router
from django.http import HttpRequest

from carekey.audit.models import EVENT_TYPES, SecurityEvent
from carekey.client import client_ip, user_agent
from carekey.rows import insert_parts

logger = logging.getLogger("carekey.audit")


Detail = dict[str, str | int | bool | None]


def record(
    event_type: str,
    *,
    user: Any = None,
    request: HttpRequest | None = None,
    **detail: str | int | bool | None,
) -> SecurityEvent:
    """Write one event. `detail` is for plain facts (names, reasons): never a secret or code."""
    return record_all([(event_type, detail)], user=user, request=request)[0]


def record_all(
    events: list[tuple[str, Detail]], *, user: Any = None, request: HttpRequest | None = None
) -> list[SecurityEvent]:
    """Write several events of one request in one INSERT (issue 18: a first factor's
    "verified" and "codes generated" cost one round trip, not two), in the given order."""
    unknown = [event_type for event_type, _ in events if event_type not in EVENT_TYPES]
    if unknown:
        raise ValueError(f"unknown audit event type {unknown[0]!r}")
    who = user if getattr(user, "pk", None) is not None else None
    ip = client_ip(request) if request is not None else None
    agent = user_agent(request) if request is not None else ""
    rows = [
        SecurityEvent(type=event_type, user=who, ip=ip, user_agent=agent, detail=detail)
        for event_type, detail in events
    ]
    made = SecurityEvent.objects.bulk_create(rows) if len(rows) > 1 else [_create(rows[0])]
    for event_type, _ in events:
        logger.info("audit %s user=%s", event_type, getattr(user, "pk", None))
    return made


def _create(event: SecurityEvent) -> SecurityEvent:
    """One event's INSERT by a fixed statement (rows.insert_parts): every verify writes one."""
    alias = router.db_for_write(SecurityEvent)
    connection = connections[alias]
    table, columns_and_values, values = insert_parts(event, connection)
    returning = connection.ops.quote_name(SecurityEvent._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} {columns_and_values} RETURNING {returning}", values)
        row = cursor.fetchone()
    if row is None:  # an INSERT ... RETURNING always returns its row
        raise DatabaseError("the audit INSERT returned no id")
    event.pk = row[0]
    event._state.adding, event._state.db = False, alias
    return event
