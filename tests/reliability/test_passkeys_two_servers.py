"""Passkeys on two `carekey serve` processes over one PostgreSQL database (issue 15, Done
when 4): every challenge is started on one server and finished on the other, through the
JSON calls only, as a browser behind a load balancer would.

Both servers share one public URL (CAREKEY_PUBLIC_URL, the load balancer's address, here
one that is not the default), so the software authenticator claims that origin and RP ID
while the test talks to each server on its own port. Runs on PostgreSQL even in the SQLite run
of the suite: it makes its own database.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import reliability.harness as harness
from reliability.webclient import Browser, Reply

from tests.passkey_authenticator import SoftPasskey
from tests.reliability.server_pair import Pair, on, serving_pair, signed_in

PUBLIC_URL = "https://portal.carekey.example"
RP_ID = "portal.carekey.example"
RACERS = 20
pytestmark = pytest.mark.usefixtures("postgres")


@pytest.fixture(scope="module")
def pair(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    emails = [f"k{n}@example.org" for n in range(6)]
    label = "passkeys-two-servers"
    with serving_pair(migrated_template, tmp_path_factory, label, emails, PUBLIC_URL) as both:
        yield both


def copy_of(server: harness.Server, browser: Browser) -> Browser:
    """A browser with a copy of the cookies: racers must not see each other's answers."""
    return Browser(server.base, browser.user_agent, browser.timeout, dict(browser.cookies))


def new_key() -> SoftPasskey:
    return SoftPasskey(rp_id=RP_ID, origin=PUBLIC_URL)


def options(browser: Browser, path: str, body: Any = None) -> dict[str, Any]:
    reply = browser.api("POST", path, body)
    assert reply.status == 200, reply.text
    public_key: dict[str, Any] = reply.json()["publicKey"]
    assert public_key.get("rpId", public_key.get("rp", {}).get("id")) == RP_ID
    return public_key


def add_passkey(start: Browser, finish: Browser, key: SoftPasskey) -> Reply:
    """Creation options from one server, the new passkey posted to the other."""
    made = key.create(options(start, "/mfa/passkeys/options", {}))
    return finish.api("POST", "/mfa/passkeys", {"credential": made})


def use_passkey(start: Browser, finish: Browser, key: SoftPasskey, **knobs: Any) -> Reply:
    got = key.get(options(start, "/session/passkey/options"), **knobs)
    return finish.api("POST", "/session/passkey", {"credential": got})


def rows(pair: Pair, text: str, *params: Any) -> list[tuple[Any, ...]]:
    return harness.query(pair.database, text, params)


def events(pair: Pair, email: str, kind: str) -> list[dict[str, Any]]:
    found = rows(
        pair,
        "SELECT e.detail FROM audit_securityevent e JOIN accounts_user u ON u.id = e.user_id "
        "WHERE u.email = %s AND e.type = %s ORDER BY e.id",
        email,
        kind,
    )
    return [row[0] for row in found]


def passkeys_of(pair: Pair, email: str) -> int:
    found = rows(
        pair,
        "SELECT count(*) FROM mfa_passkey p JOIN mfa_factor f ON f.id = p.factor_id "
        "JOIN accounts_user u ON u.id = f.user_id WHERE u.email = %s",
        email,
    )
    return int(found[0][0])


def test_the_passkey_lifecycle_with_every_challenge_finished_on_the_other_server(
    pair: Pair,
) -> None:
    email = "k0@example.org"
    key = new_key()
    # Add: options on A, the passkey posted to B.
    browser = signed_in(pair.a, email)
    added = add_passkey(browser, on(pair.b, browser), key)
    assert added.status == 201, added.text
    assert added.json()["factor_type"] == "webauthn"
    assert len(added.json()["recovery_codes"]) == 10
    assert passkeys_of(pair, email) == 1
    assert events(pair, email, "mfa.factor.verified")[0]["factor_type"] == "webauthn"
    # The first browser's session lives on either server, now at aal2.
    assert on(pair.a, browser).api("GET", "/session").json()["aal"] == "aal2"
    assert on(pair.a, browser).api("DELETE", "/session").status == 204

    # Sign in with the passkey alone: options on B, the assertion to A.
    anonymous = pair.b.browser()
    session = use_passkey(anonymous, on(pair.a, anonymous), key)
    assert session.status == 200, session.text
    assert session.json()["aal"] == "aal2"
    assert events(pair, email, "signin.succeeded")[-1]["method"] == "passkey"
    assert on(pair.b, anonymous).api("GET", "/mfa/factors").status == 200

    # The verify step: password on A, options on A, the passkey to B.
    second = signed_in(pair.a, email)
    assert second.api("GET", "/session").json()["aal"] == "aal1"
    verified = use_passkey(second, on(pair.b, second), key)
    assert verified.status == 200, verified.text
    assert verified.json()["aal"] == "aal2"
    assert events(pair, email, "mfa.challenge.succeeded")[-1]["method"] == "passkey"

    # Reauthenticate with it, then add a second passkey: options on B, posted to A.
    again = use_passkey(on(pair.b, second), on(pair.a, second), key)
    assert again.status == 200 and again.json()["reauthenticated_until"], again.text
    spare = new_key()
    added = add_passkey(on(pair.b, second), on(pair.a, second), spare)
    assert added.status == 201, added.text
    assert added.json()["friendly_name"] == "Passkey 2"
    assert added.json().get("recovery_codes") is None
    # A new factor signed the patient's other sessions out, whichever server asks.
    assert on(pair.a, anonymous).api("GET", "/session").status == 401

    # Lock on A; unlock on B with a challenge from A.
    prefs = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
    assert second.api("PUT", "/app-lock", prefs).status == 200
    assert second.form("/portal/lock").status == 302
    assert on(pair.b, second).api("GET", "/mfa/factors").status == 423
    unlocked = use_passkey(second, on(pair.b, second), spare)
    assert unlocked.status == 200, unlocked.text
    assert unlocked.json()["locked"] is False

    # Remove the second passkey on B (within the five minutes the passkey opened); A then
    # lists one factor, and the browser signed in elsewhere in the meantime is out.
    elsewhere = pair.b.browser()
    assert use_passkey(elsewhere, on(pair.a, elsewhere), key).status == 200
    factors = on(pair.a, second).api("GET", "/mfa/factors").json()["factors"]
    second_id = next(f["id"] for f in factors if f["friendly_name"] == "Passkey 2")
    assert on(pair.b, second).api("DELETE", f"/mfa/factors/{second_id}").status == 204
    listed = on(pair.a, second).api("GET", "/mfa/factors").json()["factors"]
    assert [f["factor_type"] for f in listed] == ["webauthn"]
    assert events(pair, email, "mfa.factor.removed")[-1]["factor_type"] == "webauthn"
    assert passkeys_of(pair, email) == 1
    assert on(pair.a, elsewhere).api("GET", "/session").status == 401
    assert on(pair.b, second).api("GET", "/session").json()["aal"] == "aal2"


