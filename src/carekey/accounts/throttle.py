"""Per-account throttling (CONTRACT §4), with its state in the database.

Five consecutive failures are free; after the fifth, every attempt is refused unchecked
until a wait has passed: 30 s, doubling with each further failure, at most 15 minutes.
A success resets the count. Every process and machine sees the same row, so the limit
holds however requests are spread.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils.translation import gettext as _

from carekey import clock
from carekey.accounts.models import ThrottleState, normalize_email

FREE_FAILURES = 5
FIRST_WAIT_SECONDS = 30
MAX_WAIT_SECONDS = 15 * 60


class Throttled(Exception):
    """Refused without checking: the account is waiting out earlier failures."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(_("Too many attempts. Try again in %(n)s seconds.") % {"n": retry_after})
        self.retry_after = retry_after


def wait_after(failures: int) -> int:
    """Seconds to wait after `failures` consecutive failures (0 while under the limit)."""
    if failures < FREE_FAILURES:
        return 0
    doublings = min(failures - FREE_FAILURES, 10)
    return int(min(FIRST_WAIT_SECONDS * 2**doublings, MAX_WAIT_SECONDS))


def key_for_user(user_id: int) -> str:
    """The account's count of failed codes, recovery codes and unlocks."""
    return f"user:{user_id}"


def key_for_password(user_id: int) -> str:
    """The account's count of failed passwords, which gates the password step.

    Wrong passwords count here and in the code count; a correct password resets only
    this one, or whoever knows the password would earn five fresh code guesses with
    every sign-in.
    """
    return f"password:{user_id}"


def key_for_unknown_email(email: str) -> str:
    return f"email:{normalize_email(email)[:254]}"


@dataclass(frozen=True)
class Attempt:
    """One check under the throttle, begun by `begin`; record its outcome on it."""

    key: str
    failures_before: int

    def failed(self) -> int:
        return record_failure(self.key)

    def succeeded(self) -> None:
        """Reset the count, skipping the write when there was none to reset.

        A failure recorded by a concurrent request after `begin` then survives this
        success: stricter, never looser, than resetting.
        """
        if self.failures_before:
            record_success(self.key)


def begin(key: str) -> Attempt:
    """Raise Throttled while the key is waiting; else start an attempt. One read."""
    row = ThrottleState.objects.filter(key=key).values_list("blocked_until", "failures").first()
    blocked_until, failures = row if row is not None else (None, 0)
    now = clock.now()
    if blocked_until is not None and blocked_until > now:
        raise Throttled(max(1, math.ceil((blocked_until - now).total_seconds())))
    return Attempt(key, failures)


_COUNT_FAILURE_SQL = (
    'INSERT INTO "accounts_throttlestate" ("key", "failures", "blocked_until", "updated_at") '
    "VALUES (%s, 1, NULL, %s) "
    'ON CONFLICT ("key") DO UPDATE SET "failures" = "accounts_throttlestate"."failures" + 1, '
    '"updated_at" = excluded."updated_at" RETURNING "failures"'
)


def _count_failure(key: str, now: datetime) -> int:
    """Add one failure in one statement (an upsert), returning the new count.

    One round trip instead of a get-or-create, an update and a read: this runs on every
    wrong code. The ORM has no increment-on-conflict, so it is plain SQL that SQLite
    (3.35+) and PostgreSQL both speak.
    """
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_FAILURE_SQL, [key, at])
        (failures,) = cursor.fetchone()
    return int(failures)


def record_failure(key: str) -> int:
    """Count one failure atomically; return the wait it imposes (0 if none)."""
    now = clock.now()
    wait = wait_after(_count_failure(key, now))  # the upsert is atomic on its own
    if wait:
        ThrottleState.objects.filter(key=key).update(blocked_until=now + timedelta(seconds=wait))
    return wait


def record_success(key: str) -> None:
    ThrottleState.objects.filter(key=key).exclude(failures=0, blocked_until=None).update(
        failures=0, blocked_until=None, updated_at=clock.now()
    )
