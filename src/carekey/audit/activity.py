"""The patient's recent security activity, in plain language."""

from __future__ import annotations

from typing import Any

from carekey.audit.models import SecurityEvent

DESCRIPTIONS = {
    "signin.succeeded": "Signed in with your password",
    "signin.failed": "A sign-in attempt failed",
    "mfa.challenge.succeeded": "Entered a code from your authenticator app",
    "mfa.challenge.failed": "A wrong code was entered",
    "mfa.factor.enrolled": "Started adding an authenticator app",
    "mfa.factor.verified": "Added an authenticator app",
    "mfa.factor.removed": "Removed an authenticator app",
    "mfa.code.replayed": "A code that was already used was entered again",
    "mfa.throttled": "Too many wrong codes: attempts were paused",
    "recovery_codes.generated": "Created new recovery codes",
    "recovery_code.used": "Used a recovery code",
    "app_lock.updated": "Changed app lock settings",
    "session.locked": "The portal locked",
    "session.unlocked": "Unlocked the portal",
    "sessions.revoked": "Signed out other devices",
    "staff.mfa_reset": "Support staff reset two-step verification",
}

MAX_LIMIT = 100


def describe(event_type: str) -> str:
    return DESCRIPTIONS.get(event_type, event_type)


def recent_events(user: Any, limit: int = 20) -> list[SecurityEvent]:
    """Newest first; served by the (user, -created_at) index whatever the table's size."""
    limit = max(1, min(limit, MAX_LIMIT))
    return list(SecurityEvent.objects.filter(user=user).order_by("-created_at", "-id")[:limit])
