"""Database outage: with PostgreSQL unreachable, pages answer a friendly 503 page and the
API 503 `service_unavailable`; nothing answers 500; when the database returns, everything
works again, the sessions made before the outage included.

The server reaches PostgreSQL through a TCP forwarder in this test. Cutting the forwarder
breaks the server's pooled connections and refuses new ones, the way a failed database
host or a network partition does, without stopping the PostgreSQL other tests share.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import reliability.harness as harness
from reliability.forwarder import TcpForwarder
from reliability.webclient import Browser, Reply, code_now

pytestmark = pytest.mark.usefixtures("postgres")

# (who, method, path, body): who is "patient" (signed in at aal2) or "visitor" (no session).
PROBES: list[tuple[str, str, str, Any]] = [
    ("patient", "GET", "/portal/", None),
    ("patient", "GET", "/portal/security", None),
    ("patient", "GET", "/portal/signin", None),
    ("patient", "GET", "/api/v1/session", None),
    ("patient", "GET", "/api/v1/mfa/factors", None),
    ("patient", "POST", "/api/v1/session/reauthenticate", {"code": "123456"}),
    ("patient", "PUT", "/api/v1/app-lock", {"enabled": False, "timeout_minutes": 5}),
    ("patient", "POST", "/portal/lock", None),
    ("patient", "GET", "/api/v1/openapi.json", None),
    ("visitor", "POST", "/api/v1/session", {"email": "p0@example.org", "password": "x"}),
    ("visitor", "POST", "/portal/signin", {"email": "p0@example.org", "password": "x"}),
    ("visitor", "GET", "/portal/security", None),
    ("visitor", "GET", "/portal/signin", None),
]
# These need no database at all: serving them during an outage is right too.
DATABASE_FREE = {("visitor", "GET", "/portal/signin"), ("visitor", "GET", "/portal/security")}


@dataclass
class Scene:
    deployment: harness.Deployment
    server: harness.Server
    forwarder: TcpForwarder
    patient: Browser
    visitor: Browser
    secret: str


@pytest.fixture(scope="module")
def scene(migrated_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    database = harness.create_database("carekey_rel", template=migrated_template)
    forwarder = TcpForwarder()
    forwarder.start()
    deployment = harness.Deployment(
        harness.database_url(database, port=forwarder.port),
        Path(tmp_path_factory.mktemp("outage")),
    )
    server = None
    try:
        harness.seed_patients(deployment, ["p0@example.org", "p1@example.org"])
        server = harness.start_server(deployment, workers=2, name="outage")
        patient = server.browser()
        assert patient.sign_in("p0@example.org", harness.PASSWORD).status == 200
        _factor, secret, _codes = patient.enroll_and_verify()
        visitor = server.browser()
        visitor.ensure_csrf()
        yield Scene(deployment, server, forwarder, patient, visitor, secret)
    finally:
        forwarder.cut()
        if server is not None:
            server.stop()
        harness.drop_database(database)


def probe(scene: Scene, who: str, method: str, path: str, body: Any) -> Reply:
    browser = scene.patient if who == "patient" else scene.visitor
    if path.startswith("/api/"):
        return browser.api(method, path.removeprefix("/api/v1"), body)
    if method == "POST":
        return browser.form(path, body)
    return browser.request(method, path)


def assert_friendly_503(reply: Reply, path: str) -> None:
    assert reply.status == 503, (path, reply.status, reply.text[:300])
    assert "frame-ancestors 'none'" in reply.headers.get("content-security-policy", "")
    if path.startswith("/api/"):
        assert reply.error_code == "service_unavailable", reply.text
    else:
        assert reply.headers["content-type"].startswith("text/html")
        assert "Temporarily unavailable" in reply.text, reply.text[:300]


@pytest.fixture(scope="module")
def during_outage(scene: Scene) -> dict[tuple[str, str, str], Reply]:
    """Every probe's answer while the database is cut (the line is restored afterwards)."""
    scene.forwarder.cut()
    try:
        return {(w, m, p): probe(scene, w, m, p, b) for w, m, p, b in PROBES}
    finally:
        scene.forwarder.restore()


@pytest.mark.parametrize(("who", "method", "path", "body"), PROBES)
def test_database_answers_are_503_never_500(
    during_outage: dict[tuple[str, str, str], Reply], who: str, method: str, path: str, body: Any
) -> None:
    reply = during_outage[(who, method, path)]
    if (who, method, path) in DATABASE_FREE and reply.status < 500:
        return
    assert_friendly_503(reply, path)


