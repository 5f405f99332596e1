"""Reauthentication: a fresh code opens five minutes for sensitive changes."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest

from carekey import clock, conf
from carekey.accounts import session_state as state
from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.mfa import checks
from carekey.mfa.aftermath import recovery_code_spent
from carekey.mfa.errors import NoVerifiedFactor, ReauthenticationRequired
from carekey.mfa.queries import has_verified_factor, verified_factors


def reauthenticated_until(request: HttpRequest) -> datetime | None:
    value = state.reauthenticated_until(request.session)
    if value is None:
        return None
    until = datetime.fromtimestamp(value, tz=clock.now().tzinfo)
    return until if until > clock.now() else None


def mark_reauthenticated(request: HttpRequest, method: str = "otp") -> None:
    """A factor was just proved: five minutes for sensitive changes, and the session
    records the method and the time (the OIDC amr and auth_time)."""
    now = clock.now()
    until = (now + conf.reauthentication_lifetime()).timestamp()
    state.set_reauthenticated_until(request.session, until)
    state.proved(request.session, method, now.timestamp())


def needs_reauthentication(request: HttpRequest, user: User) -> bool:
    """The rule before adding a factor or acting as staff: a patient with a verified factor
    proves it again unless the five-minute window is still open."""
    return reauthenticated_until(request) is None and has_verified_factor(user)


def require_reauthentication(request: HttpRequest) -> None:
    if reauthenticated_until(request) is None:
        raise ReauthenticationRequired()


def reauthenticate(
    request: HttpRequest,
    user: User,
    *,
    code: str | None = None,
    recovery_code: str | None = None,
) -> datetime:
    """A fresh code (or recovery code) opens a 5-minute window for sensitive changes."""
    factors = verified_factors(user)
    if not factors:
        raise NoVerifiedFactor()
    proof = checks.prove(request, user, factors, code=code, recovery_code=recovery_code)
    if proof.used_recovery_code:
        recovery_code_spent(request, user)
    else:
        record("mfa.challenge.succeeded", user=user, request=request, purpose="reauthenticate")
    mark_reauthenticated(request)
    until = reauthenticated_until(request)
    assert until is not None
    return until
