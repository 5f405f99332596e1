"""GET, POST and DELETE /session: the API face of sign-in."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from ninja import Router

from carekey.accounts import sessions
from carekey.accounts.models import User
from carekey.api.errors import ApiError
from carekey.api.openapi import raises
from carekey.api.schemas import (
    PasskeyCredentialIn,
    PublicKeyOptionsOut,
    SecondFactorIn,
    SessionOut,
    SignInIn,
    UnlockIn,
)
from carekey.applock import services as applock
from carekey.mfa import services as mfa
from carekey.mfa import signin as services

router = Router(tags=["session"])
# A code, a recovery code or a password checked under the per-account throttle; a session
# that is not signed in (or was signed out by five failed unlocks) is 401.
CODE_CHECK = ("not_authenticated", "mfa_verification_failed", "too_many_attempts")


def session_body(request: HttpRequest) -> dict[str, object]:
    user = request.user
    assert isinstance(user, User)
    return {
        "user": {"id": user.pk, "email": user.email, "name": user.name},
        "aal": sessions.aal(request.session),
        "next_level": sessions.next_level(request.session),
        "locked": applock.is_locked(request),
        "reauthenticated_until": mfa.reauthenticated_until(request),
    }


@router.get(
    "/session",
    response=SessionOut,
    operation_id="getSession",
    openapi_extra=raises("not_authenticated"),
)
def get_session(request: HttpRequest) -> dict[str, object]:
    """The current session; always sets the `csrftoken` cookie, signed in or not."""
    get_token(request)
    if not request.user.is_authenticated:
        raise ApiError(401, "not_authenticated", _("Sign in first."))
    return session_body(request)


@router.post(
    "/session",
    response=SessionOut,
    operation_id="signIn",
    openapi_extra=raises("invalid_credentials", "too_many_attempts"),
)
def create_session(request: HttpRequest, body: SignInIn) -> dict[str, object]:
    services.sign_in(request, body.email, body.password)
    return session_body(request)


@router.delete("/session", response={204: None}, operation_id="signOut")
def delete_session(request: HttpRequest) -> HttpResponse:
    services.sign_out(request)
    return HttpResponse(status=204)


@router.post(
    "/session/verify",
    response=SessionOut,
    operation_id="verifySignIn",
    openapi_extra=raises(*CODE_CHECK),
)
def verify_session(request: HttpRequest, body: SecondFactorIn) -> dict[str, object]:
    """The second step of sign-in: raises the session to aal2 and rotates its id."""
    user = sessions.signed_in_patient(request)
    if sessions.awaits_second_factor(request.session):
        mfa.complete_sign_in(request, user, code=body.code, recovery_code=body.recovery_code)
    return session_body(request)


@router.post(
    "/session/reauthenticate",
    response=SessionOut,
    operation_id="reauthenticate",
    openapi_extra=raises(*CODE_CHECK),
)
def reauthenticate(request: HttpRequest, body: SecondFactorIn) -> dict[str, object]:
    """A fresh code opens five minutes for adding or removing factors and new codes."""
    user = sessions.signed_in_patient(request)
    mfa.reauthenticate(request, user, code=body.code, recovery_code=body.recovery_code)
    return session_body(request)


@router.post(
    "/session/unlock",
    response=SessionOut,
    operation_id="unlockSession",
    openapi_extra=raises(*CODE_CHECK),
)
def unlock_session(request: HttpRequest, body: UnlockIn) -> dict[str, object]:
    """Unlock with a code or the password (by preference); five failures sign out."""
    user = sessions.signed_in_patient(request)
    applock.unlock(request, user, code=body.code, password=body.password)
    return session_body(request)


@router.post(
    "/session/passkey/options",
    response=PublicKeyOptionsOut,
    operation_id="getPasskeyRequestOptions",
    openapi_extra=raises("too_many_attempts"),
)
def passkey_request_options(request: HttpRequest) -> dict[str, object]:
    """Options for navigator.credentials.get(): the patient's own passkeys when signed in,
    any passkey of this site when not ("Sign in with a passkey")."""
    user = request.user if isinstance(request.user, User) else None
    return {"publicKey": mfa.request_options(request, user)}


@router.post(
    "/session/passkey",
    response=SessionOut,
    operation_id="authenticateWithPasskey",
    openapi_extra=raises("not_authenticated", "passkey_verification_failed", "too_many_attempts"),
)
def use_passkey(request: HttpRequest, body: PasskeyCredentialIn) -> dict[str, object]:
    """A passkey signs in (aal2, no password), completes the verify step, unlocks a locked
    session, or reauthenticates: whichever this session is waiting for."""
    user = request.user
    if not isinstance(user, User):
        services.sign_in_with_passkey(request, body.credential)
    elif applock.is_locked(request):
        applock.unlock_with_passkey(request, user, body.credential)
    elif sessions.awaits_second_factor(request.session):
        mfa.complete_sign_in_with_passkey(request, user, body.credential)
    else:
        mfa.reauthenticate_with_passkey(request, user, body.credential)
    return session_body(request)
