"""A crash (SIGKILL of the server's whole process group) in the middle of enrollments,
first verifications and recovery-code generations leaves no half-written state.

Round one: patients generate new recovery codes and start enrollments, three times each,
all at once; the server is killed once half the requests have been answered. Round two,
on a restarted server: patients verify their first factor, all at once, while the test
watches the database; the moment it sees a verified factor without recovery codes it
freezes the server (SIGSTOP), looks again, and if that state is still there kills it, so
that state is what survives. The tests then read what the crashes left behind, and start
the server once more on the same database.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import reliability.harness as harness
from reliability.webclient import Browser, code_now

pytestmark = pytest.mark.usefixtures("postgres")

VERIFYING, REGENERATING, ENROLLING = 8, 4, 3
HALF_WRITTEN = """
    SELECT f.user_id FROM mfa_factor f
    WHERE f.status = 'verified'
      AND NOT EXISTS (SELECT 1 FROM mfa_recoverycode r WHERE r.user_id = f.user_id)
"""


@dataclass
class Aftermath:
    database: str
    deployment: harness.Deployment
    killed_on_sight: bool
    answered_before_kill: int
    old_codes: dict[int, set[str]]
    ids: dict[str, list[int]] = field(default_factory=dict)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return harness.query(self.database, sql, params)


def _prepare(server: harness.Server, emails: list[str]) -> dict[str, Any]:
    """Sessions for every patient; factors to verify; verified patients ready to regenerate."""
    browsers = {email: server.browser() for email in emails}
    with ThreadPoolExecutor(max_workers=4) as pool:
        signed = pool.map(lambda e: browsers[e].sign_in(e, harness.PASSWORD).status, emails)
    assert set(signed) == {200}
    pending = {}
    for email in emails[:VERIFYING]:
        pending[email] = browsers[email].enroll()
    for email in emails[VERIFYING : VERIFYING + REGENERATING]:
        browsers[email].enroll_and_verify()
    return {"browsers": browsers, "pending": pending}


def _in_threads(jobs: list[Any]) -> list[threading.Thread]:
    threads = [threading.Thread(target=job, daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    return threads


def _repeatedly(browser: Browser, method: str, path: str, body: Any, answered: list[int]) -> Any:
    def job() -> None:
        for _ in range(3):
            try:
                browser.api(method, path, body)
            except OSError:
                return  # the crash cut this request off
            answered.append(1)

    return job


def _once(browser: Browser, path: str, body: Any, answered: list[int]) -> Any:
    def job() -> None:
        try:
            browser.api("POST", path, body)
        except OSError:
            return
        answered.append(1)

    return job


def _crash(server: harness.Server, database: str, answered: list[int], total: int) -> bool:
    """Kill the server when a half-written state is frozen in place (True), or else once
    half the requests have been answered (False)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(answered) < total // 2:
        if harness.query(database, HALF_WRITTEN):
            os.killpg(server.proc.pid, signal.SIGSTOP)
            if harness.query(database, HALF_WRITTEN):
                server.kill9()
                return True
            os.killpg(server.proc.pid, signal.SIGCONT)
        time.sleep(0.002)
    server.kill9()
    return False


def _moved(browser: Browser, server: harness.Server) -> Browser:
    return Browser(server.base, browser.user_agent, browser.timeout, browser.cookies)


def _recovery_code_hashes(database: str) -> dict[int, set[str]]:
    """Each patient's recovery-code hashes before the crash, to see which set survived."""
    found: dict[int, set[str]] = {}
    for user_id, code_hash in harness.query(
        database, "SELECT user_id, code_hash FROM mfa_recoverycode"
    ):
        found.setdefault(user_id, set()).add(code_hash)
    return found


def _by_round(ids: list[int]) -> dict[str, list[int]]:
    return {
        "verifying": ids[:VERIFYING],
        "regenerating": ids[VERIFYING : VERIFYING + REGENERATING],
        "enrolling": ids[VERIFYING + REGENERATING :],
    }


