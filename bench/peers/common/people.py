"""A peer's bench users, their sessions, and the lines of bench/pool.lua's pools.

The pool format is CareKey's (bench/patients.py): method, path, Cookie, X-CSRFToken, body,
first 30 s step, the codes of CODE_STEPS steps from it; "{code}" in a body becomes the code
of the step current when wrk sends it.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.middleware.csrf import CSRF_ALLOWED_CHARS
from django.utils import timezone
from django.utils.crypto import get_random_string

PASSWORD = "bench-password-not-secret-42"
BENCH_DOMAIN = "bench.example.org"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
STEP = 30
# Pools carry codes for this many 30 s steps from their creation: they are spent within minutes.
CODE_STEPS = 40


def make_users(tag: str, count: int) -> list[User]:
    """`count` users sharing one password hash (made once: no hash per user)."""
    password_hash = make_password(PASSWORD)
    batch = secrets.token_hex(3)
    users = [
        User(
            username=f"{tag}-{batch}-{i}",
            email=f"{tag}-{batch}-{i}@{BENCH_DOMAIN}",
            password=password_hash,
        )
        for i in range(count)
    ]
    return User.objects.bulk_create(users, batch_size=1000)


def signed_in(user: User, **extra: Any) -> dict[str, Any]:
    """The session data Django's login() leaves, plus `extra`."""
    return {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: MODEL_BACKEND,
        HASH_SESSION_KEY: user.get_session_auth_hash(),
        **extra,
    }


def store_sessions(sessions: Iterable[dict[str, Any]]) -> list[str]:
    """Session rows holding these data, in one bulk insert; their keys in the same order."""
    store = SessionStore()
    expires = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    rows = [
        Session(
            session_key=get_random_string(32, VALID_KEY_CHARS),
            session_data=store.encode(data),
            expire_date=expires,
        )
        for data in sessions
    ]
    Session.objects.bulk_create(rows, batch_size=1000)
    return [row.session_key for row in rows]


def current_step() -> int:
    return int(time.time()) // STEP


def wrong_code(code_at: Callable[[int], str]) -> str:
    """A six-digit code that no step near now (nor any step of the pool's life) accepts."""
    step = current_step()
    window = {code_at(step + i) for i in range(-3, CODE_STEPS + 3)}
    return next(f"{n:06d}" for n in range(1000) if f"{n:06d}" not in window)


class Pool:
    """Lines for bench/pool.lua, written to `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(
        self,
        method: str,
        url: str,
        session_key: str,
        body: str = "",
        code_at: Callable[[int], str] | None = None,
    ) -> None:
        csrf = get_random_string(32, CSRF_ALLOWED_CHARS)  # an unmasked secret, as the cookie
        cookie = f"{settings.SESSION_COOKIE_NAME}={session_key}; {settings.CSRF_COOKIE_NAME}={csrf}"
        step0 = current_step()
        codes = ",".join(code_at(step0 + i) for i in range(CODE_STEPS)) if code_at else ""
        self.lines.append("\t".join([method, url, cookie, csrf, body, str(step0), codes]))

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")


def write_pools(out: Path, urls: dict[str, str], session_keys: list[str]) -> None:
    """One GET pool per name, every session on every URL (the shared, cycled pools)."""
    for name, url in urls.items():
        pool = Pool(out / f"{name}.tsv")
        for key in session_keys:
            pool.add("GET", url, key)
        pool.write()
