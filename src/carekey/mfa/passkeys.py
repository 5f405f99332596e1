"""Passkeys (CONTRACT §6): options, registration, and proving a passkey.

The rules every factor shares (the cap, names, reauthentication before adding, recovery
codes with the first, what follows a change) are those of `factors`; a passkey adds its
challenge (in the database, bound to the session, used once, five minutes) and its
counter (a clone's counter goes backwards: refused and audited). What a proof opens
(sign-in, the verify step, reauthentication, unlock) is decided by the callers.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from carekey import clock, conf
from carekey.accounts import session_state as state
from carekey.accounts import sessions, throttle
from carekey.accounts.claims import claim_and_refund
from carekey.accounts.models import User
from carekey.audit.record import record
from carekey.client import client_ip
from carekey.core import passkeys as webauthn
from carekey.errors import StrOrPromise
from carekey.mfa import checks, errors
from carekey.mfa.factors import Verified, codes_after_new_factor, mark_verified
from carekey.mfa.models import Factor, Passkey, PasskeyChallenge
from carekey.mfa.names import choose_name
from carekey.mfa.passkey_kind import DEFAULT_NAME, TYPE
from carekey.mfa.queries import purge_expired_enrollments
from carekey.mfa.reauth import (
    mark_reauthenticated,
    needs_reauthentication,
    reauthenticated_until,
)
from carekey.mfa.reauth import require_reauthentication as _require_reauthentication

CHALLENGE_LIFETIME = timedelta(milliseconds=webauthn.TIMEOUT_MS)
OPEN_CHALLENGES_PER_SESSION = 5  # two tabs and a conditional-UI request fit; no more pile up
REGISTER = PasskeyChallenge.Purpose.REGISTER
AUTHENTICATE = PasskeyChallenge.Purpose.AUTHENTICATE
_REASON_TEXT: dict[str, StrOrPromise] = {"user_not_verified": errors.PASSKEY_NOT_VERIFIED}


class PasskeyNotChecked(errors.PasskeyVerificationFailed):
    """Refused before anything was checked (not a credential, no open challenge for it):
    like a malformed code, it counts in no throttle and no unlock count."""


@dataclass(frozen=True)
class PasskeyProof:
    user: User
    factor: Factor
    method: str  # RFC 8176: "hwk", or "swk" for a synced (backup-eligible) passkey


def relying_party() -> webauthn.RelyingParty:
    return webauthn.RelyingParty.from_url(conf.public_url(), conf.issuer())


def _binding(request: HttpRequest) -> str:
    return hashlib.sha256(state.passkey_binding(request.session).encode()).hexdigest()


def _issue(request: HttpRequest, purpose: str, user: User | None, user_handle: str = "") -> bytes:
    """A new challenge for this session; its oldest open ones beyond a few are dropped."""
    binding = _binding(request)
    older = PasskeyChallenge.objects.filter(binding=binding).order_by("-expires_at")
    stale = list(older.values_list("pk", flat=True)[OPEN_CHALLENGES_PER_SESSION - 1 :])
    if stale:
        PasskeyChallenge.objects.filter(pk__in=stale).delete()
    challenge = webauthn.new_challenge()
    PasskeyChallenge.objects.create(
        challenge=webauthn.encode(challenge),
        binding=binding,
        purpose=purpose,
        user=user,
        user_handle=user_handle,
        expires_at=clock.now() + CHALLENGE_LIFETIME,
    )
    return challenge


def _take(
    request: HttpRequest, credential: dict[str, Any], purpose: str, user: User | None
) -> PasskeyChallenge:
    """Claim the challenge this credential answers: this session's, for this purpose and
    patient, unexpired, and only once (the DELETE is the claim; a racing twin loses)."""
    try:
        answered = webauthn.encode(webauthn.challenge_of(credential))
    except webauthn.PasskeyRejected as exc:
        raise PasskeyNotChecked() from exc
    row = _delete_returning(answered, _binding(request), purpose, user)
    if row is None or row.expires_at <= clock.now():
        raise PasskeyNotChecked(errors.PASSKEY_EXPIRED)
    return row


_TAKE_SQL = (
    'DELETE FROM "mfa_passkeychallenge" WHERE "challenge" = %s AND "binding" = %s '
    'AND "purpose" = %s AND {user} RETURNING *'
)


def _delete_returning(
    challenge: str, binding: str, purpose: str, user: User | None
) -> PasskeyChallenge | None:
    """Delete the matching challenge and hand back what it held, in one statement (issue
    18: it was a read and a delete): of two racing requests only one gets the row."""
    who, params = ('"user_id" IS NULL', []) if user is None else ('"user_id" = %s', [user.pk])
    sql = _TAKE_SQL.format(user=who)
    taken = list(PasskeyChallenge.objects.raw(sql, [challenge, binding, purpose, *params]))
    return taken[0] if taken else None


def _parsed(raw: object) -> dict[str, Any]:
    try:
        return webauthn.parse(raw)
    except webauthn.PasskeyRejected as exc:
        raise PasskeyNotChecked() from exc


def purge_expired_challenges() -> int:
    deleted, _ = PasskeyChallenge.objects.filter(expires_at__lte=clock.now()).delete()
    return deleted


def registration_options(
    request: HttpRequest, user: User, friendly_name: str | None = None
) -> dict[str, Any]:
    """Options for "Create passkey"; the cap, the name and reauthentication are checked
    first, so the patient never makes a passkey that would then be refused."""
    if needs_reauthentication(request, user):
        _require_reauthentication(request)
    purge_expired_enrollments(user)  # abandoned app enrollments do not hold a place
    choose_name(user, friendly_name, max_factors=conf.max_factors(), default=DEFAULT_NAME)
    mine = list(
        Passkey.objects.filter(factor__user=user).values_list("user_handle", "credential_id")
    )
    # One user handle per patient (WebAuthn: one account, one handle), made with the first.
    handle = mine[0][0] if mine else webauthn.encode(secrets.token_bytes(32))
    challenge = _issue(request, REGISTER, user, handle)
    return webauthn.creation_options(
        relying_party(),
        challenge=challenge,
        user_handle=webauthn.decode(handle),
        user_name=user.email,
        display_name=user.name,
        exclude=[webauthn.decode(credential_id) for _, credential_id in mine],
    )


def register_passkey(
    request: HttpRequest, user: User, raw_credential: object, friendly_name: str | None = None
) -> Verified:
    """Store a passkey the browser just made: verified at once; a first factor brings codes."""
    if needs_reauthentication(request, user):
        _require_reauthentication(request)
    credential = _parsed(raw_credential)
    row = _take(request, credential, REGISTER, user)
    try:
        new = webauthn.verify_new(relying_party(), credential, webauthn.decode(row.challenge))
    except webauthn.PasskeyRejected as exc:
        raise errors.PasskeyVerificationFailed(_REASON_TEXT.get(exc.reason)) from exc
    factor = _store(user, new, row.user_handle, friendly_name)
    codes = mark_verified(user, factor)
    _mark_proved(request, _method(new.backup_eligible))
    sessions.set_level(request, "aal2")
    return Verified(factor, codes_after_new_factor(request, user, factor, codes))


def _store(
    user: User, new: webauthn.NewCredential, user_handle: str, friendly_name: str | None
) -> Factor:
    credential_id = webauthn.encode(new.credential_id)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).first()
        purge_expired_enrollments(user)  # under the lock: the cap counts live factors only
        name = choose_name(
            user, friendly_name, max_factors=conf.max_factors(), default=DEFAULT_NAME
        )
        try:
            with transaction.atomic():
                factor = Factor.objects.create(
                    user=user, friendly_name=name, factor_type=TYPE, secret_ciphertext=""
                )
                Passkey.objects.create(
                    factor=factor,
                    credential_id=credential_id,
                    user_handle=user_handle,
                    public_key=new.public_key,
                    sign_count=new.sign_count,
                    transports=new.transports,
                    aaguid=new.aaguid,
                    backup_eligible=new.backup_eligible,
                    backed_up=new.backed_up,
                )
        except IntegrityError as exc:
            if Passkey.objects.filter(credential_id=credential_id).exists():
                raise errors.PasskeyVerificationFailed(errors.PASSKEY_DUPLICATE) from exc
            raise errors.NameConflict() from exc
    return factor


def request_options(request: HttpRequest, user: User | None) -> dict[str, Any]:
    """Options for "Use a passkey" (the patient's own passkeys) or, signed out, for
    "Sign in with a passkey" (any passkey of this site: the browser lists them)."""
    allow: list[bytes] = []
    if user is not None:
        ids = Passkey.objects.filter(factor__user=user, factor__status=Factor.Status.VERIFIED)
        allow = [webauthn.decode(c) for c in ids.values_list("credential_id", flat=True)]
    challenge = _issue(request, AUTHENTICATE, user)
    return webauthn.request_options(relying_party(), challenge=challenge, allow=allow)


def has_passkey(user: User) -> bool:
    return Factor.objects.filter(
        user=user, factor_type=TYPE, status=Factor.Status.VERIFIED
    ).exists()


def prove(request: HttpRequest, raw_credential: object, *, user: User | None) -> PasskeyProof:
    """Check a passkey under the per-account throttle, auditing every outcome.

    `user` is the signed-in patient (the verify step, reauthentication, unlock), or None
    for "Sign in with a passkey", where the credential names the patient.
    """
    credential = _parsed(raw_credential)
    row = _take(request, credential, AUTHENTICATE, user)
    stored = _stored(credential)
    owner = stored.factor.user if stored is not None else None
    if stored is None or owner is None or not owner.is_active or (user and owner != user):
        _refuse_unknown(request, user)
    assert stored is not None and owner is not None
    attempt = checks.throttle_guard(request, owner)
    if stored.refused_as_copy_at is not None:
        checks.record_failure(request, owner, attempt)
        record(
            "mfa.challenge.failed", user=owner, request=request, method="passkey", reason="copied"
        )
        raise errors.PasskeyVerificationFailed(errors.PASSKEY_COPIED)
    try:
        if webauthn.user_handle_of(credential) not in (None, webauthn.decode(stored.user_handle)):
            raise webauthn.PasskeyRejected("wrong_user_handle")
        assertion = webauthn.verify_assertion(
            relying_party(), credential, webauthn.decode(row.challenge), bytes(stored.public_key)
        )
    except webauthn.PasskeyRejected as exc:
        checks.record_failure(request, owner, attempt)
        record(
            "mfa.challenge.failed", user=owner, request=request, method="passkey", reason=exc.reason
        )
        raise errors.PasskeyVerificationFailed(_REASON_TEXT.get(exc.reason)) from exc
    if not _claim_counter(stored, assertion, attempt):
        Passkey.objects.filter(pk=stored.pk).update(refused_as_copy_at=clock.now())
        checks.record_failure(request, owner, attempt)
        record(
            "mfa.passkey.counter_regressed",
            user=owner,
            request=request,
            factor_id=str(stored.factor_id),
            stored=stored.sign_count,
            received=assertion.sign_count,
        )
        raise errors.PasskeyVerificationFailed(errors.PASSKEY_COPIED)
    return PasskeyProof(owner, stored.factor, _method(stored.backup_eligible))


def _stored(credential: dict[str, Any]) -> Passkey | None:
    try:
        credential_id = webauthn.encode(webauthn.credential_id_of(credential))
    except webauthn.PasskeyRejected:
        return None
    verified = Passkey.objects.select_related("factor__user")
    return verified.filter(credential_id=credential_id, factor__status="verified").first()


def _refuse_unknown(request: HttpRequest, user: User | None) -> None:
    """A passkey of nobody here (or of someone else): counted like a wrong code, against
    the signed-in patient, or against the address when nobody is signed in."""
    if user is not None:
        checks.record_failure(request, user, checks.throttle_guard(request, user))
    else:
        throttle.reserve(throttle.key_for_ip(client_ip(request)), throttle.PER_IP).failed()
    record("mfa.challenge.failed", user=user, request=request, method="passkey", reason="unknown")
    raise errors.PasskeyVerificationFailed(errors.PASSKEY_UNKNOWN)


def _claim_counter(
    stored: Passkey, assertion: webauthn.Assertion, attempt: throttle.Attempt
) -> bool:
    """Record the new counter unless it went backwards; a conditional UPDATE, so two
    uses racing with the same counter cannot both pass. A claim that took effect also
    stamps the factor's last use and gives `attempt` back (one statement on PostgreSQL)."""
    if webauthn.counter_regressed(stored.sign_count, assertion.sign_count):
        return False
    rows = Passkey.objects.filter(pk=stored.pk)
    if assertion.sign_count > 0:
        rows = rows.filter(sign_count__lt=assertion.sign_count)
    now = clock.now()
    used = Factor.objects.filter(pk=stored.factor_id), {"last_used_at": now, "updated_at": now}
    counter = {"sign_count": assertion.sign_count, "backed_up": assertion.backed_up}
    if not claim_and_refund(rows, counter, attempt, then=[used]):
        return False
    stored.factor.last_used_at = now
    return True


def _method(backup_eligible: bool) -> str:
    return "swk" if backup_eligible else "hwk"


def _mark_proved(request: HttpRequest, method: str) -> None:
    """Five minutes for sensitive changes; the session's amr gains the key and "user"."""
    mark_reauthenticated(request, method=method)
    state.proved(request.session, "user", clock.timestamp())


def mark_proved(request: HttpRequest, proof: PasskeyProof) -> None:
    _mark_proved(request, proof.method)


def reauthenticate_with_passkey(request: HttpRequest, user: User, credential: object) -> datetime:
    """A passkey opens the same five minutes as a code."""
    proof = prove(request, credential, user=user)
    record(
        "mfa.challenge.succeeded",
        user=user,
        request=request,
        purpose="reauthenticate",
        method="passkey",
    )
    mark_proved(request, proof)
    until = reauthenticated_until(request)
    assert until is not None
    return until