@pytest.fixture(scope="module")
def aftermath(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Aftermath]:
    """Round 1 crashes regenerations and enrollments; round 2, on a restarted server,
    crashes first verifications."""
    database = harness.create_database("carekey_rel", template=migrated_template)
    deployment = harness.Deployment(
        harness.database_url(database), Path(tmp_path_factory.mktemp("crash"))
    )
    emails = [f"c{n}@example.org" for n in range(VERIFYING + REGENERATING + ENROLLING)]
    verifying = emails[:VERIFYING]
    regenerating = emails[VERIFYING : VERIFYING + REGENERATING]
    servers: list[harness.Server] = []
    try:
        ids = harness.seed_patients(deployment, emails)
        servers.append(harness.start_server(deployment, workers=2, name="crash-1"))
        prepared = _prepare(servers[0], emails)
        browsers, pending = prepared["browsers"], prepared["pending"]
        old = _recovery_code_hashes(database)
        answered: list[int] = []
        round_one = [
            _repeatedly(browsers[e], "POST", "/mfa/recovery-codes", None, answered)
            for e in regenerating
        ] + [
            _repeatedly(browsers[e], "POST", "/mfa/factors", {"factor_type": "totp"}, answered)
            for e in emails[VERIFYING + REGENERATING :]
        ]
        threads = _in_threads(round_one)
        _crash(servers[0], database, answered, total=3 * len(round_one))
        first_round_answered = len(answered)
        for thread in threads:
            thread.join(timeout=30)
        servers.append(harness.start_server(deployment, workers=2, name="crash-2"))
        answered = []
        round_two = [
            _once(
                _moved(browsers[e], servers[1]),
                f"/mfa/factors/{pending[e][0]}/verify",
                {"code": code_now(pending[e][1])},
                answered,
            )
            for e in verifying
        ]
        threads = _in_threads(round_two)
        on_sight = _crash(servers[1], database, answered, total=len(round_two))
        for thread in threads:
            thread.join(timeout=30)
        yield Aftermath(
            database,
            deployment,
            on_sight,
            first_round_answered + len(answered),
            old,
            _by_round(ids),
        )
    finally:
        for server in servers:
            server.stop()
        harness.drop_database(database)


def test_every_factor_row_holds_a_whole_ciphertext(aftermath: Aftermath) -> None:
    for factor_id, ciphertext in aftermath.rows("SELECT id, secret_ciphertext FROM mfa_factor"):
        assert ciphertext.startswith("gAAAA") and len(ciphertext) > 100, factor_id


def test_each_patient_has_no_recovery_codes_or_a_whole_set(aftermath: Aftermath) -> None:
    counts = dict(aftermath.rows("SELECT user_id, count(*) FROM mfa_recoverycode GROUP BY 1"))
    assert all(n == 10 for n in counts.values()), counts


def test_a_new_set_replaces_the_old_whole_or_not_at_all(
    aftermath: Aftermath, figures: dict[str, Any]
) -> None:
    replaced = kept = 0
    for user_id in aftermath.ids["regenerating"]:
        now = {
            h
            for (h,) in aftermath.rows(
                "SELECT code_hash FROM mfa_recoverycode WHERE user_id = %s", user_id
            )
        }
        old = aftermath.old_codes[user_id]
        assert len(now) == 10 and (now == old or not now & old), user_id
        replaced, kept = replaced + (now != old), kept + (now == old)
    figures["crash"] = {
        "killed when a half-written state was seen": aftermath.killed_on_sight,
        "requests answered before the kill": aftermath.answered_before_kill,
        "recovery-code sets replaced / kept": f"{replaced} / {kept}",
    }


def test_a_verified_first_factor_always_comes_with_its_recovery_codes(
    aftermath: Aftermath,
) -> None:
    assert aftermath.rows(HALF_WRITTEN) == []


def test_the_server_starts_again_and_every_patient_can_carry_on(aftermath: Aftermath) -> None:
    server = harness.start_server(aftermath.deployment, workers=1, name="after-crash")
    try:
        emails = dict(aftermath.rows("SELECT id, email FROM accounts_user"))
        for user_id in aftermath.ids["enrolling"][:2] + aftermath.ids["verifying"][:2]:
            browser = server.browser()
            assert browser.sign_in(emails[user_id], harness.PASSWORD).status == 200
            session = browser.api("GET", "/session").json()
            if session["next_level"] == "aal1":
                assert browser.api("POST", "/mfa/factors", {"factor_type": "totp"}).status == 201
        for user_id in aftermath.ids["regenerating"][:1]:
            browser = server.browser()
            assert browser.sign_in(emails[user_id], harness.PASSWORD).status == 200
            assert browser.api("GET", "/mfa/factors").status == 403  # owes a code: aal2 gate
    finally:
        server.stop()
