"""Recovery codes: ten one-time codes, hashed at rest, replaced as a set."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from carekey import notify
from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.core import recovery
from carekey.mfa.aftermath import after_security_change
from carekey.mfa.errors import NoVerifiedFactor
from carekey.mfa.models import RecoveryCode
from carekey.mfa.queries import has_verified_factor
from carekey.mfa.reauth import require_reauthentication


def new_recovery_codes() -> tuple[list[str], list[str]]:
    """Fresh codes and their hashes, hashed before any transaction opens (hashing is slow)."""
    codes = recovery.generate_codes()
    return codes, [recovery.hash_code(recovery.normalize(code)) for code in codes]


def store_recovery_codes(user: User, hashes: list[str]) -> None:
    """Void the old set and store the new one; call it inside a transaction."""
    RecoveryCode.objects.filter(user=user).delete()
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=h) for h in hashes)


def _replace_recovery_codes(user: User) -> list[str]:
    codes, hashes = new_recovery_codes()
    with transaction.atomic():  # all or nothing: never a patient left without codes
        store_recovery_codes(user, hashes)
    return codes


def generate_recovery_codes(request: HttpRequest, user: User) -> list[str]:
    """A new set of ten, voiding the old; needs a verified factor and reauthentication."""
    if not has_verified_factor(user):
        raise NoVerifiedFactor()
    require_reauthentication(request)
    codes = _replace_recovery_codes(user)
    after_security_change(request, user)
    record("recovery_codes.generated", user=user, request=request, count=len(codes))
    notify.send("recovery_codes_generated", user, request)
    return codes
