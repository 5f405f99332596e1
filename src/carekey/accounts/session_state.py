"""Everything CareKey keeps in a session, behind typed accessors: the one module that knows
the keys.

The session data is the source of truth (the row's columns are projections of it, see
session_store); a new piece of state is added here, so a reviewer reads one file to know
what a session can hold: when it started and was last used, from where, the assurance
level reached and owed, a reauthentication window, an enrollment in progress, a lock.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

USER_AGENT = "ck_ua"
IP = "ck_ip"
CREATED = "ck_created"
LAST_ACTIVE = "ck_last"
AAL = "ck_aal"
NEXT_LEVEL = "ck_next"
REAUTH_UNTIL = "ck_reauth"
ENROLLING = "ck_enrolling"
LOCKED = "ck_locked"
UNLOCK_ID = "ck_unlock_id"
# How and when the patient proved who they are in this session (OIDC amr, auth_time),
# and the session's public id for OIDC (sid): stable across id rotations.
METHODS = "ck_amr"
AUTH_TIME = "ck_auth_time"
SID = "ck_sid"
# Where to go once two-step verification is set up: an app's step-up request waiting.
RETURN_TO = "ck_return_to"
# A random value binding this browser's WebAuthn challenges (stored hashed) to it.
PASSKEY_BINDING = "ck_passkey"
# Recovery codes just made, sealed (encrypted), waiting for their one display after the
# redirect (post/redirect/get): why they were made and when.
CODES_TO_SHOW = "ck_codes_to_show"
# Django's own key for the signed-in user (django.contrib.auth.SESSION_KEY).
AUTH_USER = "_auth_user_id"


def stamp_sign_in(
    session: SessionBase,
    *,
    now: float,
    user_agent: str,
    ip: str | None,
    next_level: str,
    methods: tuple[str, ...] = ("pwd",),
) -> None:
    """A fresh sign-in: times, device, the level owed (aal2 when a factor exists), and how
    the patient signed in (a password, or a passkey alone)."""
    session[CREATED] = now
    session[LAST_ACTIVE] = now
    session[USER_AGENT] = user_agent
    session[IP] = ip
    session[AAL] = "aal1"
    session[NEXT_LEVEL] = next_level
    session[METHODS] = list(methods)
    session[AUTH_TIME] = now
    session[SID] = secrets.token_urlsafe(16)


def has_user(session: SessionBase) -> bool:
    """Django's auth has put a user in this session (signed in, perhaps not by us yet)."""
    return session.get(AUTH_USER) is not None


def is_stamped(session: SessionBase) -> bool:
    return CREATED in session


def created(session: SessionBase, default: float) -> float:
    return float(session.get(CREATED, default))


def last_active(session: SessionBase, default: float) -> float:
    return float(session.get(LAST_ACTIVE, default))


def mark_active(session: SessionBase, now: float, ip: str | None = None) -> None:
    session[LAST_ACTIVE] = now
    if ip is not None:
        session[IP] = ip


def aal(session: SessionBase) -> str:
    return str(session.get(AAL, "aal1"))


def next_level(session: SessionBase) -> str:
    return str(session.get(NEXT_LEVEL, aal(session)))


def set_level(session: SessionBase, level: str) -> None:
    session[AAL] = level
    session[NEXT_LEVEL] = level


def proved(session: SessionBase, method: str, now: float) -> None:
    """Another authentication method used now (RFC 8176 value: "otp", "hwk", ...)."""
    used = methods(session)
    if method not in used:
        used.append(method)
    session[METHODS] = used
    session[AUTH_TIME] = now


def methods(session: SessionBase) -> list[str]:
    return [str(m) for m in session.get(METHODS, [])]


def auth_time(session: SessionBase) -> float | None:
    value = session.get(AUTH_TIME)
    return float(value) if isinstance(value, int | float) else None


def sid(session: SessionBase) -> str:
    return str(session.get(SID, ""))


def set_return_to(session: SessionBase, path: str) -> None:
    session[RETURN_TO] = path


def return_to(session: SessionBase) -> str | None:
    value = session.get(RETURN_TO)
    return str(value) if value else None


def pop_return_to(session: SessionBase) -> str | None:
    value = session.pop(RETURN_TO, None)
    return str(value) if value else None


def passkey_binding(session: SessionBase) -> str:
    """This session's WebAuthn binding value, made on first use."""
    value = session.get(PASSKEY_BINDING)
    if not isinstance(value, str):
        value = secrets.token_urlsafe(32)
        session[PASSKEY_BINDING] = value
    return value


def hold_codes_to_show(session: SessionBase, sealed: str, occasion: str, made_at: float) -> None:
    """Recovery codes (already sealed) for one display; a newer set replaces them."""
    session[CODES_TO_SHOW] = {"sealed": sealed, "occasion": occasion, "made_at": made_at}


def pop_codes_to_show(session: SessionBase) -> tuple[str, str, float] | None:
    """The held codes (sealed), why and when they were made; gone from the session after."""
    held = session.pop(CODES_TO_SHOW, None)
    if not isinstance(held, dict):
        return None
    sealed, occasion, made_at = held.get("sealed"), held.get("occasion"), held.get("made_at")
    if not isinstance(sealed, str) or not isinstance(occasion, str):
        return None
    if not isinstance(made_at, int | float):
        return None
    return sealed, occasion, float(made_at)


def reauthenticated_until(session: SessionBase) -> float | None:
    value = session.get(REAUTH_UNTIL)
    return float(value) if isinstance(value, int | float) else None


def set_reauthenticated_until(session: SessionBase, timestamp: float) -> None:
    session[REAUTH_UNTIL] = timestamp


def enrolling(session: SessionBase) -> str | None:
    value = session.get(ENROLLING)
    return str(value) if value is not None else None


def set_enrolling(session: SessionBase, factor_id: str) -> None:
    session[ENROLLING] = factor_id


def clear_enrolling(session: SessionBase) -> None:
    session.pop(ENROLLING, None)


def is_locked(session: SessionBase) -> bool:
    return bool(session.get(LOCKED))


def lock(session: SessionBase, unlock_id: str) -> None:
    """Locked, with the id under which this lock's unlock attempts are counted."""
    session[LOCKED] = True
    session[UNLOCK_ID] = unlock_id


def unlock_id(session: SessionBase) -> str:
    return str(session.get(UNLOCK_ID, ""))


def clear_lock(session: SessionBase) -> None:
    session.pop(LOCKED, None)
    session.pop(UNLOCK_ID, None)


def _as_datetime(value: Any) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return None


def row_columns(data: Mapping[str, Any]) -> dict[str, Any]:
    """The session row's projected columns, from the session data being saved."""
    user_id = data.get(AUTH_USER)
    return {
        "user_id": int(user_id) if user_id is not None else None,
        "user_agent": str(data.get(USER_AGENT, ""))[:512],
        "ip": data.get(IP) or None,
        "created_at": _as_datetime(data.get(CREATED)),
        "last_active_at": _as_datetime(data.get(LAST_ACTIVE)),
    }
