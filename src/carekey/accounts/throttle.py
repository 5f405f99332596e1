"""Throttling (CONTRACT §4, §7), with its state in the database.

Every check is *reserved* before it runs: one conditional upsert counts it as a failure
and takes the slot only while the key is not waiting, so among any number of concurrent
requests in any number of processes at most five are checked before the first wait and
at most one per wait after it. A success gives the reservation back (an account's count
returns to zero; a per-IP count loses just that one). Nothing is read and then written in
Python, so a race buys an attacker no extra guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.utils.translation import gettext as _

from carekey import clock, conf
from carekey.accounts.models import ThrottleState, normalize_email
from carekey.errors import CareKeyError

# Read once when the module loads (the Limit objects below are built from them); a host
# changes them with the CAREKEY_THROTTLE_* settings (carekey/conf.py).
FREE_FAILURES = int(conf.get("CAREKEY_THROTTLE_FREE_FAILURES"))
FIRST_WAIT_SECONDS = int(conf.get("CAREKEY_THROTTLE_FIRST_WAIT_SECONDS"))
MAX_WAIT_SECONDS = int(conf.get("CAREKEY_THROTTLE_MAX_WAIT_SECONDS"))
# NIST SP 800-63B: after this many consecutive failed codes, codes stop working until the
# patient proves themselves another way (a recovery code) or staff reset the factor.
CODE_HARD_STOP = int(conf.get("CAREKEY_CODE_HARD_STOP"))
_NEVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limit:
    """How a key is throttled: free failures, the doubling wait, and optional extras."""

    free_failures: int = FREE_FAILURES
    first_wait: int = FIRST_WAIT_SECONDS
    max_wait: int = MAX_WAIT_SECONDS
    hard_stop: int | None = None  # refuse for good at this many consecutive failures
    forget_after: int | None = None  # seconds of quiet after which the count restarts
    reset_on_success: bool = True  # False: a success gives back only its own reservation

    def wait_after(self, failures: int) -> int:
        """Seconds to wait after `failures` consecutive failures (0 while under the limit)."""
        if failures < self.free_failures:
            return 0
        doublings = min(failures - self.free_failures, 10)
        return int(min(self.first_wait * 2**doublings, self.max_wait))


ACCOUNT = Limit()
CODES = Limit(hard_stop=CODE_HARD_STOP)
# Sign-in attempts from one address across accounts: generous for a clinic's shared
# network, tight enough that random emails cannot burn CPU on password hashes unthrottled.
PER_IP = Limit(free_failures=30, forget_after=3600, reset_on_success=False)

# "Send reset link": at most this many links per account an hour (CONTRACT §7), and this
# many requests from one address an hour across accounts.
RESET_LINKS = Limit(
    free_failures=int(conf.get("CAREKEY_PASSWORD_RESET_LINKS_PER_HOUR")),
    first_wait=3600,
    max_wait=3600,
    forget_after=3600,
    reset_on_success=False,
)
RESET_REQUESTS_PER_IP = Limit(
    free_failures=int(conf.get("CAREKEY_PASSWORD_RESET_REQUESTS_PER_IP")),
    first_wait=3600,
    max_wait=3600,
    forget_after=3600,
    reset_on_success=False,
)


class Throttled(CareKeyError):
    """Refused without checking: the key is waiting out earlier failures."""

    code = "too_many_attempts"
    status = 429
    retry_after: int

    def __init__(self, retry_after: int, refusals: int = 1, key: str = "") -> None:
        text = _("Too many attempts. Try again in %(n)s seconds.") % {"n": retry_after}
        super().__init__(text, retry_after=retry_after)
        self.refusals = refusals  # refusals in this wait window, this one included
        self.key = key


class CodesStopped(Throttled):
    """Codes refused for good after CODE_HARD_STOP consecutive failures."""

    def __init__(self, refusals: int = 1, key: str = "") -> None:
        super().__init__(MAX_WAIT_SECONDS, refusals, key)
        self.message = _(
            "Codes from your authenticator app are turned off after too many wrong "
            "attempts. Use a recovery code, or ask the support desk to reset it."
        )
        self.args = (self.message,)


def wait_after(failures: int) -> int:
    return ACCOUNT.wait_after(failures)


def key_for_user(user_id: int) -> str:
    """The account's count of failed codes, recovery codes and unlocks."""
    return f"user:{user_id}"


def key_for_password(user_id: int) -> str:
    """Failed passwords for this account from browsers it does not know (no device cookie)."""
    return f"password:{user_id}"


def key_for_device(nonce: str) -> str:
    """Failed passwords from one browser that signed in to the account before."""
    return f"device:{nonce[:64]}"


def key_for_unknown_email(email: str) -> str:
    return f"email:{normalize_email(email)[:254]}"


def key_for_ip(address: str | None) -> str:
    return f"ip:{address or 'unknown'}"


def key_for_reset_links(user_id: int) -> str:
    """Reset links sent to this account: each sending counts, none is given back."""
    return f"reset:{user_id}"


def key_for_reset_ip(address: str | None) -> str:
    """Reset requests and reset-link submissions from one address."""
    return f"reset-ip:{address or 'unknown'}"


@dataclass(frozen=True)
class Attempt:
    """One reserved check; the reservation already counts as a failure."""

    key: str
    limit: Limit
    failures: int  # the count with this attempt's reservation included

    def failed(self) -> int:
        """The check failed: the reservation stands. Returns the wait it imposed."""
        return self.limit.wait_after(self.failures)

    def succeeded(self) -> None:
        """The check passed: give the reservation back."""
        if self.limit.reset_on_success:
            ThrottleState.objects.filter(key=self.key).update(
                failures=0, blocked_until=None, refused=0, updated_at=clock.now()
            )
        else:
            _refund_one(self.key, self.limit)


