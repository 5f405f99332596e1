"""Portal session lifecycle: start at sign-in, idle and absolute expiry, revocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest

from carekey import clock
from carekey.accounts import session_store as keys
from carekey.accounts.models import PortalSession
from carekey.accounts.netinfo import client_ip, user_agent
from carekey.audit.record import record

# Write last activity at most this often: a row update per click buys nothing.
ACTIVITY_RESOLUTION_SECONDS = 5
# A password-only session waiting for its second factor lives this long.
SECOND_FACTOR_WAIT_SECONDS = 10 * 60


def start(request: HttpRequest, next_level: str = "aal1") -> None:
    """Stamp a freshly signed-in session (Django's login() has already rotated its id).

    `next_level` is "aal2" when the patient has a verified factor: the session then
    reaches nothing but the verify step until a code raises it.
    """
    now = clock.timestamp()
    session = request.session
    session[keys.CREATED] = now
    session[keys.LAST_ACTIVE] = now
    session[keys.USER_AGENT] = user_agent(request)
    session[keys.IP] = client_ip(request)
    session[keys.AAL] = "aal1"
    session[keys.NEXT_LEVEL] = next_level


def is_signed_in(session: SessionBase) -> bool:
    return keys.CREATED in session


def expiry_reason(session: SessionBase, now: float) -> str | None:
    """Why a signed-in session has ended, or None while it is alive."""
    created = float(session.get(keys.CREATED, now))
    last = float(session.get(keys.LAST_ACTIVE, created))
    if now - created > settings.SESSION_MAX_HOURS * 3600:
        return "absolute"
    if now - last > settings.IDLE_TIMEOUT_MINUTES * 60:
        return "idle"
    if awaits_second_factor(session) and now - created > SECOND_FACTOR_WAIT_SECONDS:
        return "second_factor_timeout"
    return None


def touch(request: HttpRequest, now: float) -> None:
    session = request.session
    if now - float(session.get(keys.LAST_ACTIVE, 0)) >= ACTIVITY_RESOLUTION_SECONDS:
        session[keys.LAST_ACTIVE] = now
        session[keys.IP] = client_ip(request)


def aal(session: SessionBase) -> str:
    return str(session.get(keys.AAL, "aal1"))


def next_level(session: SessionBase) -> str:
    return str(session.get(keys.NEXT_LEVEL, aal(session)))


def awaits_second_factor(session: SessionBase) -> bool:
    """Password accepted, code still owed: the aal2 gate holds this session back."""
    return aal(session) == "aal1" and next_level(session) == "aal2"


def set_level(request: HttpRequest, level: str) -> None:
    """The patient proved a factor (aal2) or has none left (aal1)."""
    request.session[keys.AAL] = level
    request.session[keys.NEXT_LEVEL] = level


def revoke_others(user: Any, current_key: str | None) -> int:
    """Sign out every other session of `user`; return how many ended."""
    others = PortalSession.objects.filter(user=user)
    if current_key:
        others = others.exclude(session_key=current_key)
    deleted, _ = others.delete()
    return deleted


def rotate_and_revoke_others(request: HttpRequest, user: Any) -> int:
    """A new session id, and every other session of `user` (the old id among them) ended.

    Django's cycle_key deletes the old row on its own; here the one DELETE that signs the
    other devices out takes it too.
    """
    session = request.session
    if isinstance(session, keys.SessionStore):
        session.cycle_key_leaving_old_row()
    else:
        session.cycle_key()
    return revoke_others(user, session.session_key)


def revoke_all(user: Any) -> int:
    deleted, _ = PortalSession.objects.filter(user=user).delete()
    return deleted


def active_sessions(user: Any) -> list[PortalSession]:
    """The patient's live sessions, newest activity first (the "Signed-in devices" list)."""
    now = clock.now()
    return list(
        PortalSession.objects.filter(
            user=user,
            expire_date__gt=now,
            last_active_at__gt=now - timedelta(minutes=settings.IDLE_TIMEOUT_MINUTES),
            created_at__gt=now - timedelta(hours=settings.SESSION_MAX_HOURS),
        )
        .only("session_key", "user_agent", "ip", "created_at", "last_active_at")
        .order_by("-last_active_at")[:50]
    )


def sign_out_other_devices(request: HttpRequest, user: Any) -> int:
    """The patient's own "Sign out other devices"; audited with how many ended."""
    ended = revoke_others(user, request.session.session_key)
    record("sessions.revoked", user=user, request=request, count=ended)
    return ended
