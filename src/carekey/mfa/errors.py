"""What can go wrong in a two-step verification use case, in the patient's words.

Each error carries the contract's error code; the API maps it to an HTTP status and the
pages show its message.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from carekey.errors import CareKeyError, StrOrPromise

WRONG_CODE = _("That code didn't work. Check the time on your phone and try the newest code.")
# A recovery code has no clock: the advice is about the saved list, and each code works once.
WRONG_RECOVERY_CODE = _(
    "That recovery code didn't work. Check it against your saved list; each code works once."
)


class MfaError(CareKeyError):
    code = "mfa_error"
    status = 422
    default: StrOrPromise = _("Something went wrong with two-step verification.")


class FactorNotFound(MfaError):
    code = "mfa_factor_not_found"
    status = 404
    default = _("That authenticator was not found.")


class VerificationFailed(MfaError):
    code = "mfa_verification_failed"
    default = WRONG_CODE


class InvalidInput(MfaError):
    code = "validation_error"
    default = _("Enter the 6-digit code from your authenticator app.")


class InvalidName(InvalidInput):
    default = _("Use a name of 1 to 64 characters.")


class NameConflict(MfaError):
    code = "mfa_factor_name_conflict"
    default = _("You already have an authenticator with that name. Choose another name.")


class TooManyFactors(MfaError):
    code = "too_many_enrolled_mfa_factors"
    default = _("You can have at most 10 authenticators. Remove one before adding another.")


class ReauthenticationRequired(MfaError):
    code = "reauthentication_required"
    status = 403
    default = _("Enter a code from your authenticator app to confirm it's you.")


class NoVerifiedFactor(MfaError):
    code = "mfa_verification_failed"
    default = _("Turn on two-step verification first.")


class PasskeyVerificationFailed(MfaError):
    """Any passkey that does not verify; the sentence says what the patient can do."""

    code = "passkey_verification_failed"
    default = _("That passkey could not be verified. Try again, or use another way.")


PASSKEY_EXPIRED = _("That passkey request expired or was already used. Try again.")
PASSKEY_UNKNOWN = _(
    "That passkey is not registered for your account here. Use another passkey or another way."
)
PASSKEY_NOT_VERIFIED = _(
    "Your device did not confirm it was you (fingerprint, face or PIN). Try again and "
    "confirm on your device."
)
PASSKEY_COPIED = _(
    "This passkey was refused because it may have been copied. Sign in another way, "
    "remove it on the Security page and add it again."
)
PASSKEY_DUPLICATE = _("That passkey is already registered.")
