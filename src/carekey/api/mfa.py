"""/mfa/factors and /mfa/recovery-codes: the API face of the factor services."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Status

from carekey.accounts.sessions import signed_in_patient
from carekey.api.openapi import raises
from carekey.api.schemas import (
    CodeIn,
    EnrolledFactorOut,
    EnrollIn,
    FactorListOut,
    PasskeyIn,
    PasskeyOptionsIn,
    PublicKeyOptionsOut,
    RecoveryCodesOut,
    RemainingOut,
    VerifiedFactorOut,
)
from carekey.core import totp
from carekey.mfa import services
from carekey.mfa.models import Factor

router = Router(tags=["mfa"])
# The rules of any new factor: a name unique ignoring case, at most 10 factors.
NEW_FACTOR = ("mfa_factor_name_conflict", "too_many_enrolled_mfa_factors")


def factor_body(factor: Factor) -> dict[str, Any]:
    return {
        "id": str(factor.pk),
        "factor_type": factor.factor_type,
        "friendly_name": factor.friendly_name,
        "status": factor.status,
        "created_at": factor.created_at,
        "updated_at": factor.updated_at,
        "last_used_at": factor.last_used_at,
    }


@router.get("/mfa/factors", response=FactorListOut, operation_id="listFactors")
def list_factors(request: HttpRequest) -> dict[str, Any]:
    factors = services.live_factors(signed_in_patient(request))
    return {"factors": [factor_body(f) for f in factors]}


@router.post(
    "/mfa/factors",
    response={201: EnrolledFactorOut},
    operation_id="enrollFactor",
    openapi_extra=raises("reauthentication_required", *NEW_FACTOR),
)
def enroll_factor(request: HttpRequest, body: EnrollIn) -> Status[dict[str, Any]]:
    enrollment = services.enroll(request, signed_in_patient(request), body.friendly_name)
    setup = enrollment.setup
    qr_code = totp.qr_code_data_uri(setup.uri)
    totp_body = {"qr_code": qr_code, "secret": setup.secret, "uri": setup.uri}
    return Status(201, {**factor_body(enrollment.factor), "totp": totp_body})


@router.post(
    "/mfa/factors/{factor_id}/verify",
    response=VerifiedFactorOut,
    operation_id="verifyFactor",
    openapi_extra=raises("mfa_factor_not_found", "mfa_verification_failed", "too_many_attempts"),
)
def verify_factor(request: HttpRequest, factor_id: str, body: CodeIn) -> dict[str, Any]:
    result = services.verify_enrollment(request, signed_in_patient(request), factor_id, body.code)
    answer = factor_body(result.factor)
    if result.recovery_codes is not None:
        answer["recovery_codes"] = result.recovery_codes
    return answer


@router.post(
    "/mfa/passkeys/options",
    response=PublicKeyOptionsOut,
    operation_id="getPasskeyCreationOptions",
    openapi_extra=raises("reauthentication_required", *NEW_FACTOR),
)
def passkey_creation_options(
    request: HttpRequest, body: PasskeyOptionsIn | None = None
) -> dict[str, Any]:
    """Options for navigator.credentials.create(); the cap, the name and reauthentication
    are checked first."""
    name = body.friendly_name if body is not None else None
    options = services.registration_options(request, signed_in_patient(request), name)
    return {"publicKey": options}


@router.post(
    "/mfa/passkeys",
    response={201: VerifiedFactorOut},
    operation_id="addPasskey",
    openapi_extra=raises(
        "reauthentication_required",
        "passkey_verification_failed",
        "too_many_attempts",
        *NEW_FACTOR,
    ),
)
def add_passkey(request: HttpRequest, body: PasskeyIn) -> Status[dict[str, Any]]:
    """Store the browser's new passkey: verified at once; the first factor brings codes."""
    user = signed_in_patient(request)
    result = services.register_passkey(request, user, body.credential, body.friendly_name)
    answer = factor_body(result.factor)
    if result.recovery_codes is not None:
        answer["recovery_codes"] = result.recovery_codes
    return Status(201, answer)


@router.delete(
    "/mfa/factors/{factor_id}",
    response={204: None},
    operation_id="removeFactor",
    openapi_extra=raises("reauthentication_required", "mfa_factor_not_found"),
)
def remove_factor(request: HttpRequest, factor_id: str) -> HttpResponse:
    services.remove_factor(request, signed_in_patient(request), factor_id)
    return HttpResponse(status=204)


@router.get("/mfa/recovery-codes", response=RemainingOut, operation_id="countRecoveryCodes")
def count_recovery_codes(request: HttpRequest) -> dict[str, int]:
    return {"remaining": services.remaining_recovery_codes(signed_in_patient(request))}


@router.post(
    "/mfa/recovery-codes",
    response={201: RecoveryCodesOut},
    operation_id="generateRecoveryCodes",
    openapi_extra=raises("reauthentication_required", "mfa_verification_failed"),
)
def new_recovery_codes(request: HttpRequest) -> Status[dict[str, list[str]]]:
    codes = services.generate_recovery_codes(request, signed_in_patient(request))
    return Status(201, {"recovery_codes": codes})
