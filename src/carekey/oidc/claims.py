"""How strongly a session authenticated, in OpenID Connect's words (acr and RFC 8176 amr).

Read from what the session actually used (accounts/session_state), never from the user
row: `auth_time` is when a method last succeeded in this session, not `last_login`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.sessions.backends.base import SessionBase

from carekey.accounts import session_state as state

ACR_VALUES = ("aal1", "aal2", "phr")
# The levels in order: a request for one is met by it or any later one.
ACR_ORDER = {"aal1": 1, "aal2": 2, "phr": 3}
# RFC 8176 methods of a passkey (hardware-bound, or a synced software key): phishing-resistant.
PHISHING_RESISTANT = ("hwk", "swk")


@dataclass(frozen=True)
class Assurance:
    acr: str
    amr: list[str]
    auth_time: datetime
    sid: str


def acr_for(aal: str, methods: list[str] | tuple[str, ...] = ()) -> str:
    """aal1 (a password), aal2 (a second factor), phr (aal2 with a passkey among the
    methods this session used: phishing-resistant, CONTRACT §8)."""
    if aal != "aal2":
        return "aal1"
    return "phr" if any(m in PHISHING_RESISTANT for m in methods) else "aal2"


def amr_for(methods: list[str]) -> list[str]:
    """The methods used, plus "mfa" when they are two or more (RFC 8176): a passkey gives
    "hwk" or "swk" with "user"; "pwd" only when a password was used (a session from
    before methods were recorded was a password's)."""
    used = list(dict.fromkeys(methods)) or ["pwd"]
    return [*used, "mfa"] if len(used) >= 2 else used


def of_session(session: SessionBase, now: float) -> Assurance:
    when = state.auth_time(session) or now
    methods = state.methods(session)
    return Assurance(
        acr=acr_for(state.aal(session), methods),
        amr=amr_for(methods),
        auth_time=datetime.fromtimestamp(when, tz=UTC),
        sid=state.sid(session),
    )


def lowest(wanted: list[str]) -> str | None:
    """The least of the known levels asked for (any one of them will do), or None."""
    known = [value for value in wanted if value in ACR_ORDER]
    return min(known, key=ACR_ORDER.__getitem__) if known else None


def meets(acr: str, wanted: list[str]) -> bool:
    """True when no level was asked for, or `acr` is at least one of those asked for."""
    least = lowest(wanted)
    return least is None or ACR_ORDER.get(acr, 0) >= ACR_ORDER[least]
