"""Reading a patient's factors and recovery codes: no side effects beyond expiring
abandoned enrollments (which are invisible anyway)."""

from __future__ import annotations

import uuid

from django.db import connection

from carekey import clock, conf
from carekey.accounts.models import User
from carekey.mfa.errors import FactorNotFound
from carekey.mfa.models import Factor, RecoveryCode

# The hottest reads (the factor list, every verify) by fixed statements: compiling the
# equivalent querysets was a sixth of a factor list's time (issue 18). Same rows, same
# order (Factor.Meta.ordering), model instances as before; every value is a parameter.
_VERIFIED_SQL = (
    'SELECT * FROM "mfa_factor" WHERE "user_id" = %s AND "status" = %s ORDER BY "created_at"'
)
_ONE_SQL = 'SELECT * FROM "mfa_factor" WHERE "id" = %s AND "user_id" = %s'
_LIVE_FACTORS_SQL = (
    'SELECT * FROM "mfa_factor" WHERE "user_id" = %s AND ("status" = %s OR "created_at" >= %s) '
    'ORDER BY "created_at"'
)


def verified_factors(user: User) -> list[Factor]:
    return list(Factor.objects.raw(_VERIFIED_SQL, [user.pk, Factor.Status.VERIFIED]))


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
    since = connection.ops.adapt_datetimefield_value(clock.now() - conf.enrollment_lifetime())
    return list(Factor.objects.raw(_LIVE_FACTORS_SQL, [user.pk, Factor.Status.VERIFIED, since]))


_LIVE_FACTORS_AND_CODES_SQL = (
    'SELECT "mfa_factor".*, (SELECT COUNT(*) FROM "mfa_recoverycode" WHERE "user_id" = %s) '
    'AS "carekey_codes_left" FROM "mfa_factor" '
    'WHERE "user_id" = %s AND ("status" = %s OR "created_at" >= %s) ORDER BY "created_at"'
)


def live_factors_and_codes_left(user: User) -> tuple[list[Factor], int]:
    """live_factors() and, on each row, remaining_recovery_codes(): the security page's
    two reads in one statement (issue 18).

    With no factor there is no row to carry the count, and it is 0; the page shows the
    count only while a factor is verified, and then there is a row. One statement also
    reads both in one snapshot.
    """
    since = connection.ops.adapt_datetimefield_value(clock.now() - conf.enrollment_lifetime())
    params = [user.pk, user.pk, Factor.Status.VERIFIED, since]
    factors = list(Factor.objects.raw(_LIVE_FACTORS_AND_CODES_SQL, params))
    return factors, int(getattr(factors[0], "carekey_codes_left", 0)) if factors else 0


def get_factor(user: User, factor_id: object) -> Factor:
    """The patient's own live factor; anything else is "not found", never "forbidden"."""
    try:
        key = Factor._meta.pk.get_db_prep_value(uuid.UUID(str(factor_id)), connection)
    except ValueError as exc:
        raise FactorNotFound() from exc
    found = list(Factor.objects.raw(_ONE_SQL, [key, user.pk]))
    if not found:
        raise FactorNotFound()
    factor = found[0]
    if not factor.is_verified and factor.created_at < clock.now() - conf.enrollment_lifetime():
        factor.delete()
        raise FactorNotFound()
    return factor


def remaining_recovery_codes(user: User) -> int:
    """Codes left (a used code's row is deleted), by a fixed statement (issue 18)."""
    table = connection.ops.quote_name(RecoveryCode._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT COUNT(*) FROM {table} WHERE "user_id" = %s', [user.pk])  # noqa: S608 - our table
        (count,) = cursor.fetchone()
    return int(count)
