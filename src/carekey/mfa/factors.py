"""A patient's factors: enroll, verify the first code, rename, remove (CONTRACT §4).

The kind of factor (TOTP today) is asked through `kinds`, so another kind joins without
editing these rules: reauthentication before adding a second, the cap, names, what follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest

from carekey import clock, conf, notify
from carekey.accounts import session_state as state
from carekey.accounts import sessions
from carekey.accounts.models import User
from carekey.audit.record import Detail, record, record_all
from carekey.mfa import checks, kinds
from carekey.mfa.aftermath import after_security_change
from carekey.mfa.errors import FactorNotFound, NameConflict
from carekey.mfa.models import Factor, RecoveryCode
from carekey.mfa.names import choose_name
from carekey.mfa.queries import get_factor, has_verified_factor, purge_expired_enrollments
from carekey.mfa.reauth import (
    mark_reauthenticated,
    needs_reauthentication,
    require_reauthentication,
)
from carekey.mfa.recovery_codes import new_recovery_codes, store_recovery_codes


@dataclass(frozen=True)
class Enrollment:
    """A started enrollment: the factor row, and its kind's setup data for the faces."""

    factor: Factor
    setup: Any


@dataclass(frozen=True)
class Verified:
    factor: Factor
    recovery_codes: list[str] | None


def enroll(
    request: HttpRequest, user: User, friendly_name: str | None = None, kind: str = kinds.DEFAULT
) -> Enrollment:
    """Start a factor; a second one needs a fresh code (reauthentication)."""
    if needs_reauthentication(request, user):
        require_reauthentication(request)
    factor_kind = kinds.get(kind)
    started = factor_kind.start(user)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        purge_expired_enrollments(user)  # under the lock: the cap counts live factors only
        name = choose_name(user, friendly_name, max_factors=conf.max_factors())
        try:
            with transaction.atomic():
                factor = Factor.objects.create(
                    user=user,
                    friendly_name=name,
                    factor_type=factor_kind.type,
                    secret_ciphertext=started.sealed_secret,
                )
        except IntegrityError as exc:
            raise NameConflict() from exc
    state.set_enrolling(request.session, str(factor.pk))
    record("mfa.factor.enrolled", user=user, request=request, factor_id=str(factor.pk))
    return Enrollment(factor, started.setup)


def enrollment_setup(request: HttpRequest, user: User, factor: Factor) -> Any:
    """The setup again, only for the session that started this unfinished enrollment."""
    if factor.is_verified or state.enrolling(request.session) != str(factor.pk):
        return None
    return kinds.get(factor.factor_type).setup(user, factor.secret_ciphertext)


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
    mark_reauthenticated(request)
    sessions.set_level(request, "aal2")
    if factor.is_verified:
        return Verified(factor, None)
    codes = mark_verified(user, factor)
    state.clear_enrolling(request.session)
    return Verified(factor, codes_after_new_factor(request, user, factor, codes))


def codes_after_new_factor(
    request: HttpRequest, user: User, factor: Factor, codes: list[str] | None
) -> list[str] | None:
    """What follows any newly verified factor, whatever its kind: a new session id, the
    other sessions ended, the audit trail and the email; passes the recovery codes on."""
    after_security_change(request, user)
    events: list[tuple[str, Detail]] = [
        ("mfa.factor.verified", {"factor_id": str(factor.pk), "factor_type": factor.factor_type})
    ]
    if codes is not None:
        events.append(("recovery_codes.generated", {"count": len(codes)}))
    record_all(events, user=user, request=request)
    notify.send("factor_added", user, request, factor_name=factor.friendly_name)
    return codes


def mark_verified(user: User, factor: Factor) -> list[str] | None:
    """Verify the factor; the patient's first verified factor brings ten recovery codes.

    "First?" is decided under a lock on the patient's row, in the transaction that
    stores the codes: two factors verified at the same instant must not both issue a set
    (one would be shown and already void). A crash never leaves a first factor without
    codes. "First?" is asked only under the lock (issue 18: asking before it too cost every
    verification a query); the ten codes of a first factor are hashed while it is held,
    a few milliseconds in which only this patient's other verifications wait.
    """
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        if _verify_counting_others(factor) != 0:  # others, or verified by a twin request
            return None
        codes, hashes = new_recovery_codes()
        store_recovery_codes(user, hashes)
    return codes


_VERIFY_SQL = (
    'UPDATE "mfa_factor" SET "status" = %s WHERE "id" = %s AND "status" <> %s RETURNING ('
    'SELECT COUNT(*) FROM "mfa_factor" AS "other" WHERE "other"."user_id" = %s '
    'AND "other"."status" = %s AND "other"."id" <> %s)'
)


def _verify_counting_others(factor: Factor) -> int | None:
    """Mark `factor` verified; how many other verified factors its patient holds, or None
    if it already was verified (a twin request, two tabs, got there first).

    One statement where the ORM takes two (issue 18). Called under the lock on the
    patient's row: in PostgreSQL's READ COMMITTED the statement's snapshot is taken after
    that lock was granted, so it sees every verification committed by an earlier holder.
    """
    verified = Factor.Status.VERIFIED
    key = Factor._meta.pk.get_db_prep_value(factor.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(_VERIFY_SQL, [verified, key, verified, factor.user_id, verified, key])
        row = cursor.fetchone()
    if row is None and not Factor.objects.filter(pk=factor.pk).exists():
        raise FactorNotFound()  # removed in the instant since it was read
    factor.status = verified
    return None if row is None else int(row[0])


def remove_factor(request: HttpRequest, user: User, factor_id: object) -> None:
    """Remove a factor; a verified one needs reauthentication and ends other sessions."""
    factor = get_factor(user, factor_id)
    if not factor.is_verified:
        factor.delete()
        state.clear_enrolling(request.session)
        return
    require_reauthentication(request)
    name = factor.friendly_name
    mfa_on = _delete_verified(user, factor)
    if not mfa_on:
        sessions.set_level(request, "aal1")
    after_security_change(request, user)
    record(
        "mfa.factor.removed",
        user=user,
        request=request,
        factor_id=str(factor_id),
        factor_type=factor.factor_type,
    )
    notify.send("factor_removed", user, request, factor_name=name, mfa_on=mfa_on)


def _delete_verified(user: User, factor: Factor) -> bool:
    """Delete a verified factor; the last one takes the recovery codes with it. Whether MFA
    is still on is decided under the lock mark_verified takes: a factor verified at this
    instant either sees this one gone (and brings its own codes) or is seen here (and the
    codes stay), never a verified factor left without codes."""
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        factor.delete()
        mfa_on = has_verified_factor(user)
        if not mfa_on:
            RecoveryCode.objects.filter(user=user).delete()
    return mfa_on
