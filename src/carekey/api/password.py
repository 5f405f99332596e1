"""The password calls (CONTRACT §7): change it signed in, or reset it with an emailed link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Status

from carekey.accounts import sessions
from carekey.api.errors import ApiError
from carekey.api.openapi import raises
from carekey.api.schemas import (
    MessageOut,
    PasswordChangeIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
)
from carekey.password import change, reset

router = Router(tags=["password"])


@router.post(
    "/session/password",
    response={204: None},
    operation_id="changePassword",
    openapi_extra=raises(
        "not_authenticated",
        "invalid_credentials",
        "insufficient_aal",
        "weak_password",
        "too_many_attempts",
    ),
)
def change_password(request: HttpRequest, body: PasswordChangeIn) -> HttpResponse:
    """A new session id; the other sessions and the apps' tokens end; an email is sent."""
    user = sessions.signed_in_patient(request)  # /session calls check for themselves
    if sessions.awaits_second_factor(request.session):
        raise ApiError(
            403,
            "insufficient_aal",
            _("Enter a code from your authenticator app first (POST /api/v1/session/verify)."),
        )
    change.change_password(request, user, body.current_password, body.new_password)
    return HttpResponse(status=204)


@router.post(
    "/password/reset",
    response={202: MessageOut},
    operation_id="requestPasswordReset",
    openapi_extra=raises("too_many_attempts"),
)
def request_reset(request: HttpRequest, body: PasswordResetIn) -> Status[dict[str, str]]:
    """Email a reset link; the same answer, in the same time, whether the account exists."""
    reset.request_link(request, body.email)
    return Status(202, {"message": _("If an account exists for that email, we sent a link to it.")})


@router.post(
    "/password/reset/confirm",
    response={204: None},
    operation_id="confirmPasswordReset",
    openapi_extra=raises("reset_link_invalid", "weak_password", "too_many_attempts"),
)
def confirm_reset(request: HttpRequest, body: PasswordResetConfirmIn) -> HttpResponse:
    """Set the new password with the link's token. Nobody is signed in: sign in afterwards."""
    reset.reset_with_link(request, body.token, body.new_password)
    return HttpResponse(status=204)