def test_a_challenge_used_on_one_server_is_refused_on_the_other(pair: Pair) -> None:
    email = "k1@example.org"
    key = new_key()
    owner = signed_in(pair.a, email)
    assert add_passkey(owner, owner, key).status == 201
    browser = pair.a.browser()
    assertion = key.get(options(browser, "/session/passkey/options"))
    body = {"credential": assertion}
    assert on(pair.b, browser).api("POST", "/session/passkey", body).status == 200
    for server in (pair.a, pair.b):
        again = on(server, browser).api("POST", "/session/passkey", body)
        assert again.status == 422 and again.error_code == "passkey_verification_failed"


def test_a_challenge_is_bound_to_its_session_on_every_server(pair: Pair) -> None:
    email = "k2@example.org"
    key = new_key()
    owner = signed_in(pair.b, email)
    assert add_passkey(owner, on(pair.a, owner), key).status == 201
    victim = pair.a.browser()
    assertion = key.get(options(victim, "/session/passkey/options"))
    thief = pair.b.browser()
    stolen = thief.api("POST", "/session/passkey", {"credential": assertion})
    assert stolen.status == 422 and stolen.error_code == "passkey_verification_failed"
    mine = on(pair.b, victim).api("POST", "/session/passkey", {"credential": assertion})
    assert mine.status == 200, mine.text


def test_failures_on_both_servers_share_the_throttle_and_the_counter(pair: Pair) -> None:
    email = "k3@example.org"
    key = new_key()
    owner = signed_in(pair.a, email)
    assert add_passkey(owner, owner, key).status == 201
    for n in range(5):
        start, finish = (pair.a, pair.b) if n % 2 else (pair.b, pair.a)
        browser = start.browser()
        wrong = use_passkey(browser, on(finish, browser), key, origin="https://evil.example")
        assert wrong.status == 422, wrong.text
    browser = pair.a.browser()
    right = use_passkey(browser, on(pair.b, browser), key)
    assert right.status == 429 and right.error_code == "too_many_attempts"
    assert int(right.headers["retry-after"]) >= 1


def test_a_cloned_passkey_is_caught_across_servers(pair: Pair) -> None:
    email = "k4@example.org"
    key = new_key()
    owner = signed_in(pair.a, email)
    assert add_passkey(owner, owner, key).status == 201
    clone = SoftPasskey(
        rp_id=key.rp_id,
        origin=key.origin,
        credential_id=key.credential_id,
        key=key.key,
        user_handle=key.user_handle,
        sign_count=key.sign_count,
    )
    browser = pair.a.browser()
    assert use_passkey(browser, on(pair.b, browser), key, counter_step=3).status == 200
    copied = pair.b.browser()
    refused = use_passkey(copied, on(pair.a, copied), clone)
    assert refused.status == 422 and refused.error_code == "passkey_verification_failed"
    (regressed,) = events(pair, email, "mfa.passkey.counter_regressed")
    assert (regressed["stored"], regressed["received"]) == (3, 1)


def test_one_challenge_raced_on_both_servers_signs_in_once(
    pair: Pair, figures: dict[str, Any]
) -> None:
    """The same assertion posted 20 times at once, half to each server: one sign-in."""
    email = "k5@example.org"
    key = new_key()
    owner = signed_in(pair.a, email)
    assert add_passkey(owner, owner, key).status == 201
    browser = pair.a.browser()
    body = {"credential": key.get(options(browser, "/session/passkey/options"))}
    racers = [copy_of(pair.a if n % 2 else pair.b, browser) for n in range(RACERS)]
    barrier = threading.Barrier(RACERS)

    def post(racer: Browser) -> int:
        barrier.wait()
        return racer.api("POST", "/session/passkey", body).status

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        tally = Counter(pool.map(post, racers))
    figures.setdefault("races", {})["two servers, one passkey challenge, 20 sign-ins"] = {
        "accepted": tally[200],
        "statuses": dict(tally),
    }
    assert tally[200] == 1, tally
    assert set(tally) <= {200, 422}, tally
    signed = [e for e in events(pair, email, "signin.succeeded") if e.get("method")]
    assert len(signed) == 1