def _hammer(scene: Scene, n: int, stop: threading.Event, seen: Counter[str]) -> None:
    browser = Browser(scene.server.base, timeout=60, cookies=dict(scene.patient.cookies))
    prefs = {"enabled": False, "timeout_minutes": 5, "unlock_method": "password"}
    while not stop.is_set():
        try:
            if n % 3 == 0:
                reply = browser.api("PUT", "/app-lock", prefs)
            elif n % 3 == 1:
                reply = browser.api("GET", "/mfa/factors")
            else:
                reply = browser.request("GET", "/portal/security")
            seen[str(reply.status)] += 1
        except OSError as exc:
            seen[f"connection error: {type(exc).__name__}"] += 1


def test_nothing_answers_500_when_the_database_is_cut_mid_flight(
    scene: Scene, figures: dict[str, Any]
) -> None:
    """Connections die under the server's feet, twice: 200 or 503, never 500 or a hang."""
    stop = threading.Event()
    seen: Counter[str] = Counter()
    workers = [threading.Thread(target=_hammer, args=(scene, n, stop, seen)) for n in range(6)]
    for worker in workers:
        worker.start()
    try:
        for _ in range(2):
            time.sleep(0.8)
            scene.forwarder.cut()
            time.sleep(0.8)
            scene.forwarder.restore()
        time.sleep(0.8)
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=90)
    figures["outage_mid_flight"] = dict(seen)
    assert set(seen) <= {"200", "503"}, seen
    assert seen["503"] > 0 and seen["200"] > 0, seen


def test_everything_works_again_after_the_outage(
    scene: Scene, during_outage: dict[tuple[str, str, str], Reply], figures: dict[str, Any]
) -> None:
    figures["outage"] = {
        f"{who} {method} {path}": reply.status
        for (who, method, path), reply in during_outage.items()
    }
    deadline = time.monotonic() + 30
    while scene.patient.api("GET", "/session").status != 200 and time.monotonic() < deadline:
        time.sleep(0.5)
    again = scene.patient.api("GET", "/session")
    assert again.status == 200 and again.json()["aal"] == "aal2", again.text
    assert scene.patient.request("GET", "/portal/security").status == 200
    code = code_now(scene.secret, 1)
    assert scene.patient.api("POST", "/session/reauthenticate", {"code": code}).status == 200
    newcomer = scene.server.browser()
    assert newcomer.sign_in("p1@example.org", harness.PASSWORD).status == 200
    assert newcomer.api("POST", "/mfa/factors", {"factor_type": "totp"}).status == 201
    statuses = harness.status_lines(scene.server.log())
    figures["outage_log_statuses"] = {str(s): statuses.count(s) for s in sorted(set(statuses))}


# --- a database host that vanished: connecting hangs instead of being refused -------------


def _first_answer(base: str, cookies: dict[str, str], within: float) -> Reply:
    browser = Browser(base, timeout=within, cookies=dict(cookies))
    try:
        return browser.api("GET", "/mfa/factors")
    except OSError as exc:
        pytest.fail(f"no answer within {within:.0f} s ({type(exc).__name__})")


def test_with_connect_timeout_a_vanished_host_answers_503_promptly(scene: Scene) -> None:
    """The setting docs/deployment.md recommends: ?connect_timeout=3 in DATABASE_URL."""
    deployment = harness.Deployment(
        scene.deployment.database_url + "?connect_timeout=3",
        scene.deployment.data_dir,
        scene.deployment.secret_key,
        scene.deployment.encryption_keys,
    )
    server = harness.start_server(deployment, workers=1, name="outage-timeout")
    try:
        scene.forwarder.blackhole()
        reply = _first_answer(server.base, scene.patient.cookies, within=15)
        assert reply.status == 503 and reply.error_code == "service_unavailable"
    finally:
        scene.forwarder.cut()
        scene.forwarder.restore()
        server.stop()


def test_a_vanished_database_host_answers_503_within_ten_seconds(scene: Scene) -> None:
    scene.forwarder.blackhole()
    try:
        reply = _first_answer(scene.server.base, scene.patient.cookies, within=10)
        assert reply.status == 503
    finally:
        scene.forwarder.cut()
        scene.forwarder.restore()
