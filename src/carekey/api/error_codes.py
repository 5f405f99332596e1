"""Every `error.code` an answer of CareKey can carry: its HTTP status and what it means.

The OpenAPI document publishes the keys as the `ErrorCode` enum (used by ErrorOut) and lists
on each operation the codes it can answer. The meanings are for client developers, so they
stay in English. tests/integration/test_error_codes.py fails when a CareKeyError subclass or
an `error_response`/`ApiError` anywhere in the code base uses a code missing here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorCode:
    status: int
    meaning: str


ERROR_CODES: dict[str, ErrorCode] = {
    # The access gate and the web framework, before any view runs.
    "bad_request": ErrorCode(400, "The request could not be read (a malformed form body or Host)."),
    "not_authenticated": ErrorCode(
        401, "No signed-in session: never signed in, signed out, idle or past its maximum age."
    ),
    "csrf_failed": ErrorCode(
        403, "The X-CSRFToken header is missing or differs from the csrftoken cookie."
    ),
    "insufficient_aal": ErrorCode(
        403, "The session still owes its second step: POST /api/v1/session/verify."
    ),
    "mfa_enrollment_required": ErrorCode(
        403, "The organisation requires two-step verification: enroll a factor first."
    ),
    "not_found": ErrorCode(404, "Nothing answers at this address."),
    "method_not_allowed": ErrorCode(
        405, "The address does not accept this method; the Allow header lists those it does."
    ),
    "request_too_large": ErrorCode(413, "The request body is larger than the server accepts."),
    "validation_error": ErrorCode(
        422, "The body, query or path is not valid; the message names the field and why."
    ),
    "session_locked": ErrorCode(
        423, "App lock locked the session: unlock it with POST /api/v1/session/unlock."
    ),
    "internal_error": ErrorCode(500, "A fault on CareKey's side; it is logged. Never expected."),
    "service_unavailable": ErrorCode(
        503, "The database cannot be reached; Retry-After gives the seconds to wait."
    ),
    "http_error": ErrorCode(
        400, "Another refusal by the web framework (its status tells which); not expected."
    ),
    # The services, raised as CareKeyError subclasses.
    "invalid_credentials": ErrorCode(
        401, "The email or password (or the current password) is not right."
    ),
    "too_many_attempts": ErrorCode(
        429, "Too many failed checks for this account; Retry-After gives the seconds to wait."
    ),
    "reauthentication_required": ErrorCode(
        403, "Confirm with a code first: POST /api/v1/session/reauthenticate (valid 5 minutes)."
    ),
    "mfa_factor_not_found": ErrorCode(
        404, "No such factor for this patient: unknown, another patient's, removed or expired."
    ),
    "session_not_found": ErrorCode(404, "No such signed-in device: it was already signed out."),
    "app_not_found": ErrorCode(404, "No such connected app for this patient."),
    "reset_link_invalid": ErrorCode(
        400, "The reset link is unknown, used, expired, or replaced by a newer one."
    ),
    "mfa_verification_failed": ErrorCode(
        422, "The code or recovery code did not work, or no verified factor can check it."
    ),
    "passkey_verification_failed": ErrorCode(
        422, "The passkey could not be verified; the message says what the patient can do."
    ),
    "mfa_factor_name_conflict": ErrorCode(422, "The patient already has a factor of that name."),
    "too_many_enrolled_mfa_factors": ErrorCode(
        422, "The patient has 10 factors (verified or not): remove one first."
    ),
    "weak_password": ErrorCode(422, "The new password breaks a rule; the message says which."),
    "mfa_error": ErrorCode(422, "Another two-step verification problem; the message says what."),
    "permission_denied": ErrorCode(422, "A staff action that is not allowed (staff pages only)."),
}


def status_of(code: str) -> int:
    return ERROR_CODES[code].status
