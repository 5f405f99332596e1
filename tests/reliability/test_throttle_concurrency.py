"""Bursts against `carekey serve --workers 4` on PostgreSQL (issue 12 item 2).

CONTRACT §4: after five failures every further attempt is refused unchecked. Before
the reservation, a burst of 16 wrong passwords got 8-11 checked. Here 16 and 32
concurrent wrong passwords, and as many wrong codes, get at most five checked before the
first wait and at most one per wait afterwards (the wait is ended by moving the stored
`blocked_until` into the past: the server's own clock cannot be moved).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from threading import Barrier
from typing import Any

import pytest
import reliability.harness as harness
from reliability.webclient import Browser, Reply, code_now

pytestmark = pytest.mark.usefixtures("postgres")
BURSTS = [16, 32]


class Deployment:
    def __init__(self, server: harness.Server, database: str) -> None:
        self.server, self.database = server, database


@pytest.fixture(scope="module")
def deployment(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    database = harness.create_database("carekey_rel", template=migrated_template)
    config = harness.Deployment(
        harness.database_url(database), Path(tmp_path_factory.mktemp("throttle-burst"))
    )
    emails = [f"{kind}{n}@example.org" for kind in ("pw", "code") for n in BURSTS]
    harness.seed_patients(config, emails)
    server = harness.start_server(config, workers=4, name="throttle-burst")
    try:
        yield Deployment(server, database)
    finally:
        server.stop()
        harness.drop_database(database)


def burst(calls: list[Callable[[], Reply]]) -> Counter[int]:
    """Fire every call at one instant; tally the statuses."""
    barrier = Barrier(len(calls))

    def fire(call: Callable[[], Reply]) -> int:
        barrier.wait()
        return call().status

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return Counter(pool.map(fire, calls))


def end_the_wait(deployment: Deployment, key: str) -> None:
    harness.query(
        deployment.database,
        "UPDATE accounts_throttlestate SET blocked_until = now() - interval '1 second' "
        "WHERE key = %s RETURNING key",
        (key,),
    )


def user_id(deployment: Deployment, email: str) -> int:
    rows = harness.query(
        deployment.database, "SELECT id FROM accounts_user WHERE email = %s", (email,)
    )
    return int(rows[0][0])


def _record(figures: dict[str, Any], name: str, tallies: list[Counter[int]]) -> None:
    figures.setdefault("throttle_bursts", {})[name] = [dict(t) for t in tallies]


@pytest.mark.parametrize("size", BURSTS)
def test_a_burst_of_wrong_passwords_checks_at_most_five_then_one_per_wait(
    deployment: Deployment, size: int, figures: dict[str, Any]
) -> None:
    email = f"pw{size}@example.org"
    server = deployment.server

    def wrong_password() -> Reply:
        return server.browser().sign_in(email, "not-the-password")

    first = burst([wrong_password] * size)
    assert first[401] <= 5 and first[401] + first[429] == size, first
    tallies = [first]
    for _ in range(2):
        end_the_wait(deployment, f"password:{user_id(deployment, email)}")
        later = burst([wrong_password] * size)
        assert later[401] <= 1 and later[401] + later[429] == size, later
        tallies.append(later)
    _record(figures, f"{size} concurrent wrong passwords, then two waits", tallies)


def _sessions_owing_a_code(
    server: harness.Server, email: str, count: int
) -> tuple[list[Browser], str]:
    """`count` sessions of a patient with a factor, each at the second step."""
    owner = server.browser()
    assert owner.sign_in(email, harness.PASSWORD).status == 200
    _factor, secret, _codes = owner.enroll_and_verify()
    browsers = []
    for _ in range(count):
        browser = server.browser()
        assert browser.sign_in(email, harness.PASSWORD).status == 200
        browsers.append(browser)
    return browsers, secret


@pytest.mark.parametrize("size", BURSTS)
def test_a_burst_of_wrong_codes_checks_at_most_five_then_one_per_wait(
    deployment: Deployment, size: int, figures: dict[str, Any]
) -> None:
    email = f"code{size}@example.org"
    browsers, secret = _sessions_owing_a_code(deployment.server, email, size)
    bad = next(c for c in ("000000", "111111", "222222") if c != code_now(secret))

    def calls() -> list[Callable[[], Reply]]:
        body = {"code": bad}
        return [functools.partial(b.api, "POST", "/session/verify", body) for b in browsers]

    first = burst(calls())
    assert first[422] <= 5 and first[422] + first[429] == size, first
    tallies = [first]
    for _ in range(2):
        end_the_wait(deployment, f"user:{user_id(deployment, email)}")
        later = burst(calls())
        assert later[422] <= 1 and later[422] + later[429] == size, later
        tallies.append(later)
    _record(figures, f"{size} concurrent wrong codes, then two waits", tallies)
