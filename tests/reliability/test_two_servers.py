"""Two `carekey serve` processes on different ports over one PostgreSQL database behave as
one: sessions, accepted codes, failure counts and locks are shared, and of 50 concurrent
verifications of one code, split across both servers, exactly one is accepted.

Runs on PostgreSQL even in the SQLite run of the suite: it makes its own database.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import reliability.load as load
from reliability.webclient import Browser, code_now

from tests.reliability.conftest import FULL
from tests.reliability.server_pair import Pair, on, serving_pair, signed_in

RACERS = 50
pytestmark = pytest.mark.usefixtures("postgres")


@pytest.fixture(scope="module")
def pair(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    emails = [f"p{n}@example.org" for n in range(7)]
    with serving_pair(migrated_template, tmp_path_factory, "two-servers", emails) as both:
        yield both


def test_a_session_made_on_one_server_works_on_the_other(pair: Pair) -> None:
    browser = signed_in(pair.a, "p0@example.org")
    elsewhere = on(pair.b, browser)
    reply = elsewhere.api("GET", "/session")
    assert reply.status == 200 and reply.json()["user"]["email"] == "p0@example.org"
    assert elsewhere.request("GET", "/portal/security").status == 200
    assert elsewhere.api("DELETE", "/session").status == 204
    assert on(pair.a, browser).api("GET", "/session").status == 401


def test_a_code_accepted_on_one_server_is_refused_on_the_other(pair: Pair) -> None:
    browser = signed_in(pair.a, "p1@example.org")
    _factor, secret, _codes = browser.enroll_and_verify()
    code = code_now(secret, 1)
    assert browser.api("POST", "/session/reauthenticate", {"code": code}).status == 200
    replay = on(pair.b, browser).api("POST", "/session/reauthenticate", {"code": code})
    assert replay.status == 422 and replay.error_code == "mfa_verification_failed"


def test_the_failure_count_is_shared(pair: Pair) -> None:
    owner = signed_in(pair.a, "p2@example.org")
    _factor, secret, _codes = owner.enroll_and_verify()
    attackers = [signed_in(server, "p2@example.org") for server in (pair.a, pair.b) * 3]
    for browser in attackers[:5]:
        reply = browser.api("POST", "/session/verify", {"code": "000000"})
        assert reply.status == 422, reply.text
    for browser in (attackers[5], on(pair.a, attackers[5])):
        right = browser.api("POST", "/session/verify", {"code": code_now(secret, 1)})
        assert right.status == 429 and right.error_code == "too_many_attempts"
        assert int(right.headers["retry-after"]) >= 1


def test_a_lock_set_on_one_server_holds_on_the_other(pair: Pair) -> None:
    browser = signed_in(pair.a, "p3@example.org")
    prefs = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
    assert browser.api("PUT", "/app-lock", prefs).status == 200
    assert browser.form("/portal/lock").status == 302
    locked = on(pair.b, browser).api("GET", "/mfa/factors")
    assert locked.status == 423 and locked.error_code == "session_locked"


def _race(racers: list[tuple[Browser, str]], body: dict[str, str]) -> Counter[int]:
    """Every (browser, path) posts `body` at the same instant; the answers' statuses."""
    barrier = threading.Barrier(len(racers))

    def verify(racer: tuple[Browser, str]) -> int:
        barrier.wait()
        return racer[0].api("POST", racer[1], body).status

    with ThreadPoolExecutor(max_workers=len(racers)) as pool:
        return Counter(pool.map(verify, racers))


def _record(figures: dict[str, Any], name: str, tally: Counter[int]) -> None:
    figures.setdefault("races", {})[name] = {"accepted": tally[200], "statuses": dict(tally)}


def test_fifty_concurrent_reauthentications_with_one_code_accept_one(
    pair: Pair, figures: dict[str, Any]
) -> None:
    """One patient's session sends the same code 50 times at once, half to each server."""
    owner = signed_in(pair.a, "p4@example.org")
    _factor, secret, _codes = owner.enroll_and_verify()
    racers = [
        (on(pair.a if n % 2 else pair.b, owner), "/session/reauthenticate") for n in range(RACERS)
    ]
    tally = _race(racers, {"code": code_now(secret, 1)})
    _record(figures, "two servers, one code, 50 concurrent reauthentications", tally)
    assert tally[200] == 1, tally
    assert set(tally) <= {200, 422, 429}, tally


@pytest.mark.parametrize("racers", [RACERS if FULL else 10])
def test_concurrent_sign_in_verifications_with_one_code_accept_one(
    pair: Pair, figures: dict[str, Any], racers: int
) -> None:
    """Separate sessions owing their second factor, split across both servers (50 in the
    full run; 10 in CI, where 50 Argon2 password checks would dominate the run)."""
    owner = signed_in(pair.a, "p5@example.org")
    _factor, secret, _codes = owner.enroll_and_verify()
    servers = [pair.a if n % 2 else pair.b for n in range(racers)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        browsers = list(pool.map(lambda s: signed_in(s, "p5@example.org"), servers))
    tally = _race([(b, "/session/verify") for b in browsers], {"code": code_now(secret, 1)})
    _record(figures, f"two servers, one code, {racers} sessions verifying sign-in", tally)
    assert tally[200] == 1, tally
    assert set(tally) <= {200, 422, 429}, tally
    at_aal2 = [b for b in browsers if b.api("GET", "/session").json()["aal"] == "aal2"]
    assert len(at_aal2) == 1


def test_the_load_generators_flow_runs_clean_on_either_server(pair: Pair) -> None:
    """reliability/load.py's patient flow, once on each server (its 60 s run is not in CI)."""
    recorder = load.Recorder()
    for server in (pair.a, pair.b):
        load.one_flow(server.browser(), "p6@example.org", recorder)
    assert recorder.server_errors == recorder.unexpected_4xx == 0, recorder.samples
    assert sum(len(v) for v in recorder.latencies.values()) == 20
