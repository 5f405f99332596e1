"""Bench patients, their sessions and the lines of the load generator's pools.

Imported by bench/dbtool.py after django.setup(), like the other dbtool modules.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth.hashers import make_password
from django.middleware.csrf import _get_new_csrf_string
from django.test import RequestFactory

from carekey import clock
from carekey.accounts import sessions
from carekey.accounts.models import PortalSession, ThrottleState, User
from carekey.accounts.session_store import SessionStore
from carekey.audit.events import EventType
from carekey.audit.models import SecurityEvent
from carekey.core import recovery, totp
from carekey.mfa import vault
from carekey.mfa.models import Factor, RecoveryCode

PASSWORD = "bench-password-not-secret-42"
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36"
)
BENCH_DOMAIN = "bench.example.org"
# Pools carry codes for this many 30 s steps from their creation: they are spent within minutes.
CODE_STEPS = 40
# The kinds of audit event the seed and the bench patients carry, in this order.
EVENT_TYPES = (
    EventType.SIGNIN_SUCCEEDED,
    EventType.CHALLENGE_SUCCEEDED,
    EventType.SIGNIN_FAILED,
    EventType.CHALLENGE_FAILED,
    EventType.FACTOR_ENROLLED,
    EventType.FACTOR_VERIFIED,
    EventType.RECOVERY_CODES_GENERATED,
    EventType.APP_LOCK_UPDATED,
)


def cleanup() -> dict[str, int]:
    """Remove what earlier bench runs added, so a reused database stays as it was seeded."""
    users = User.objects.filter(email__endswith=f"@{BENCH_DOMAIN}")
    ids = list(users.values_list("id", flat=True))
    events, _ = SecurityEvent.objects.filter(user_id__in=ids).delete()
    ThrottleState.objects.filter(key__in=[f"user:{i}" for i in ids]).delete()
    PortalSession.objects.filter(user_id__in=ids).delete()
    deleted, _ = users.delete()
    return {"patients": len(ids), "events": events, "rows": deleted}


def open_session(user: User, level: str) -> str:
    """A session exactly as sign-in leaves it, without paying Argon2 for each one.

    `level` is "aal1" (no factor yet), "await" (password given, code owed) or "aal2".
    """
    request = RequestFactory().post("/api/v1/session", HTTP_USER_AGENT=UA, REMOTE_ADDR="127.0.0.1")
    request.session = SessionStore()
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    sessions.start(request, next_level="aal1" if level == "aal1" else "aal2")
    if level == "aal2":
        sessions.set_level(request, "aal2")
    request.session.save()
    key = request.session.session_key
    assert key is not None
    return key


class Pool:
    """Lines for bench/pool.lua: method, path, cookie, CSRF token, body, first step, codes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(
        self,
        method: str,
        url: str,
        session_key: str,
        body: str = "",
        codes_for: str | None = None,
    ) -> None:
        csrf = _get_new_csrf_string()
        cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
        step0 = totp.step_at(time.time())
        codes = (
            ",".join(totp.code_at_step(codes_for, step0 + i) for i in range(CODE_STEPS))
            if codes_for
            else ""
        )
        self.lines.append("\t".join([method, url, cookie, csrf, body, str(step0), codes]))

    def write(self) -> None:
        self.path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def make_patients(tag: str, count: int) -> list[User]:
    password_hash = make_password(PASSWORD)
    users = [
        User(email=f"{tag}-{i}-{secrets.token_hex(3)}@{BENCH_DOMAIN}", password=password_hash)
        for i in range(count)
    ]
    for user in users:
        user.name = "Bench Patient"
    return User.objects.bulk_create(users)


def add_factors(users: list[User], status: str, name: str = "Authenticator app") -> list[str]:
    """One factor per patient; returns the secrets in the same order."""
    secret_list = [totp.generate_secret() for _ in users]
    now = clock.now()
    Factor.objects.bulk_create(
        Factor(
            user=user,
            friendly_name=name,
            status=status,
            secret_ciphertext=vault.seal(secret),
            # A verified factor was last used well before the pool's codes.
            last_accepted_step=totp.step_at(time.time()) - 10 if status == "verified" else None,
            created_at=now,
            updated_at=now,
        )
        for user, secret in zip(users, secret_list, strict=True)
    )
    return secret_list


def add_recovery_codes(users: list[User]) -> None:
    code_hash = recovery.hash_code(recovery.normalize(recovery.generate_codes(1)[0]))
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=code_hash) for user in users for _ in range(10)
    )


def add_events(users: list[User], per_user: int) -> None:
    now = clock.now()
    SecurityEvent.objects.bulk_create(
        (
            SecurityEvent(
                type=EVENT_TYPES[i % len(EVENT_TYPES)],
                user=user,
                created_at=now - timedelta(hours=i + 1),
                ip="203.0.113.9",
                user_agent=UA,
                detail={"bench": True},
            )
            for user in users
            for i in range(per_user)
        ),
        batch_size=2000,
    )


def factor_ids(users: list[User], status: str) -> list[str]:
    by_user = dict(
        Factor.objects.filter(user__in=users, status=status).values_list("user_id", "id")
    )
    return [str(by_user[user.pk]) for user in users]
