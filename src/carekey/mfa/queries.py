"""Reading a patient's factors and recovery codes: no side effects beyond expiring
abandoned enrollments (which are invisible anyway)."""

from __future__ import annotations

import uuid

from django.db.models import Q

from carekey import clock, conf
from carekey.accounts.models import User
from carekey.mfa.errors import FactorNotFound
from carekey.mfa.models import Factor, RecoveryCode


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


def remaining_recovery_codes(user: User) -> int:
    return RecoveryCode.objects.filter(user=user).count()
