"""Keeps one patient's session in a chosen state while Schemathesis throws requests at it.

Fuzzed calls change state: DELETE /session signs out, new recovery codes rotate the session
id, a lucky removal deletes the factor, failed codes fill the throttle. Before each example
the driver checks the state and rebuilds it through the real API when it has drifted, so
every example meets the state the test names (aal2, aal1 owing a code, or locked).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from carekey.accounts import session_state as keys
from carekey.accounts.models import PortalSession, ThrottleState, User
from carekey.accounts.session_state import LOCKED
from carekey.accounts.session_store import stored_key
from carekey.applock.models import AppLockPreference
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import enroll, enroll_and_verify

STATES = ("aal2", "aal1", "locked")
SESSION_COOKIE = "carekey_session"


@dataclass
class Tally:
    """What one operation answered, for the report."""

    calls: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    undeclared: Counter[str] = field(default_factory=Counter)
    resets: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "server_errors": sum(n for s, n in self.statuses.items() if s >= 500),
            "statuses": {str(s): n for s, n in sorted(self.statuses.items())},
            "undeclared": dict(self.undeclared),
            "state_rebuilds": self.resets,
        }


class SessionDriver:
    def __init__(self, state: str, email: str) -> None:
        assert state in STATES
        self.state = state
        self.patient = User.objects.create_user(email, PASSWORD, name="Fuzz Patient")
        other = User.objects.create_user("other-" + email, PASSWORD, name="Other Patient")
        stranger = ApiClient()
        stranger.sign_in(other.email)
        # Another patient's verified and unverified factors: the fuzz aims at them too.
        self.foreign_factor_ids = [enroll_and_verify(stranger).factor_id, enroll(stranger)[0]]
        self.factor_id = ""
        self.cookies: dict[str, str] = {}
        self.rebuild()

    # --- state -------------------------------------------------------------------------

    def rebuild(self) -> None:
        """Start over: no factors, codes, sessions or preferences; then reach the state."""
        Factor.objects.filter(user=self.patient).delete()
        RecoveryCode.objects.filter(user=self.patient).delete()
        PortalSession.objects.filter(user=self.patient).delete()
        AppLockPreference.objects.filter(user=self.patient).delete()
        ThrottleState.objects.all().delete()
        api = ApiClient()
        api.sign_in(self.patient.email)
        self.factor_id = enroll_and_verify(api).factor_id
        if self.state == "aal1":
            api = ApiClient()
            api.sign_in(self.patient.email)  # a verified factor: the session now owes a code
        elif self.state == "locked":
            locked = api.client.post("/portal/lock", headers={"X-CSRFToken": api.csrf})
            assert locked.status_code == 302, locked.status_code
        self.cookies = {
            SESSION_COOKIE: api.client.cookies[SESSION_COOKIE].value,
            "csrftoken": api.csrf,
        }

    def _expected(self) -> dict[str, Any]:
        if self.state == "aal1":
            return {keys.AAL: "aal1", keys.NEXT_LEVEL: "aal2", LOCKED: None}
        return {keys.AAL: "aal2", keys.NEXT_LEVEL: "aal2", LOCKED: self.state == "locked" or None}

    def in_state(self) -> bool:
        key = self.cookies.get(SESSION_COOKIE)
        if not key:
            return False
        row = PortalSession.objects.filter(session_key=stored_key(key), user=self.patient).first()
        if row is None:
            return False
        data = row.get_decoded()
        if any(data.get(k) != v for k, v in self._expected().items()):
            return False
        return Factor.objects.filter(
            pk=self.factor_id, user=self.patient, status=Factor.Status.VERIFIED
        ).exists()

    def prepare(self, tally: Tally) -> None:
        """Before each example: the named state, a clean throttle, room for new factors."""
        if not self.in_state():
            tally.resets += 1
            self.rebuild()
        ThrottleState.objects.all().delete()
        unverified = Factor.objects.filter(user=self.patient, status=Factor.Status.UNVERIFIED)
        if unverified.count() >= 8:
            unverified.delete()

    # --- requests ----------------------------------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        return {"X-CSRFToken": self.cookies.get("csrftoken", "")}

    def absorb(self, set_cookie_headers: list[str]) -> None:
        """Follow Set-Cookie like a browser: rotated session ids, deleted cookies."""
        for raw in set_cookie_headers:
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or "1970" in morsel["expires"]:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        self.cookies.setdefault(SESSION_COOKIE, "")
