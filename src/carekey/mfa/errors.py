"""What can go wrong in a two-step verification use case, in the patient's words.

Each error carries the contract's error code; the API maps it to an HTTP status and the
pages show its message.
"""

from __future__ import annotations

WRONG_CODE = "That code didn't work. Check the time on your phone and try the newest code."


class MfaError(Exception):
    code = "mfa_error"
    message = "Something went wrong with two-step verification."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message


class FactorNotFound(MfaError):
    code = "mfa_factor_not_found"
    message = "That authenticator was not found."


class VerificationFailed(MfaError):
    code = "mfa_verification_failed"
    message = WRONG_CODE


class InvalidInput(MfaError):
    code = "validation_error"
    message = "Enter the 6-digit code from your authenticator app."


class NameConflict(MfaError):
    code = "mfa_factor_name_conflict"
    message = "You already have an authenticator with that name. Choose another name."


class TooManyFactors(MfaError):
    code = "too_many_enrolled_mfa_factors"
    message = "You can have at most 10 authenticators. Remove one before adding another."


class ReauthenticationRequired(MfaError):
    code = "reauthentication_required"
    message = "Enter a code from your authenticator app to confirm it's you."


class NoVerifiedFactor(MfaError):
    code = "mfa_verification_failed"
    message = "Turn on two-step verification first."
