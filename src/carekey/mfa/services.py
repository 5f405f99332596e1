"""Two-step verification, as the faces (pages, API, admin, commands) call it.

One module per use case holds the rules (CONTRACT §4): `factors` (enroll, verify, rename,
remove), `recovery_codes`, `reauth`, `signin` (the second step), `support` (the desk's
reset), with `checks` for checking a code and `kinds` for what each factor kind brings.
This module only gathers their public functions, so a face imports one name.
"""

from __future__ import annotations

from carekey.mfa.aftermath import recovery_code_spent
from carekey.mfa.factors import (
    Enrollment,
    Verified,
    enroll,
    enrollment_setup,
    remove_factor,
    rename,
    verify_enrollment,
)
from carekey.mfa.passkeys import (
    has_passkey,
    reauthenticate_with_passkey,
    register_passkey,
    registration_options,
    request_options,
)
from carekey.mfa.queries import (
    get_factor,
    has_verified_factor,
    live_factors,
    live_factors_and_codes_left,
    purge_expired_enrollments,
    remaining_recovery_codes,
    verified_factors,
)
from carekey.mfa.reauth import (
    needs_reauthentication,
    reauthenticate,
    reauthenticated_until,
    require_reauthentication,
)
from carekey.mfa.recovery_codes import (
    AFTER_APP,
    AFTER_PASSKEY,
    REPLACED,
    CodesToShow,
    generate_recovery_codes,
    hold_for_display,
    take_for_display,
)
from carekey.mfa.signin import complete_sign_in, complete_sign_in_with_passkey
from carekey.mfa.support import REASON_MAX_LENGTH, reset_mfa

__all__ = [
    "AFTER_APP",
    "AFTER_PASSKEY",
    "REASON_MAX_LENGTH",
    "REPLACED",
    "CodesToShow",
    "Enrollment",
    "Verified",
    "complete_sign_in",
    "complete_sign_in_with_passkey",
    "enroll",
    "enrollment_setup",
    "generate_recovery_codes",
    "get_factor",
    "has_passkey",
    "has_verified_factor",
    "hold_for_display",
    "live_factors",
    "live_factors_and_codes_left",
    "needs_reauthentication",
    "purge_expired_enrollments",
    "reauthenticate",
    "reauthenticate_with_passkey",
    "reauthenticated_until",
    "recovery_code_spent",
    "register_passkey",
    "registration_options",
    "remaining_recovery_codes",
    "remove_factor",
    "rename",
    "request_options",
    "require_reauthentication",
    "reset_mfa",
    "take_for_display",
    "verified_factors",
    "verify_enrollment",
]
