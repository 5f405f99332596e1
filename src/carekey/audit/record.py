"""`record()`: the one way an audit event is written."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest

from carekey.audit.models import EVENT_TYPES, SecurityEvent
from carekey.client import client_ip, user_agent

logger = logging.getLogger("carekey.audit")


def record(
    event_type: str,
    *,
    user: Any = None,
    request: HttpRequest | None = None,
    **detail: str | int | bool | None,
) -> SecurityEvent:
    """Write one event. `detail` is for plain facts (names, reasons): never a secret or code."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown audit event type {event_type!r}")
    event = SecurityEvent.objects.create(
        type=event_type,
        user=user if getattr(user, "pk", None) is not None else None,
        ip=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        detail=detail,
    )
    logger.info("audit %s user=%s", event_type, getattr(user, "pk", None))
    return event
