"""Who may reset whose two-step verification from the admin, and the fresh code it needs.

A reset leaves an account guarded by its password alone, so whoever resets the factors of
a staff account, and knows or guesses its password, becomes that staff member. The rules
live here, in one place, and the admin action calls them before it changes anything. The
operator's shell (`carekey resetmfa`) is not bound by them: it already has the database.
"""

from __future__ import annotations

from django.http import HttpRequest

from carekey.accounts.models import User
from carekey.mfa import services
from carekey.mfa.errors import MfaError, ReauthenticationRequired

PERMISSION = "carekey.reset_mfa"


class ResetNotAllowed(MfaError):
    """The staff member may not reset this account's factors; nothing was changed."""

    code = "permission_denied"
    default = "You are not allowed to reset two-step verification."


def may_reset_anyone(actor: User) -> bool:
    """Being staff opens the admin; resetting needs the permission granted on purpose."""
    return bool(actor.is_active and actor.is_staff and actor.has_perm(PERMISSION))


def authorize_reset(actor: User, patient: User) -> None:
    """Raise ResetNotAllowed unless `actor` may reset `patient`'s factors.

    Staff need the "carekey.reset_mfa" permission (superusers hold every permission); a
    staff account's factors (staff or superuser) only a superuser may reset; and nobody
    resets their own, as that would undo the second factor guarding their own session.
    """
    if not may_reset_anyone(actor):
        raise ResetNotAllowed(
            "You are not allowed to reset two-step verification. A superuser can give you "
            'the permission "Can reset a patient\'s two-step verification".'
        )
    if patient.pk == actor.pk:
        raise ResetNotAllowed(
            "You cannot reset your own two-step verification. Ask a superuser, or "
            "manage your authenticators on your Security page."
        )
    if (patient.is_staff or patient.is_superuser) and not actor.is_superuser:
        raise ResetNotAllowed(
            f"{patient.email} is a staff account: only a superuser can reset its two-step "
            "verification."
        )


def require_fresh_code(request: HttpRequest, actor: User, code: str) -> None:
    """The staff member's own code within the last 5 minutes, else this one is checked.

    A stolen staff session alone must not be enough to strip a patient's factors. The
    check goes through the same service as the portal's, so its throttle applies.
    """
    if not services.needs_reauthentication(request, actor):
        return
    if not code.strip():
        raise ReauthenticationRequired()
    services.reauthenticate(request, actor, code=code)
