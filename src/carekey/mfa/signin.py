"""Sign-in: the password step, the second step, and sign-out; the page and the API share it."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carekey import refusal_log
from carekey.accounts import (
    app_tokens,
    device_cookies,
    password_checks,
    session_state,
    sessions,
    throttle,
)
from carekey.accounts.models import User, normalize_email
from carekey.audit.record import record
from carekey.errors import CareKeyError
from carekey.mfa import checks, passkeys
from carekey.mfa.aftermath import recovery_code_spent
from carekey.mfa.errors import NoVerifiedFactor
from carekey.mfa.queries import has_verified_factor, verified_factors
from carekey.mfa.reauth import mark_reauthenticated

GENERIC_FAILURE = _("Email or password is incorrect.")


class InvalidCredentials(CareKeyError):
    """The same answer for an unknown email and a wrong password."""

    code = "invalid_credentials"
    status = 401
    default = GENERIC_FAILURE


def sign_in(request: HttpRequest, email: str, password: str) -> User:
    """Check a password under the throttle and start a fresh session.

    Wrong passwords never count against the account's code count, so nobody can lock a
    signed-in patient out of entering codes; a correct password resets only its own
    count, so signing in again never buys fresh code guesses either.
    """
    address = normalize_email(email)
    known = User.objects.filter(email=address).first()
    try:
        attempts = password_checks.reserve(request, address, known, "signin.failed")
    except throttle.Throttled:
        refusal_log.note(request, refusal_log.THROTTLED)
        raise
    user = authenticate(request, email=address, password=password)
    if not isinstance(user, User):
        password_checks.failed(attempts)
        refusal_log.note(request, refusal_log.WRONG_PASSWORD)
        record("signin.failed", user=known, request=request, reason="invalid_credentials")
        raise InvalidCredentials()
    password_checks.succeeded(attempts)
    start_session(request, user)
    device_cookies.remember(request, user.pk)
    record("signin.succeeded", user=user, request=request)
    return user


def start_session(
    request: HttpRequest,
    user: User,
    methods: tuple[str, ...] = ("pwd",),
    mfa_on: bool | None = None,
) -> None:
    """Always a new session id and nothing carried over.

    Django's login() keeps the id and data of a session that is already signed in to the
    same account; a second sign-in must not inherit reauthentication, an enrollment in
    progress or a lock, nor keep an id someone may have seen. `mfa_on` spares the read of
    whether the patient has a verified factor when the caller just proved one.
    """
    if session_state.has_user(request.session):
        request.session.flush()
    login(request, user)
    on = has_verified_factor(user) if mfa_on is None else mfa_on
    next_level = "aal2" if on else "aal1"
    sessions.start(request, next_level=next_level, methods=methods)


def sign_out(request: HttpRequest) -> None:
    """Sign out here, and cut off the apps this patient signed in to (CONTRACT §8)."""
    user = request.user
    if isinstance(user, User):
        app_tokens.revoke_all_recorded(request, user)
    logout(request)


def complete_sign_in(
    request: HttpRequest,
    user: User,
    *,
    code: str | None = None,
    recovery_code: str | None = None,
) -> int | None:
    """The second step of sign-in: a code raises the session to aal2 under a new id.

    Returns how many recovery codes are left when one was spent, else None.
    """
    factors = verified_factors(user)
    if not factors:
        raise NoVerifiedFactor()
    proof = checks.prove(request, user, factors, code=code, recovery_code=recovery_code)
    sessions.set_level(request, "aal2")
    mark_reauthenticated(request)
    if proof.used_recovery_code:
        return recovery_code_spent(request, user)
    request.session.cycle_key()
    record("mfa.challenge.succeeded", user=user, request=request, purpose="sign_in")
    return None


def sign_in_with_passkey(request: HttpRequest, credential: object) -> User:
    """ "Sign in with a passkey": no password, straight to aal2 in a fresh session.

    A passkey with user verification is two factors in one (the device, and the face,
    finger or PIN that unlocks it), so the session owes nothing more (CONTRACT §6).
    """
    proof = passkeys.prove(request, credential, user=None)
    start_session(request, proof.user, methods=(), mfa_on=True)  # the passkey is one
    sessions.set_level(request, "aal2")
    passkeys.mark_proved(request, proof)
    device_cookies.remember(request, proof.user.pk)
    record("signin.succeeded", user=proof.user, request=request, method="passkey")
    return proof.user


def complete_sign_in_with_passkey(request: HttpRequest, user: User, credential: object) -> None:
    """The second step of sign-in with a passkey instead of a code."""
    proof = passkeys.prove(request, credential, user=user)
    sessions.set_level(request, "aal2")
    passkeys.mark_proved(request, proof)
    request.session.cycle_key()
    record(
        "mfa.challenge.succeeded", user=user, request=request, purpose="sign_in", method="passkey"
    )
