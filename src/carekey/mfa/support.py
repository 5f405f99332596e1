"""The support desk's reset of a lost factor (the admin and `carekey resetmfa`)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from carekey import notify
from carekey.accounts import app_tokens, sessions, throttle
from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.mfa.errors import InvalidInput
from carekey.mfa.models import Factor, RecoveryCode

REASON_MAX_LENGTH = 500


def reset_mfa(
    patient: User,
    reason: str,
    *,
    staff: User | None = None,
    operator: str = "",
    request: HttpRequest | None = None,
) -> int:
    """Support desk for a lost phone: factors and recovery codes gone, every session ended.

    Returns how many factors were removed. The audit event names who did it (the staff
    member, else what the caller can say about the operator) and why.
    """
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give a reason for resetting two-step verification."))
    if len(reason) > REASON_MAX_LENGTH:
        raise InvalidInput(_("Keep the reason under %(n)s characters.") % {"n": REASON_MAX_LENGTH})
    with transaction.atomic():
        removed = Factor.objects.filter(user=patient).count()
        Factor.objects.filter(user=patient).delete()
        RecoveryCode.objects.filter(user=patient).delete()
        sessions.revoke_all(patient)
        tokens = app_tokens.revoke_all(patient)
        throttle.forget(throttle.key_for_user(patient.pk))  # lifts the 100-failure stop
    record(
        "staff.mfa_reset",
        user=patient,
        request=request,
        staff_id=staff.pk if staff is not None else None,
        staff_email=staff.email if staff is not None else operator or "unknown",
        reason=reason,
        factors_removed=removed,
        app_tokens_revoked=tokens,
    )
    notify.send("mfa_reset", patient, None, reason=reason)
    return removed
