"""One audit event per wait window, however many requests the throttle refuses in it.

Without this an attacker hammering an account wrote an event per request (249 a second
were measured) and pushed the patient's real events out of their activity view.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from carekey.accounts import throttle
from carekey.audit.models import SecurityEvent
from carekey.audit.record import record


def audit_refusal(
    refused: throttle.Throttled,
    event_type: str,
    *,
    user: Any,
    request: HttpRequest | None,
    **detail: str | int | bool | None,
) -> None:
    """The window's first refusal writes the event; later ones update its count."""
    event_id = throttle.refusal_event_id(refused.key) if refused.refusals > 1 else None
    event = SecurityEvent.objects.filter(pk=event_id).first() if event_id else None
    if event is None:
        created = record(
            event_type,
            user=user,
            request=request,
            attempts_refused=refused.refusals,
            retry_after=refused.retry_after,
            **detail,
        )
        throttle.remember_refusal_event(refused.key, created.pk)
        return
    event.detail = {**event.detail, "attempts_refused": refused.refusals}
    event.save(update_fields=["detail"])
