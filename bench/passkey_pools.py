"""The pool of "Sign in with a passkey" (POST /api/v1/session/passkey): one line per
patient, each a browser session holding an open challenge and the authenticator's signed
answer to it, so the measured call is the verification alone.

The passkeys are stored as registration leaves them (public key, counter 0, a user
handle); the challenges are issued by the product's own request_options, bound to each
session as the options call binds them. They live five minutes (CONTRACT §6): the harness
measures this call early in each round, within a minute or two of making the pool. The
signatures come from the tests' software authenticator (tests/passkey_authenticator.py).

Imported by bench/dbtool.py after django.setup().
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from patients import UA, Pool, add_recovery_codes, make_patients

from carekey import clock
from carekey.accounts.session_store import SessionStore
from carekey.core import passkeys as webauthn
from carekey.mfa import passkeys
from carekey.mfa.models import Factor, Passkey
from carekey.mfa.passkey_kind import DEFAULT_NAME, TYPE

# The repository root, for the tests' software authenticator (bench/ is on the path).
sys.path.append(str(Path(__file__).resolve().parent.parent))
from tests.passkey_authenticator import SoftPasskey

SIGN_IN_URL = "/api/v1/session/passkey"


def _store(keys: list[SoftPasskey], users: list[Any]) -> None:
    """A verified passkey factor per patient, as registration leaves it."""
    now = clock.now()
    factors = Factor.objects.bulk_create(
        Factor(
            user=user,
            friendly_name=DEFAULT_NAME,
            factor_type=TYPE,
            status=Factor.Status.VERIFIED,
            secret_ciphertext="",
            created_at=now,
            updated_at=now,
        )
        for user in users
    )
    Passkey.objects.bulk_create(
        Passkey(
            factor=factor,
            credential_id=webauthn.encode(key.credential_id),
            user_handle=webauthn.encode(key.user_handle),
            public_key=key._cose_public_key(),
            sign_count=0,
            transports=["internal"],
        )
        for factor, key in zip(factors, keys, strict=True)
    )


def _signed_answer(key: SoftPasskey) -> tuple[str, str]:
    """A signed-out browser session that asked for options, and the authenticator's
    answer to them: (session key, request body)."""
    request = RequestFactory().post(
        "/api/v1/session/passkey/options", HTTP_USER_AGENT=UA, REMOTE_ADDR="127.0.0.1"
    )
    request.session = SessionStore()
    request.user = AnonymousUser()
    options = passkeys.request_options(request, None)
    request.session.save()
    session_key = request.session.session_key
    assert session_key is not None
    return session_key, json.dumps({"credential": key.get(options)})


def prepare_passkey_sign_in(out: Path, count: int) -> dict[str, Any]:
    rp = passkeys.relying_party()
    users = make_patients("passkey", count)
    keys = [
        SoftPasskey(rp_id=rp.id, origin=rp.origin, user_handle=secrets.token_bytes(32))
        for _ in users
    ]
    _store(keys, users)
    add_recovery_codes(users)
    pool = Pool(out / "passkey_sign_in.tsv")
    for key in keys:
        session_key, body = _signed_answer(key)
        pool.add("POST", SIGN_IN_URL, session_key, body)
    pool.write()
    return {"patients": count, "requests": count}
