"""Recovery codes: ten one-time codes, hashed at rest, replaced as a set.

A page shows a new set once, after a redirect (post/redirect/get, so that neither Back nor
a refresh posts again): until that display the codes wait in the session sealed with the
secrets' Fernet keys, never in clear, and for at most a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.fernet import InvalidToken
from django.contrib.sessions.backends.base import SessionBase
from django.db import transaction
from django.http import HttpRequest

from carekey import clock, notify
from carekey.accounts import session_state
from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.core import recovery
from carekey.mfa import vault
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


# Why a set was made, which the page that shows it says.
AFTER_APP = "app"  # the first verified factor is an authenticator app
AFTER_PASSKEY = "passkey"  # the first verified factor is a passkey
REPLACED = "replaced"  # "Generate new recovery codes": the old set no longer works
OCCASIONS = (AFTER_APP, AFTER_PASSKEY, REPLACED)
SHOW_WITHIN_SECONDS = 600  # held codes not shown by then are dropped unseen


@dataclass(frozen=True)
class CodesToShow:
    codes: list[str]
    occasion: str
    made_at: datetime


def hold_for_display(session: SessionBase, codes: list[str], occasion: str) -> None:
    """Keep a new set, sealed, for the one page that shows it after the redirect."""
    sealed = vault.seal("\n".join(codes))
    session_state.hold_codes_to_show(session, sealed, occasion, clock.timestamp())


def take_for_display(session: SessionBase) -> CodesToShow | None:
    """The held set, once: afterwards the session no longer has it."""
    held = session_state.pop_codes_to_show(session)
    if held is None:
        return None
    sealed, occasion, made_at = held
    if occasion not in OCCASIONS or clock.timestamp() - made_at > SHOW_WITHIN_SECONDS:
        return None
    try:
        codes = vault.unseal(sealed).split("\n")
    except InvalidToken:  # the keys changed since: the patient makes a new set
        return None
    return CodesToShow(codes, occasion, datetime.fromtimestamp(made_at, tz=UTC))
