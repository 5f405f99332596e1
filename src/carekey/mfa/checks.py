"""Checking a code or recovery code: format, throttle, window, replay, single use.

The check-and-record of a TOTP step is one conditional UPDATE, so that among any number
of concurrent requests in any number of processes exactly one accepts a given code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from carekey import clock, notify, refusal_log
from carekey.accounts import throttle
from carekey.accounts.claims import claim_and_refund
from carekey.accounts.models import User
from carekey.accounts.refusals import audit_refusal
from carekey.audit.record import record
from carekey.core import recovery, totp
from carekey.mfa import vault
from carekey.mfa.errors import WRONG_RECOVERY_CODE, InvalidInput, VerificationFailed
from carekey.mfa.kinds import DEFAULT as TOTP_TYPE
from carekey.mfa.models import Factor, RecoveryCode


@dataclass(frozen=True)
class Proof:
    """What a successful check proved: a factor's code, or a recovery code (now spent)."""

    factor: Factor | None
    used_recovery_code: bool


def normalized_code(raw: str) -> str:
    try:
        return totp.normalize_code(raw)
    except totp.InvalidCodeFormat as exc:
        raise InvalidInput() from exc


def normalized_recovery_code(raw: str) -> str:
    try:
        return recovery.normalize(raw)
    except recovery.InvalidRecoveryCode as exc:
        raise InvalidInput(_("Enter a recovery code like ABCD-EFGH-JKMN-PQRS.")) from exc


def _claim_step(factor: Factor, step: int, now: datetime, attempt: throttle.Attempt | None) -> bool:
    """Record `step` as used unless another request already recorded it or a newer one;
    a claim that took effect gives `attempt` back in the same statement (PostgreSQL)."""
    unused = Q(last_accepted_step__isnull=True) | Q(last_accepted_step__lt=step)
    claim = Factor.objects.filter(unused, pk=factor.pk)
    values = {"last_accepted_step": step, "last_used_at": now, "updated_at": now}
    if attempt is not None:
        claimed = claim_and_refund(claim, values, attempt)
    else:
        claimed = claim.update(**values) == 1
    if claimed:
        factor.last_accepted_step, factor.last_used_at, factor.updated_at = step, now, now
    return claimed


def accept_totp(
    factors: Iterable[Factor], code: str, attempt: throttle.Attempt | None = None
) -> tuple[Factor | None, bool]:
    """Return (the factor that accepted `code`, whether it was a replay).

    With `attempt`, the accepting factor's claim also gives that reservation back.
    """
    now = clock.now()
    replayed = False
    for factor in factors:
        if factor.factor_type != TOTP_TYPE:
            continue  # a passkey has no code
        secret = vault.unseal(factor.secret_ciphertext)
        step = totp.matching_step(secret, code, now.timestamp(), factor.last_accepted_step)
        if step is not None and _claim_step(factor, step, now, attempt):
            return factor, False
        if step is not None or totp.is_replay(
            secret, code, now.timestamp(), factor.last_accepted_step
        ):
            replayed = True
    return None, replayed


def spend_recovery_code(user: User, normalized: str) -> bool:
    """Delete the matching unused code; a concurrent spender of the same code loses."""
    for stored in RecoveryCode.objects.filter(user=user).only("id", "code_hash"):
        if recovery.matches(normalized, stored.code_hash):
            deleted, _ = RecoveryCode.objects.filter(pk=stored.pk).delete()
            return deleted == 1
    return False


def throttle_guard(
    request: HttpRequest | None, user: User, limit: throttle.Limit = throttle.ACCOUNT
) -> throttle.Attempt:
    """Reserve one check, or refuse it unchecked (audited once per wait window).

    Returns the attempt, for the caller to record the check's outcome on.
    """
    try:
        return throttle.reserve(throttle.key_for_user(user.pk), limit)
    except throttle.Throttled as refused:
        audit_refusal(refused, "mfa.throttled", user=user, request=request)
        refusal_log.note(request, refusal_log.THROTTLED)
        raise


def record_failure(
    request: HttpRequest | None,
    user: User,
    attempt: throttle.Attempt,
    reason: str = refusal_log.REFUSED_PASSKEY,  # the passkey checks; prove() names its own
) -> None:
    """The reservation stands; the hundredth failure in a row turns codes off and says so."""
    attempt.failed()
    refusal_log.note(request, reason)
    if attempt.limit.hard_stop is not None and attempt.failures == attempt.limit.hard_stop:
        record("mfa.throttled", user=user, request=request, reason="codes_stopped")
        notify.send("codes_stopped", user, request)


def _failure_reason(replayed: bool, recovery_code: bool) -> str:
    if replayed:
        return refusal_log.REPLAYED_CODE
    return refusal_log.WRONG_RECOVERY_CODE if recovery_code else refusal_log.WRONG_CODE


def prove(
    request: HttpRequest | None,
    user: User,
    factors: Iterable[Factor],
    *,
    code: str | None = None,
    recovery_code: str | None = None,
) -> Proof:
    """Check one code under the per-account throttle, auditing every outcome.

    Bad formats check nothing and count nothing; while throttled nothing is checked.
    """
    if (code is None) == (recovery_code is None):
        raise InvalidInput(_("Enter either a 6-digit code or a recovery code."))
    try:
        wanted = normalized_code(code) if code is not None else None
        spare = normalized_recovery_code(recovery_code) if recovery_code is not None else None
    except InvalidInput:
        refusal_log.note(request, refusal_log.MALFORMED_CODE)
        raise
    attempt = throttle_guard(request, user, throttle.CODES if wanted else throttle.ACCOUNT)
    if wanted is not None:
        factor, replayed = accept_totp(factors, wanted, attempt)  # a claim refunds
        ok = factor is not None
    else:
        factor, replayed = None, False
        ok = spare is not None and spend_recovery_code(user, spare)
        if ok:
            attempt.succeeded()
    if not ok:
        record_failure(request, user, attempt, _failure_reason(replayed, spare is not None))
        method = "totp" if wanted is not None else "recovery_code"
        record(
            "mfa.code.replayed" if replayed else "mfa.challenge.failed",
            user=user,
            request=request,
            method=method,
        )
        raise VerificationFailed(WRONG_RECOVERY_CODE if spare is not None else None)
    return Proof(factor=factor, used_recovery_code=spare is not None)
