"""Every kind of security event, with the sentence a patient reads for it: the one list.

The audit model's choices, `record()`'s check, the patient's activity view and the
benchmark's seeded events all read this enum, so a new event is added in one place.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class EventType(models.TextChoices):
    SIGNIN_SUCCEEDED = "signin.succeeded", _("Signed in with your password")
    SIGNIN_FAILED = "signin.failed", _("A sign-in attempt failed")
    CHALLENGE_SUCCEEDED = "mfa.challenge.succeeded", _("Entered a code from your authenticator app")
    CHALLENGE_FAILED = "mfa.challenge.failed", _("A wrong code was entered")
    FACTOR_ENROLLED = "mfa.factor.enrolled", _("Started adding an authenticator app")
    FACTOR_VERIFIED = "mfa.factor.verified", _("Added an authenticator app")
    FACTOR_REMOVED = "mfa.factor.removed", _("Removed an authenticator app")
    CODE_REPLAYED = "mfa.code.replayed", _("A code that was already used was entered again")
    MFA_THROTTLED = "mfa.throttled", _("Too many wrong codes: attempts were paused")
    RECOVERY_CODES_GENERATED = "recovery_codes.generated", _("Created new recovery codes")
    RECOVERY_CODE_USED = "recovery_code.used", _("Used a recovery code")
    APP_LOCK_UPDATED = "app_lock.updated", _("Changed app lock settings")
    SESSION_LOCKED = "session.locked", _("The portal locked")
    SESSION_UNLOCKED = "session.unlocked", _("Unlocked the portal")
    SESSIONS_REVOKED = "sessions.revoked", _("Signed out other devices")
    STAFF_MFA_RESET = "staff.mfa_reset", _("Reset by the support desk")
    OIDC_AUTHORIZED = "oidc.authorized", _("Signed in to an app with CareKey")
    OIDC_DENIED = "oidc.denied", _("Refused an app access to your account")
    OIDC_TOKEN_REVOKED = "oidc.token.revoked", _("Signed out of connected apps")
    OIDC_CLIENT_DISCONNECTED = "oidc.client.disconnected", _("Disconnected an app")
    OIDC_CLIENT_DISABLED = "oidc.client.disabled", _("Switched an app off (support desk)")
    PASSWORD_CHANGED = "password.changed", _("Changed your password")
    PASSWORD_CHANGE_FAILED = (
        "password.change_failed",
        _("A wrong current password was entered to change the password"),
    )
    PASSWORD_RESET_REQUESTED = "password.reset_requested", _("A password reset link was asked for")
    PASSWORD_RESET = "password.reset", _("Reset your password with an emailed link")
    STAFF_PASSWORD_RESET_LINK = (
        "staff.password_reset_link",
        _("The support desk sent you a password reset link"),
    )
    PASSKEY_COUNTER_REGRESSED = (
        "mfa.passkey.counter_regressed",
        _("A passkey that may have been copied was refused"),
    )


# The same events told of a passkey (detail "method": "passkey" or "factor_type").
PASSKEY_TEXT = {
    "signin.succeeded": _("Signed in with a passkey"),
    "mfa.challenge.succeeded": _("Confirmed it was you with a passkey"),
    "mfa.challenge.failed": _("A passkey could not be verified"),
    "mfa.factor.verified": _("Added a passkey"),
    "mfa.factor.removed": _("Removed a passkey"),
}


def describe(event_type: str, detail: dict[str, object] | None = None) -> str:
    """The patient's sentence for an event; an unknown type is shown as itself."""
    detail = detail or {}
    about_passkey = detail.get("method") == "passkey" or detail.get("factor_type") == "webauthn"
    if about_passkey and event_type in PASSKEY_TEXT:
        return str(PASSKEY_TEXT[event_type])
    try:
        return str(EventType(event_type).label)
    except ValueError:
        return event_type