def _adapt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


_T = '"accounts_throttlestate"'
# Constant text: every value is a parameter. {new} and {wait} are expressions built from
# constant text too (see _reserve_statement).
_RESERVE_SQL = """
INSERT INTO "accounts_throttlestate" ("key", "failures", "blocked_until", "updated_at", "refused")
VALUES (%s, 1, %s, %s, 0)
ON CONFLICT ("key") DO UPDATE SET
  "failures" = {new},
  "blocked_until" = {wait},
  "updated_at" = excluded."updated_at",
  "refused" = 0,
  "refusal_event_id" = NULL
WHERE ("accounts_throttlestate"."blocked_until" IS NULL
       OR "accounts_throttlestate"."blocked_until" <= %s)
  AND "accounts_throttlestate"."failures" < %s
RETURNING "failures"
"""


def _reserve_statement(key: str, limit: Limit, now: datetime) -> tuple[str, list[Any]]:
    """The upsert and its parameters, in the order of their placeholders.

    The wait each possible new count imposes is computed here, because SQLite and
    PostgreSQL share no date arithmetic; past the listed counts the wait is the longest.
    """
    forget = _adapt(now - timedelta(seconds=limit.forget_after) if limit.forget_after else _NEVER)
    new = f'(CASE WHEN {_T}."updated_at" < %s THEN 1 ELSE {_T}."failures" + 1 END)'
    cases, case_params = [], []
    for failures in range(limit.free_failures, limit.free_failures + 6):
        cases.append(f"WHEN {new} = %s THEN %s")
        until = now + timedelta(seconds=limit.wait_after(failures))
        case_params += [forget, failures, _adapt(until)]
    wait = f"(CASE WHEN {new} < %s THEN NULL {' '.join(cases)} ELSE %s END)"
    first_wait = limit.wait_after(1)
    params = [
        key,
        _adapt(now + timedelta(seconds=first_wait)) if first_wait else None,
        _adapt(now),
        forget,  # SET "failures" = new
        forget,  # the wait's first test of new
        limit.free_failures,
        *case_params,
        _adapt(now + timedelta(seconds=limit.max_wait)),
        _adapt(now),  # WHERE not waiting
        limit.hard_stop if limit.hard_stop is not None else 2**31 - 1,
    ]
    return _RESERVE_SQL.format(new=new, wait=wait), params


def reserve(key: str, limit: Limit = ACCOUNT) -> Attempt:
    """Take a slot for one check, or raise Throttled (CodesStopped) without checking."""
    now = clock.now()
    sql, params = _reserve_statement(key, limit, now)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        return Attempt(key, limit, int(row[0]))
    raise _refusal(key, limit, now)


_REFUSE_SQL = (
    'UPDATE "accounts_throttlestate" SET "refused" = "refused" + 1 WHERE "key" = %s '
    'RETURNING "refused", "blocked_until", "failures"'
)


def _refusal(key: str, limit: Limit, now: datetime) -> Throttled:
    """Count the refusal (for one audit event per wait window) and say how long to wait."""
    with connection.cursor() as cursor:
        cursor.execute(_REFUSE_SQL, [key])
        row = cursor.fetchone()
    if row is None:  # the row vanished (purge) between the two statements: just retry later
        return Throttled(1, 1, key)
    refused, blocked_until, failures = row
    if isinstance(blocked_until, str):  # SQLite hands back text from RETURNING
        blocked_until = datetime.fromisoformat(blocked_until)
    if blocked_until is not None and blocked_until.tzinfo is None:
        blocked_until = blocked_until.replace(tzinfo=UTC)
    if blocked_until is not None and blocked_until > now:
        return Throttled(max(1, math.ceil((blocked_until - now).total_seconds())), refused, key)
    if limit.hard_stop is not None and failures >= limit.hard_stop:
        return CodesStopped(refused, key)
    return Throttled(1, refused, key)


def refund(attempt: Attempt) -> None:
    """Give back a reservation whose check never ran."""
    _refund_one(attempt.key, attempt.limit)


_REFUND_SQL = """
UPDATE "accounts_throttlestate"
SET "failures" = CASE WHEN "failures" > 0 THEN "failures" - 1 ELSE 0 END,
    "blocked_until" = CASE WHEN "failures" - 1 < %s THEN NULL ELSE "blocked_until" END
WHERE "key" = %s
"""


def _refund_one(key: str, limit: Limit) -> None:
    """Give back one reservation, lifting the wait it may have started."""
    with connection.cursor() as cursor:
        cursor.execute(
            _REFUND_SQL,
            [limit.free_failures, key],
        )


def remember_refusal_event(key: str, event_id: int) -> None:
    ThrottleState.objects.filter(key=key).update(refusal_event_id=event_id)


def refusal_event_id(key: str) -> int | None:
    value = ThrottleState.objects.filter(key=key).values_list("refusal_event_id", flat=True)
    return next(iter(value), None)


def forget(key: str) -> None:
    """Staff reset or a proven recovery: the key starts from nothing."""
    ThrottleState.objects.filter(key=key).delete()


def purge_stale(now: datetime | None = None) -> int:
    """Delete rows quiet for a day that carry nothing to remember.

    An account's code count is kept while it holds failures: the hard stop after 100
    consecutive failures must not lift by itself.
    """
    cutoff = (now or clock.now()) - timedelta(days=1)
    stale = ThrottleState.objects.filter(updated_at__lt=cutoff).exclude(
        blocked_until__gt=now or clock.now()
    )
    stale = stale.exclude(key__startswith="user:", failures__gt=0)
    deleted, _ = stale.delete()
    return deleted
