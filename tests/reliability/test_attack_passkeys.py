"""Attack matrix, passkeys under concurrency: what a race must never buy an attacker.

Threads in this process, each on its own database connection (PostgreSQL when the run
uses it): one challenge answered many times at once signs in, verifies, registers once;
a clone used at the same instant as the original passes at most once; a burst of wrong
passkeys gets at most five checked before the account waits, and the right passkey
waits too.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from carekey.accounts.models import User
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Passkey
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_replay_race import run_together
from tests.passkey_authenticator import SoftPasskey
from tests.passkey_helpers import add_passkey, creation_options, new_key, request_options

pytestmark = pytest.mark.django_db(transaction=True)
RACERS = 12
BURST = 16


def _patient_with_passkey(email: str = "ana@example.org") -> tuple[User, SoftPasskey]:
    user = User.objects.create_user(email, PASSWORD, name="Ana Patient")
    owner = ApiClient()
    owner.sign_in(email)
    key, _ = add_passkey(owner)
    return user, key


def _race(clients: list[ApiClient], path: str, body: dict[str, Any]) -> Counter[int]:
    """Each client posts `body` at one instant; the answers' statuses."""
    pending = iter(clients)
    lock = threading.Lock()

    def post() -> int:
        with lock:
            client = next(pending)
        return int(client.post(path, body).status_code)

    return Counter(run_together(len(clients), post))


def _twins(browser: ApiClient, count: int) -> list[ApiClient]:
    """`count` clients carrying the same cookies (one browser's tabs, or a stolen cookie)."""
    twins = []
    for _ in range(count):
        twin = ApiClient()
        for name, morsel in browser.client.cookies.items():
            twin.client.cookies[name] = morsel.value
        twins.append(twin)
    return twins


def _record(figures: dict[str, Any], name: str, tally: Counter[int]) -> None:
    accepted = tally[200] + tally[201]
    figures.setdefault("races", {})[name] = {"accepted": accepted, "statuses": dict(tally)}


# --- one challenge, many answers ------------------------------------------------------------


def one_sign_in_challenge(figures: dict[str, Any]) -> None:
    user, key = _patient_with_passkey()
    browser = ApiClient()
    body = {"credential": key.get(request_options(browser))}
    tally = _race(_twins(browser, RACERS), "/session/passkey", body)
    _record(figures, f"one passkey challenge, {RACERS} concurrent sign-ins", tally)
    assert tally[200] == 1, tally
    assert set(tally) <= {200, 422}, tally
    signed_in = SecurityEvent.objects.filter(user=user, type="signin.succeeded")
    assert [e.detail.get("method") for e in signed_in].count("passkey") == 1


def one_verify_step_challenge(figures: dict[str, Any]) -> None:
    user, key = _patient_with_passkey()
    browser = ApiClient()
    browser.sign_in(user.email)
    body = {"credential": key.get(request_options(browser))}
    twins = _twins(browser, RACERS)
    tally = _race(twins, "/session/passkey", body)
    _record(figures, f"one passkey challenge, {RACERS} concurrent verify steps", tally)
    assert tally[200] == 1, tally
    assert set(tally) <= {200, 422}, tally
    succeeded = SecurityEvent.objects.filter(user=user, type="mfa.challenge.succeeded")
    assert succeeded.count() == 1


def one_registration_challenge(figures: dict[str, Any]) -> None:
    user = User.objects.create_user("ana@example.org", PASSWORD, name="Ana Patient")
    browser = ApiClient()
    browser.sign_in(user.email)
    body = {"credential": new_key().create(creation_options(browser))}
    tally = _race(_twins(browser, RACERS), "/mfa/passkeys", body)
    _record(figures, f"one registration, posted {RACERS} times at once", tally)
    assert tally[201] == 1, tally
    # A racer that arrives once the winner's passkey is verified is asked to confirm it's
    # the patient first (403 reauthentication_required) before its challenge is looked at:
    # refused either way, and only one passkey and one set of codes exist.
    assert set(tally) <= {201, 403, 422}, tally
    assert Passkey.objects.count() == 1
    generated = SecurityEvent.objects.filter(user=user, type="recovery_codes.generated")
    assert generated.count() == 1


def a_clone_at_the_same_instant(figures: dict[str, Any]) -> None:
    """The original and a copy answer two challenges with the same counter at once."""
    _user, key = _patient_with_passkey()
    clone = SoftPasskey(
        rp_id=key.rp_id,
        origin=key.origin,
        credential_id=key.credential_id,
        key=key.key,
        user_handle=key.user_handle,
        sign_count=key.sign_count,
    )
    browsers = [ApiClient() for _ in range(2)]
    bodies = [
        {"credential": passkey.get(request_options(browser))}
        for passkey, browser in zip((key, clone), browsers, strict=True)
    ]
    pending = iter(zip(browsers, bodies, strict=True))
    lock = threading.Lock()

    def post() -> int:
        with lock:
            browser, body = next(pending)
        return int(browser.post("/session/passkey", body).status_code)

    tally = Counter(run_together(2, post))
    _record(figures, "a cloned passkey used at the same instant as the original", tally)
    assert tally[200] == 1 and tally[422] == 1, tally
    assert Passkey.objects.get().sign_count == 1


# --- the throttle under a burst -------------------------------------------------------------


def a_burst_of_wrong_passkeys(figures: dict[str, Any]) -> None:
    """Sixteen browsers, each with its own challenge, answer wrongly at once."""
    user, key = _patient_with_passkey()
    browsers = [ApiClient() for _ in range(BURST)]
    bodies = [
        {"credential": key.get(request_options(b), origin="https://evil.example")} for b in browsers
    ]
    pending = iter(zip(browsers, bodies, strict=True))
    lock = threading.Lock()

    def post() -> int:
        with lock:
            browser, body = next(pending)
        return int(browser.post("/session/passkey", body).status_code)

    tally = Counter(run_together(BURST, post))
    _record(figures, f"{BURST} concurrent wrong passkeys", tally)
    assert tally[422] <= 5 and tally[422] + tally[429] == BURST, tally
    checked = SecurityEvent.objects.filter(user=user, type="mfa.challenge.failed")
    assert checked.count() == tally[422]
    right = ApiClient()
    answer = right.post("/session/passkey", {"credential": key.get(request_options(right))})
    assert answer.status_code == 429 and int(answer["Retry-After"]) >= 1


ROWS: dict[str, Callable[[dict[str, Any]], None]] = {
    "one sign-in challenge answered at once by many": one_sign_in_challenge,
    "one verify-step challenge answered at once by many": one_verify_step_challenge,
    "one registration posted at once many times": one_registration_challenge,
    "a clone used at the same instant as the original": a_clone_at_the_same_instant,
    "a burst of wrong passkeys": a_burst_of_wrong_passkeys,
}


@pytest.mark.parametrize("row", ROWS)
def test_a_passkey_race_buys_nothing(row: str, figures: dict[str, Any]) -> None:
    ROWS[row](figures)
