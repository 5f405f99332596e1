"""The patient's recent security activity, in plain language."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from carekey.audit.models import SecurityEvent

DESCRIPTIONS = {
    "signin.succeeded": _("Signed in with your password"),
    "signin.failed": _("A sign-in attempt failed"),
    "mfa.challenge.succeeded": _("Entered a code from your authenticator app"),
    "mfa.challenge.failed": _("A wrong code was entered"),
    "mfa.factor.enrolled": _("Started adding an authenticator app"),
    "mfa.factor.verified": _("Added an authenticator app"),
    "mfa.factor.removed": _("Removed an authenticator app"),
    "mfa.code.replayed": _("A code that was already used was entered again"),
    "mfa.throttled": _("Too many wrong codes: attempts were paused"),
    "recovery_codes.generated": _("Created new recovery codes"),
    "recovery_code.used": _("Used a recovery code"),
    "app_lock.updated": _("Changed app lock settings"),
    "session.locked": _("The portal locked"),
    "session.unlocked": _("Unlocked the portal"),
    "sessions.revoked": _("Signed out other devices"),
    "staff.mfa_reset": _("Support staff reset two-step verification"),
}

MAX_LIMIT = 100


def describe(event_type: str) -> str:
    return str(DESCRIPTIONS.get(event_type, event_type))


def recent_events(user: Any, limit: int = 20) -> list[SecurityEvent]:
    """Newest first; served by the (user, -created_at) index whatever the table's size."""
    limit = max(1, min(limit, MAX_LIMIT))
    return list(SecurityEvent.objects.filter(user=user).order_by("-created_at", "-id")[:limit])
