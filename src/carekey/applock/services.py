"""App-lock rules: preferences, locking an idle session, unlocking it (CONTRACT §4).

The lock lives in the session row in the database, so every server agrees; the browser's
timer only makes the lock visible sooner.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import NoReturn

from django.contrib.auth import logout
from django.http import HttpRequest
from django.utils.text import get_text_list
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from carekey import clock, conf, refusal_log
from carekey.accounts import session_state as state
from carekey.accounts import throttle
from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from carekey.audit.record import record
from carekey.errors import CareKeyError
from carekey.mfa import checks, passkeys
from carekey.mfa.errors import MfaError, PasskeyVerificationFailed, VerificationFailed
from carekey.mfa.services import has_verified_factor, verified_factors
from carekey.password.rules import MAX_LENGTH
from carekey.policy import models as policy

MAX_UNLOCK_FAILURES = 5
# Unlock attempts of one locked session, counted in the database (parallel requests each
# saving their own copy of the session overwrote a count kept in session data): the
# sixth reservation is refused and the session signed out.
UNLOCK_ATTEMPTS = throttle.Limit(free_failures=10**6, hard_stop=MAX_UNLOCK_FAILURES)


class InvalidPreference(CareKeyError):
    """A preference the patient cannot have; the message says why."""

    code = "validation_error"
    status = 422


class SignedOutAfterFailures(CareKeyError):
    """Five wrong unlock attempts: the session is over."""

    code = "not_authenticated"
    status = 401
    default = gettext_lazy("Too many wrong attempts. You have been signed out.")


@dataclass(frozen=True)
class Preferences:
    enabled: bool
    timeout_minutes: int
    unlock_method: str


_ROW_MEMO = "_carekey_app_lock_row"
SHORTEST_LOCK_SECONDS = 60


# A fixed statement (issue 18): compiling `.filter(user=…).first()` cost more than its
# round trip on the security page.
_PREFERENCE_SQL = 'SELECT * FROM "applock_applockpreference" WHERE "user_id" = %s'


def _stored(user: User) -> AppLockPreference:
    """The patient's row (or the defaults), read once per request.

    The gate, the layout's timer and the security page all ask; the user object lives for
    one request, so remembering the row on it spares two identical queries per page.
    """
    row = getattr(user, _ROW_MEMO, None)
    if row is None:
        found = list(AppLockPreference.objects.raw(_PREFERENCE_SQL, [user.pk]))
        row = found[0] if found else AppLockPreference(user=user)
        setattr(user, _ROW_MEMO, row)
    return row


def preferences(user: User, *, mfa_on: bool | None = None) -> Preferences:
    """The stored choice within the organisation's policy; "code" falls back to "password"
    once no factor is left."""
    org = policy.current()
    row = _stored(user)
    method = row.unlock_method
    if method == "code" and not (has_verified_factor(user) if mfa_on is None else mfa_on):
        method = "password"
    minutes = min(row.timeout_minutes, max(minute_choices()))
    return Preferences(row.enabled or org.require_app_lock, minutes, method)


def offered_lock_minutes() -> tuple[int, ...]:
    """The lock-delay rule (CONTRACT §2): each of CAREKEY_LOCK_MINUTES is offered only while
    shorter than the idle sign-out, or the session would end before it could lock.

    The page's "Lock after" list, the API's check, its OpenAPI enum and the refusal's
    sentence all come from here, so they cannot disagree.
    """
    idle = conf.idle_timeout_minutes()
    offered = tuple(m for m in conf.lock_minutes() if m < idle)
    return offered or conf.lock_minutes()[:1]


def lock_minutes_rule() -> str:
    """The rule as one sentence: the refusal of any other delay, and the API's description."""
    offered = offered_lock_minutes()
    sentence = ngettext(
        "Choose a lock delay of %(choices)s minute: it must be shorter than the "
        "%(idle)s-minute idle sign-out.",
        "Choose a lock delay of %(choices)s minutes: it must be shorter than the "
        "%(idle)s-minute idle sign-out.",
        offered[-1],
    )
    choices = get_text_list([str(m) for m in offered])  # "1, 2, 5, 10 or 15" in any language
    return sentence % {"choices": choices, "idle": conf.idle_timeout_minutes()}


def minute_choices() -> list[int]:
    """The delays this patient may pick: the rule's, within the policy's maximum."""
    offered = offered_lock_minutes()
    org_max = policy.current().max_app_lock_minutes
    return [m for m in offered if m <= org_max] or [offered[0]]


def lock_minutes_refusal(minutes: object) -> str | None:
    """Why a lock delay cannot be chosen, in the patient's words; None when it can."""
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        return lock_minutes_rule()
    if minutes not in offered_lock_minutes():
        return lock_minutes_rule()
    if minutes not in minute_choices():
        return _("Your organisation allows a lock delay of at most %(n)s minutes.") % {
            "n": policy.current().max_app_lock_minutes
        }
    return None


def lock_seconds(user: User) -> int | None:
    """How long this patient's sessions may sit idle before they lock; None if never."""
    row = _stored(user)
    enabled, minutes = row.enabled, row.timeout_minutes
    if not enabled and not policy.current().require_app_lock:
        return None
    return min(minutes, max(minute_choices())) * 60


