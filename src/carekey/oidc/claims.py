"""How strongly a session authenticated, in OpenID Connect's words (acr and RFC 8176 amr).

Read from what the session actually used (accounts/session_state), never from the user
row: `auth_time` is when a method last succeeded in this session, not `last_login`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.sessions.backends.base import SessionBase

from carekey.accounts import session_state as state

ACR_VALUES = ("aal1", "aal2")
# The levels in order: a request for one is met by it or any later one.
ACR_ORDER = {"aal1": 1, "aal2": 2}


@dataclass(frozen=True)
class Assurance:
    acr: str
    amr: list[str]
    auth_time: datetime
    sid: str


def acr_for(aal: str) -> str:
    return "aal2" if aal == "aal2" else "aal1"


def amr_for(methods: list[str]) -> list[str]:
    """The methods used, plus "mfa" when they are two or more (RFC 8176)."""
    used = list(dict.fromkeys(methods)) or ["pwd"]
    return [*used, "mfa"] if len(used) >= 2 else used


def of_session(session: SessionBase, now: float) -> Assurance:
    when = state.auth_time(session) or now
    return Assurance(
        acr=acr_for(state.aal(session)),
        amr=amr_for(state.methods(session)),
        auth_time=datetime.fromtimestamp(when, tz=UTC),
        sid=state.sid(session),
    )


def meets(acr: str, wanted: list[str]) -> bool:
    """True when no level was asked for, or `acr` is at least one of those asked for."""
    known = [ACR_ORDER[value] for value in wanted if value in ACR_ORDER]
    return not known or ACR_ORDER.get(acr, 0) >= min(known)
