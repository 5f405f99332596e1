"""Attack matrix, throttling: five failures lock the account's checks whatever the attacker
varies between attempts: the IP address, the session, X-Forwarded-For, the factor, the kind
of code, the face (page or API), the spelling of the email. The sixth attempt is refused
unchecked even when it is right, with Retry-After.

Forwarded headers are believed only from CAREKEY_TRUSTED_PROXIES: the last rows show whose
address lands in the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from carekey.accounts import device_cookies, throttle
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.reliability.attack_helpers import Actor, actor_at_aal2

pytestmark = pytest.mark.django_db

WRONG = "000000"
FAILURES = 5


def addresses() -> Iterator[dict[str, str]]:
    n = 0
    while True:
        n += 1
        yield {"REMOTE_ADDR": f"198.51.100.{n}"}


def assert_throttled(response: Any, *, page: bool = False) -> None:
    assert response.status_code == 429, (response.status_code, response.content[:300])
    if not page:  # CONTRACT §3 promises Retry-After on API answers
        assert int(response["Retry-After"]) >= 1


def _wrong(patient: Actor) -> str:
    assert patient.enrolled is not None
    window = {patient.code(k) for k in (-1, 0, 1)}
    return next(c for c in (WRONG, "111111", "222222", "333333") if c not in window)


def owing_a_code(patient: Actor, **extra: Any) -> ApiClient:
    browser = ApiClient()
    browser.post("/session", {"email": patient.user.email, "password": PASSWORD}, **extra)
    return browser


# --- codes ------------------------------------------------------------------------------


def fresh_session_each_time(patient: Actor) -> None:
    sessions = [owing_a_code(patient) for _ in range(FAILURES + 1)]
    for browser in sessions[:FAILURES]:
        browser.post("/session/verify", {"code": _wrong(patient)})
    assert_throttled(sessions[-1].post("/session/verify", {"code": patient.code(1)}))


def new_ip_each_time(patient: Actor) -> None:
    browser = owing_a_code(patient)
    ips = addresses()
    for _ in range(FAILURES):
        browser.post("/session/verify", {"code": _wrong(patient)}, **next(ips))
    assert_throttled(browser.post("/session/verify", {"code": patient.code(1)}, **next(ips)))


def spoofed_forwarded_for(patient: Actor) -> None:
    browser = owing_a_code(patient)
    for n in range(FAILURES):
        forged = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
        browser.post("/session/verify", {"code": _wrong(patient)}, **forged)
    last = {"HTTP_X_FORWARDED_FOR": "203.0.113.99"}
    assert_throttled(browser.post("/session/verify", {"code": patient.code(1)}, **last))


def forwarded_for_through_a_trusted_proxy(patient: Actor) -> None:
    browser = owing_a_code(patient, REMOTE_ADDR="10.0.0.1")
    for n in range(FAILURES):
        hop = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
        browser.post("/session/verify", {"code": _wrong(patient)}, **hop)
    hop = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.99"}
    assert_throttled(browser.post("/session/verify", {"code": patient.code(1)}, **hop))


def switching_factor(patient: Actor) -> None:
    new_factor, _ = patient.enroll("Second phone")
    for _ in range(3):
        patient.api.post("/session/reauthenticate", {"code": _wrong(patient)})
    for _ in range(2):
        patient.api.post(f"/mfa/factors/{new_factor}/verify", {"code": _wrong(patient)})
    assert_throttled(patient.api.post("/session/reauthenticate", {"code": patient.code(1)}))


def switching_to_recovery_codes(patient: Actor) -> None:
    assert patient.enrolled is not None
    browser = owing_a_code(patient)
    for _ in range(3):
        browser.post("/session/verify", {"code": _wrong(patient)})
    for _ in range(2):
        browser.post("/session/verify", {"recovery_code": "AAAA-BBBB-CCCC-DDDD"})
    good = patient.enrolled.recovery_codes[0]
    assert_throttled(browser.post("/session/verify", {"recovery_code": good}))
    assert patient.api.get("/mfa/recovery-codes").json()["remaining"] == 10


def switching_between_page_and_api(patient: Actor) -> None:
    browser = owing_a_code(patient)
    headers = {"X-CSRFToken": browser.csrf}
    for _ in range(3):
        browser.post("/session/verify", {"code": _wrong(patient)})
    for _ in range(2):
        browser.client.post("/portal/signin/verify", {"code": _wrong(patient)}, headers=headers)
    page = browser.client.post("/portal/signin/verify", {"code": patient.code(1)}, headers=headers)
    assert_throttled(page, page=True)


def unlock_attempts_count_too(patient: Actor) -> None:
    assert patient.enrolled is not None
    second = patient.another_browser()
    second.sign_in()
    assert second.api.post("/session/verify", {"code": patient.code(1)}).status_code == 200
    prefs = {"enabled": True, "timeout_minutes": 5, "unlock_method": "code"}
    assert patient.api.put("/app-lock", prefs).status_code == 200
    patient.post_page("/portal/lock")
    for _ in range(4):
        patient.api.post("/session/unlock", {"code": _wrong(patient)})
    second.api.post("/session/reauthenticate", {"code": _wrong(patient)})
    good = patient.enrolled.recovery_codes[0]
    assert_throttled(second.api.post("/session/reauthenticate", {"recovery_code": good}))
    assert second.api.get("/mfa/recovery-codes").json()["remaining"] == 10


CODE_ROWS: dict[str, Callable[[Actor], None]] = {
    "a new session each attempt": fresh_session_each_time,
    "a new IP address each attempt": new_ip_each_time,
    "a forged X-Forwarded-For each attempt": spoofed_forwarded_for,
    "X-Forwarded-For from a trusted proxy": forwarded_for_through_a_trusted_proxy,
    "switching factor": switching_factor,
    "switching to recovery codes": switching_to_recovery_codes,
    "switching between page and API": switching_between_page_and_api,
    "unlock attempts": unlock_attempts_count_too,
}


@pytest.mark.parametrize("row", CODE_ROWS)
def test_code_throttle_is_not_bypassed(row: str, settings: Any) -> None:
    settings.CAREKEY_TRUSTED_PROXIES = ["10.0.0.1"]
    CODE_ROWS[row](actor_at_aal2("ana@example.org"))


def test_signing_in_again_does_not_reset_code_failures() -> None:
    patient = actor_at_aal2("ana@example.org")
    for _ in range(FAILURES):
        owing_a_code(patient).post("/session/verify", {"code": _wrong(patient)})
    assert_throttled(owing_a_code(patient).post("/session/verify", {"code": patient.code(1)}))


# --- passwords --------------------------------------------------------------------------

SPELLINGS = ["ANA@example.org", " ana@example.org ", "Ana@Example.ORG", "ana@EXAMPLE.org"]


def _sign_in(email: str, password: str, face: str = "api", **extra: Any) -> Any:
    browser = ApiClient()
    if face == "page":
        form = {"email": email, "password": password}
        return browser.client.post(
            "/portal/signin", form, headers={"X-CSRFToken": browser.csrf}, **extra
        )
    return browser.post("/session", {"email": email, "password": password}, **extra)


@pytest.mark.parametrize(
    "variation",
    ["email spelling", "IP address", "X-Forwarded-For", "page and API", "unknown email"],
)
def test_password_throttle_is_not_bypassed(variation: str) -> None:
    email = "nobody@example.org" if variation == "unknown email" else "ana@example.org"
    if variation != "unknown email":
        Actor(email)
    ips = addresses()
    for n in range(FAILURES):
        extra: dict[str, str] = {}
        spelled = SPELLINGS[n % len(SPELLINGS)] if variation == "email spelling" else email
        if variation == "IP address":
            extra = next(ips)
        if variation == "X-Forwarded-For":
            extra = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"}
        face = "page" if variation == "page and API" and n % 2 else "api"
        _sign_in(spelled, "wrong-password-1", face, **extra)
    last = _sign_in(email, PASSWORD, "page" if variation == "page and API" else "api")
    assert_throttled(last)


# --- whose address is recorded ----------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "recorded"),
    [
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        ("10.0.0.1", "203.0.113.9", "203.0.113.9"),
        ("10.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),
        ("10.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"),
        ("10.0.0.1", "not-an-address", "10.0.0.1"),
    ],
    ids=[
        "untrusted peer: header ignored",
        "trusted proxy: client believed",
        "trusted proxy: forged left hop ignored",
        "two trusted proxies",
        "trusted proxy: garbage header",
    ],
)
def test_forwarded_for_is_believed_only_from_trusted_proxies(
    settings: Any, remote: str, forwarded: str, recorded: str
) -> None:
    settings.CAREKEY_TRUSTED_PROXIES = ["10.0.0.1", "10.0.0.2"]
    patient = Actor("ana@example.org")
    response = _sign_in(
        patient.user.email, PASSWORD, REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded
    )
    assert response.status_code == 200
    event = SecurityEvent.objects.filter(user=patient.user, type="signin.succeeded").get()
    assert event.ip == recorded


# --- device cookies and the per-address limit (issue 12 item 3) --------------------------


def _cookie_of_another_account() -> str:
    other = Actor("other@example.org")
    browser = ApiClient()
    browser.post("/session", {"email": other.user.email, "password": PASSWORD})
    return str(browser.client.cookies[device_cookies.COOKIE_NAME].value)


def _expired_cookie(email: str) -> str:
    browser = ApiClient()
    with time_machine.travel(timezone.now() - timedelta(days=91), tick=False):
        browser.post("/session", {"email": email, "password": PASSWORD})
    return str(browser.client.cookies[device_cookies.COOKIE_NAME].value)


def _signed_with_another_key(user_id: int) -> str:
    return signing.dumps([[user_id, "x" * 22]], key="another-deployments-key-" * 3, salt="x")


@pytest.mark.parametrize(
    "cookie", ["forged", "another account's", "expired (91 days)", "another deployment's"]
)
def test_a_device_cookie_that_is_not_this_accounts_is_no_bypass(cookie: str) -> None:
    patient = Actor("ana@example.org")
    values: dict[str, Callable[[], str]] = {
        "forged": lambda: "W1sxLCJ4eHh4Il1d:1tAbCd:not-a-signature",
        "another account's": _cookie_of_another_account,
        "expired (91 days)": lambda: _expired_cookie(patient.user.email),
        "another deployment's": lambda: _signed_with_another_key(patient.user.pk),
    }
    value = values[cookie]()
    for _ in range(FAILURES):
        _sign_in(patient.user.email, "wrong-password-1")
    browser = ApiClient()
    browser.client.cookies[device_cookies.COOKIE_NAME] = value
    reply = browser.post("/session", {"email": patient.user.email, "password": PASSWORD})
    assert_throttled(reply)


@pytest.mark.parametrize("variation", ["rotating emails", "X-Forwarded-For from an untrusted peer"])
def test_the_per_address_limit_is_not_bypassed(variation: str) -> None:
    limit = throttle.PER_IP.free_failures
    for n in range(limit):
        extra = {"HTTP_X_FORWARDED_FOR": f"203.0.113.{n}"} if "Forwarded" in variation else {}
        reply = _sign_in(f"nobody{n}@example.org", "wrong-password-1", **extra)
        assert reply.status_code == 401
    assert_throttled(_sign_in("someone-new@example.org", "wrong-password-1"))
