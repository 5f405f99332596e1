"""Two-step verification use cases, one function each, shared by the pages and the API.

Every rule of CONTRACT §4 for factors lives here or in `checks`: reauthentication, the cap
of 10, expiry of abandoned enrollments, names, and what follows a security change (new
session id, other sessions signed out, an email, audit events).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils.translation import gettext as _

from carekey import clock, conf, notify
from carekey.accounts import session_state as state
from carekey.accounts import sessions, throttle
from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.mfa import checks, recovery, totp, vault
from carekey.mfa.errors import (
    FactorNotFound,
    InvalidInput,
    NameConflict,
    NoVerifiedFactor,
    ReauthenticationRequired,
)
from carekey.mfa.models import Factor, RecoveryCode
from carekey.mfa.names import choose_name


@dataclass(frozen=True)
class Enrollment:
    factor: Factor
    secret: str
    uri: str
    qr_code: str


@dataclass(frozen=True)
class Verified:
    factor: Factor
    recovery_codes: list[str] | None


def verified_factors(user: User) -> list[Factor]:
    return list(Factor.objects.filter(user=user, status=Factor.Status.VERIFIED))


def has_verified_factor(user: User) -> bool:
    return Factor.objects.filter(user=user, status=Factor.Status.VERIFIED).exists()


def purge_expired_enrollments(user: User | None = None) -> int:
    stale = Factor.objects.filter(
        status=Factor.Status.UNVERIFIED, created_at__lt=clock.now() - conf.enrollment_lifetime()
    )
    if user is not None:
        stale = stale.filter(user=user)
    deleted, _ = stale.delete()
    return deleted


def live_factors(user: User) -> list[Factor]:
    """The patient's factors, less abandoned enrollments, in one read.

    Expired enrollments are hidden here and deleted by the next enroll or `carekey purge`,
    so that listing (the hottest call) never writes.
    """
    fresh = Q(status=Factor.Status.VERIFIED) | Q(
        created_at__gte=clock.now() - conf.enrollment_lifetime()
    )
    return list(Factor.objects.filter(fresh, user=user))


def get_factor(user: User, factor_id: object) -> Factor:
    """The patient's own live factor; anything else is "not found", never "forbidden"."""
    try:
        factor = Factor.objects.get(pk=uuid.UUID(str(factor_id)), user=user)
    except (Factor.DoesNotExist, ValueError) as exc:
        raise FactorNotFound() from exc
    if not factor.is_verified and factor.created_at < clock.now() - conf.enrollment_lifetime():
        factor.delete()
        raise FactorNotFound()
    return factor


def reauthenticated_until(request: HttpRequest) -> datetime | None:
    value = state.reauthenticated_until(request.session)
    if value is None:
        return None
    until = datetime.fromtimestamp(value, tz=clock.now().tzinfo)
    return until if until > clock.now() else None


def _mark_reauthenticated(request: HttpRequest) -> None:
    until = (clock.now() + conf.reauthentication_lifetime()).timestamp()
    state.set_reauthenticated_until(request.session, until)


def require_reauthentication(request: HttpRequest) -> None:
    if reauthenticated_until(request) is None:
        raise ReauthenticationRequired()


def _after_security_change(request: HttpRequest, user: User) -> None:
    """New session id, every other session of the patient signed out (the old id too)."""
    sessions.rotate_and_revoke_others(request, user)


def enroll(request: HttpRequest, user: User, friendly_name: str | None = None) -> Enrollment:
    """Start a TOTP factor; a second one needs a fresh code (reauthentication)."""
    if has_verified_factor(user):
        require_reauthentication(request)
    secret = totp.generate_secret()
    sealed = vault.seal(secret)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        purge_expired_enrollments(user)  # under the lock: the cap counts live factors only
        name = choose_name(user, friendly_name, max_factors=conf.max_factors())
        try:
            with transaction.atomic():
                factor = Factor.objects.create(
                    user=user, friendly_name=name, secret_ciphertext=sealed
                )
        except IntegrityError as exc:
            raise NameConflict() from exc
    state.set_enrolling(request.session, str(factor.pk))
    record("mfa.factor.enrolled", user=user, request=request, factor_id=str(factor.pk))
    uri = totp.provisioning_uri(secret, user.email, conf.issuer())
    return Enrollment(factor, secret, uri, totp.qr_code_data_uri(uri))


def enrollment_secret(request: HttpRequest, factor: Factor) -> str | None:
    """The secret again, only for the session that started this unfinished enrollment."""
    if factor.is_verified or state.enrolling(request.session) != str(factor.pk):
        return None
    return vault.unseal(factor.secret_ciphertext)


def rename(user: User, factor: Factor, friendly_name: str) -> None:
    name = choose_name(user, friendly_name, max_factors=None, exclude=factor)
    if name != factor.friendly_name:
        factor.friendly_name = name
        factor.updated_at = clock.now()
        try:
            with transaction.atomic():
                factor.save(update_fields=["friendly_name", "updated_at"])
        except IntegrityError as exc:
            raise NameConflict() from exc