def validate(user: User, enabled: object, minutes: object, method: object) -> Preferences:
    if not isinstance(enabled, bool):
        raise InvalidPreference(_("Choose whether the portal locks: true or false."))
    refusal = lock_minutes_refusal(minutes)
    if refusal is not None:
        raise InvalidPreference(refusal)
    assert isinstance(minutes, int)  # lock_minutes_refusal refuses anything else
    org = policy.current()
    if org.require_app_lock and not enabled:
        raise InvalidPreference(_("Your organisation requires app lock; it cannot be turned off."))
    if method not in ("code", "password"):
        raise InvalidPreference(_("Choose how to unlock: with an authenticator code or password."))
    if method == "code" and not has_verified_factor(user):
        raise InvalidPreference(
            _("Unlocking with an authenticator code needs two-step verification turned on.")
        )
    return Preferences(enabled, minutes, str(method))


def update(
    request: HttpRequest, user: User, enabled: object, minutes: object, method: object
) -> Preferences:
    chosen = validate(user, enabled, minutes, method)
    row, _created = AppLockPreference.objects.update_or_create(
        user=user,
        defaults={
            "enabled": chosen.enabled,
            "timeout_minutes": chosen.timeout_minutes,
            "unlock_method": chosen.unlock_method,
            "updated_at": clock.now(),
        },
    )
    setattr(user, _ROW_MEMO, row)
    record(
        "app_lock.updated",
        user=user,
        request=request,
        enabled=chosen.enabled,
        timeout_minutes=chosen.timeout_minutes,
        unlock_method=chosen.unlock_method,
    )
    return chosen


def is_locked(request: HttpRequest) -> bool:
    return state.is_locked(request.session)


def lock(request: HttpRequest, reason: str) -> None:
    if is_locked(request):
        return
    state.lock(request.session, secrets.token_urlsafe(16))
    record("session.locked", user=request.user, request=request, reason=reason)


def lock_if_idle(request: HttpRequest, user: User, now: float) -> bool:
    """Lock the session when its last activity is older than the patient's delay.

    Within a minute (no delay is shorter: delays are whole minutes, 1 the least offered)
    nothing can be due, so the patient's choice is not even read: a query saved on almost
    every request, with nothing cached that could go stale.
    """
    if is_locked(request):
        return True
    idle = now - state.last_active(request.session, now)
    if idle <= SHORTEST_LOCK_SECONDS:
        return False
    limit = lock_seconds(user)
    if limit is None or idle <= limit:
        return False
    lock(request, "idle")
    return True


def unlock(
    request: HttpRequest,
    user: User,
    *,
    code: str | None = None,
    password: str | None = None,
) -> None:
    """Check a code or password (by preference) under the shared throttle; rotate the id.
    (A passkey unlocks through `unlock_with_passkey`.)

    The attempt is reserved in this lock's own count first, so however many arrive at
    once, at most five are checked before the session is signed out.
    """
    if not is_locked(request):
        return
    method = preferences(user).unlock_method
    if method == "code" and code is None:
        raise VerificationFailed(_("Enter the 6-digit code from your authenticator app."))
    if method == "password" and password is None:
        raise VerificationFailed(_("Enter your password."))
    _unlock(request, user, method, (code, password, None))


def unlock_with_passkey(request: HttpRequest, user: User, credential: object) -> None:
    """Unlock with a passkey, whatever the preference. Whatever the API body held (null
    included) is a credential to check and refuse in passkey words, not a missing code."""
    if is_locked(request):
        _unlock(request, user, "passkey", (None, None, credential))


def _unlock(
    request: HttpRequest, user: User, method: str, proof: tuple[str | None, str | None, object]
) -> None:
    key = f"unlock:{state.unlock_id(request.session)}"
    try:
        slot = throttle.reserve(key, UNLOCK_ATTEMPTS)
    except throttle.Throttled:
        _sign_out(request)
    _check_unlock(request, user, method, proof, slot)
    throttle.forget(key)
    state.clear_lock(request.session)
    state.mark_active(request.session, clock.timestamp())
    request.session.cycle_key()
    record("session.unlocked", user=user, request=request, method=method)


def _check_unlock(
    request: HttpRequest,
    user: User,
    method: str,
    proof: tuple[str | None, str | None, object],
    slot: throttle.Attempt,
) -> None:
    """Check the code, password or passkey (a passkey always unlocks: it is the strongest)."""
    code, password, passkey = proof
    try:
        if method == "passkey":
            passkeys.prove(request, passkey, user=user)
        elif method == "code":
            checks.prove(request, user, verified_factors(user), code=code)
        else:
            _check_password(request, user, password or "")
    except (throttle.Throttled, passkeys.PasskeyNotChecked):  # nothing was checked
        throttle.refund(slot)
        raise
    except (VerificationFailed, PasskeyVerificationFailed):
        if slot.failures >= MAX_UNLOCK_FAILURES:
            _sign_out(request)
        raise
    except MfaError:  # malformed: nothing was checked
        throttle.refund(slot)
        raise


def _check_password(request: HttpRequest, user: User, password: str) -> None:
    attempt = checks.throttle_guard(request, user)
    if len(password) > MAX_LENGTH or not user.check_password(password):
        refusal_log.note(request, refusal_log.WRONG_PASSWORD)
        attempt.failed()
        raise VerificationFailed(_("That password is not right."))
    attempt.succeeded()


def _sign_out(request: HttpRequest) -> NoReturn:
    logout(request)
    raise SignedOutAfterFailures()
