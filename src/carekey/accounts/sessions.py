"""Portal session lifecycle: start at sign-in, idle and absolute expiry, revocation.

Rows are keyed by `session_store.stored_key(cookie value)`, never by the cookie value, and
devices are named to the patient by `device_id(stored key)`, never by any part of a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.db import connection
from django.http import HttpRequest
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carekey import clock, conf
from carekey.accounts import app_tokens
from carekey.accounts import session_state as state
from carekey.accounts import session_store as keys
from carekey.accounts.models import PortalSession, User
from carekey.audit.record import record
from carekey.client import client_ip, user_agent
from carekey.errors import CareKeyError

# Write last activity at most this often: a row update per click buys nothing.
ACTIVITY_RESOLUTION_SECONDS = 5
# A password-only session waiting for its second factor lives this long.
SECOND_FACTOR_WAIT_SECONDS = 10 * 60
DEVICE_ID_SALT = "carekey.device-id"
# 20 hex characters (80 bits): unguessable, and short enough for a URL.
DEVICE_ID_LENGTH = 20


def start(
    request: HttpRequest, next_level: str = "aal1", methods: tuple[str, ...] = ("pwd",)
) -> None:
    """Stamp a freshly signed-in session (Django's login() has already rotated its id).

    `next_level` is "aal2" when the patient has a verified factor: the session then
    reaches nothing but the verify step until a code raises it.
    """
    state.stamp_sign_in(
        request.session,
        now=clock.timestamp(),
        user_agent=user_agent(request),
        ip=client_ip(request),
        next_level=next_level,
        methods=methods,
    )


def is_signed_in(session: SessionBase) -> bool:
    return state.is_stamped(session)


def expiry_reason(session: SessionBase, now: float) -> str | None:
    """Why a signed-in session has ended, or None while it is alive."""
    created = state.created(session, now)
    last = state.last_active(session, created)
    if now - created > conf.session_max_hours() * 3600:
        return "absolute"
    if now - last > conf.idle_timeout_minutes() * 60:
        return "idle"
    if awaits_second_factor(session) and now - created > SECOND_FACTOR_WAIT_SECONDS:
        return "second_factor_timeout"
    return None


def touch(request: HttpRequest, now: float) -> None:
    if now - state.last_active(request.session, 0) >= ACTIVITY_RESOLUTION_SECONDS:
        state.mark_active(request.session, now, client_ip(request))


aal = state.aal
next_level = state.next_level


def awaits_second_factor(session: SessionBase) -> bool:
    """Password accepted, code still owed: the aal2 gate holds this session back."""
    return aal(session) == "aal1" and next_level(session) == "aal2"


def set_level(request: HttpRequest, level: str) -> None:
    """The patient proved a factor (aal2) or has none left (aal1)."""
    state.set_level(request.session, level)


def revoke_others(user: Any, current_key: str | None, session: Any = None) -> int:
    """Sign out every other session of `user`; return how many ended.

    `current_key` is the cookie value of the session that stays (rows hold its hash). A row
    that `session`'s own rotation replaced in this request is this browser's, not another
    device: it is left to the response's save, which deletes it as it writes the new row.
    """
    others = PortalSession.objects.filter(user=user)
    if current_key:
        others = others.exclude(session_key=keys.stored_key(current_key))
    replaced = session.replaced_row if isinstance(session, keys.SessionStore) else None
    if replaced is not None:
        others = others.exclude(session_key=replaced)
    deleted, _by_model = others.delete()
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
    deleted, _by_model = PortalSession.objects.filter(user=user).delete()
    return deleted


# A fixed statement, as the security page reads it on every load (issue 18); the other
# columns stay deferred, as `.only()` left them.
_ACTIVE_SQL = (
    'SELECT "session_key", "user_agent", "ip", "created_at", "last_active_at" '
    'FROM "accounts_portalsession" WHERE "user_id" = %s AND "expire_date" > %s '
    'AND "last_active_at" > %s AND "created_at" > %s ORDER BY "last_active_at" DESC LIMIT 50'
)


def active_sessions(user: Any) -> list[PortalSession]:
    """The patient's live sessions, newest activity first (the "Signed-in devices" list)."""
    now = clock.now()
    times = (
        now,
        now - timedelta(minutes=conf.idle_timeout_minutes()),
        now - timedelta(hours=conf.session_max_hours()),
    )
    adapt = connection.ops.adapt_datetimefield_value
    return list(PortalSession.objects.raw(_ACTIVE_SQL, [user.pk, *map(adapt, times)]))


def sign_out_other_devices(request: HttpRequest, user: Any) -> int:
    """The patient's own "Sign out other devices"; audited with how many ended."""
    ended = revoke_others(user, request.session.session_key, request.session)
    record("sessions.revoked", user=user, request=request, count=ended)
    app_tokens.revoke_all_recorded(request, user)  # apps signed in from those devices go too
    return ended


def device_id(stored: str) -> str:
    """The public id of a session row: a keyed hash of its stored key.

    The device list and its "Sign out" buttons need to name a session; the cookie value
    (or its stored key, which equally identifies the row) must never be what names it.
    """
    return salted_hmac(DEVICE_ID_SALT, stored, algorithm="sha256").hexdigest()[:DEVICE_ID_LENGTH]


@dataclass(frozen=True)
class Device:
    """One row of "Signed-in devices", as the page and the API show it."""

    id: str
    current: bool
    user_agent: str
    ip: str | None
    created_at: datetime | None
    last_active_at: datetime | None


def devices(request: HttpRequest, user: Any) -> list[Device]:
    """The patient's live sessions with their public ids, this one marked `current`.

    Until the response writes a rotated key's row, this browser's row is the one the
    rotation replaces: it is the current device, under its old public id, until then.
    """
    key = request.session.session_key
    session = request.session
    replaced = session.replaced_row if isinstance(session, keys.SessionStore) else None
    current = {keys.stored_key(key) if key else None, replaced} - {None}
    return [
        Device(
            id=device_id(row.session_key),
            current=row.session_key in current,
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=row.created_at,
            last_active_at=row.last_active_at,
        )
        for row in active_sessions(user)
    ]


class NotSignedIn(CareKeyError):
    code = "not_authenticated"
    status = 401
    default = gettext_lazy("Sign in first.")


def signed_in_patient(request: HttpRequest) -> User:
    """The request's user; pages and calls the gate lets through always have one."""
    user = request.user
    if not isinstance(user, User):
        raise NotSignedIn()
    return user


class DeviceNotFound(CareKeyError):
    """No session of this patient has that id (unknown, ended, or someone else's)."""

    code = "session_not_found"
    status = 404


class ThisDevice(CareKeyError):
    """The id names the caller's own session: that is "Sign out", not this."""

    code = "validation_error"
    status = 422


def sign_out_device(request: HttpRequest, user: Any, public_id: str) -> str:
    """End one of the patient's other sessions, named by its device id; audited.

    Returns the ended session's user agent, for the page to say which device it was.

    Ids are hashes, so the rows of the device list are hashed to find the one named (a
    patient has a handful). Only `user`'s live rows are searched: another patient's id, or
    a session already ended, is simply unknown.
    """
    rows = active_sessions(user)
    match = next((row for row in rows if device_id(row.session_key) == public_id), None)
    if match is None:
        raise DeviceNotFound(_("No signed-in device has that id."))
    key = request.session.session_key
    if key and match.session_key == keys.stored_key(key):
        raise ThisDevice(_('Use "Sign out" for this device.'))
    ended = PortalSession.objects.filter(user=user, session_key=match.session_key)
    deleted, _by_model = ended.delete()
    if not deleted:  # another request signed it out in between
        raise DeviceNotFound(_("No signed-in device has that id."))
    record("sessions.revoked", user=user, request=request, count=1)
    return match.user_agent