def verify_enrollment(
    request: HttpRequest, user: User, factor_id: object, code: str, friendly_name: str = ""
) -> Verified:
    """Confirm a new factor with its first code; the first one brings recovery codes."""
    factor = get_factor(user, factor_id)
    checks.normalized_code(code)
    new_name = friendly_name.strip()
    if new_name:
        choose_name(user, new_name, max_factors=None, exclude=factor)  # refuse before checking
    checks.prove(request, user, [factor], code=code)
    if new_name:
        rename(user, factor, new_name)
    _mark_reauthenticated(request)
    sessions.set_level(request, "aal2")
    if factor.is_verified:
        return Verified(factor, None)
    codes = _mark_verified(user, factor)
    state.clear_enrolling(request.session)
    _after_security_change(request, user)
    record("mfa.factor.verified", user=user, request=request, factor_id=str(factor.pk))
    notify.send("factor_added", user, request, factor_name=factor.friendly_name)
    if codes is not None:
        record("recovery_codes.generated", user=user, request=request, count=len(codes))
    return Verified(factor, codes)


def _mark_verified(user: User, factor: Factor) -> list[str] | None:
    """Verify the factor; the patient's first verified factor brings ten recovery codes.

    "First?" is decided under a lock on the patient's row, in the transaction that
    stores the codes: two factors verified at the same instant must not both issue a set
    (one would be shown and already void). A crash never leaves a first factor without
    codes. Hashing is slow, so the likely set is hashed before the lock is taken.
    """
    fresh = _new_recovery_codes() if not has_verified_factor(user) else None
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        first = not has_verified_factor(user)
        factor.status = Factor.Status.VERIFIED
        factor.save(update_fields=["status"])
        if not first:
            return None
        codes, hashes = fresh or _new_recovery_codes()
        _store_recovery_codes(user, hashes)
    return codes


def reauthenticate(
    request: HttpRequest,
    user: User,
    *,
    code: str | None = None,
    recovery_code: str | None = None,
) -> datetime:
    """A fresh code (or recovery code) opens a 5-minute window for sensitive changes."""
    factors = verified_factors(user)
    if not factors:
        raise NoVerifiedFactor()
    proof = checks.prove(request, user, factors, code=code, recovery_code=recovery_code)
    if proof.used_recovery_code:
        recovery_code_spent(request, user)
    else:
        record("mfa.challenge.succeeded", user=user, request=request, purpose="reauthenticate")
    _mark_reauthenticated(request)
    until = reauthenticated_until(request)
    assert until is not None
    return until


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
    _mark_reauthenticated(request)
    if proof.used_recovery_code:
        return recovery_code_spent(request, user)
    request.session.cycle_key()
    record("mfa.challenge.succeeded", user=user, request=request, purpose="sign_in")
    return None


def recovery_code_spent(request: HttpRequest, user: User) -> int:
    left = remaining_recovery_codes(user)
    record("recovery_code.used", user=user, request=request, remaining=left)
    _after_security_change(request, user)
    notify.send("recovery_code_used", user, request, remaining=left)
    return left


def remove_factor(request: HttpRequest, user: User, factor_id: object) -> None:
    """Remove a factor; a verified one needs reauthentication and ends other sessions."""
    factor = get_factor(user, factor_id)
    if not factor.is_verified:
        factor.delete()
        state.clear_enrolling(request.session)
        return
    require_reauthentication(request)
    name = factor.friendly_name
    factor.delete()
    mfa_on = has_verified_factor(user)
    if not mfa_on:
        RecoveryCode.objects.filter(user=user).delete()
        sessions.set_level(request, "aal1")
    _after_security_change(request, user)
    record("mfa.factor.removed", user=user, request=request, factor_id=str(factor_id))
    notify.send("factor_removed", user, request, factor_name=name, mfa_on=mfa_on)


def _new_recovery_codes() -> tuple[list[str], list[str]]:
    """Fresh codes and their hashes, hashed before any transaction opens (hashing is slow)."""
    codes = recovery.generate_codes()
    return codes, [recovery.hash_code(recovery.normalize(code)) for code in codes]


def _store_recovery_codes(user: User, hashes: list[str]) -> None:
    """Void the old set and store the new one; call it inside a transaction."""
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=h) for h in hashes)


def _replace_recovery_codes(user: User) -> list[str]:
    codes, hashes = _new_recovery_codes()
    with transaction.atomic():  # all or nothing: never a patient left without codes
        _store_recovery_codes(user, hashes)
    return codes


def generate_recovery_codes(request: HttpRequest, user: User) -> list[str]:
    """A new set of ten, voiding the old; needs a verified factor and reauthentication."""
    if not has_verified_factor(user):
        raise NoVerifiedFactor()
    require_reauthentication(request)
    codes = _replace_recovery_codes(user)
    _after_security_change(request, user)
    record("recovery_codes.generated", user=user, request=request, count=len(codes))
    notify.send("recovery_codes_generated", user, request)
    return codes


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user).count()


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
        throttle.forget(throttle.key_for_user(patient.pk))  # lifts the 100-failure stop
    record(
        "staff.mfa_reset",
        user=patient,
        request=request,
        staff_id=staff.pk if staff is not None else None,
        staff_email=staff.email if staff is not None else operator or "unknown",
        reason=reason,
        factors_removed=removed,
    )
    notify.send("mfa_reset", patient, None, reason=reason)
    return removed
