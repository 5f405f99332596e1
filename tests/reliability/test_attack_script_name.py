"""A client-sent SCRIPT_NAME never moves the access gate (issue 12, item 1).

Gunicorn maps a `SCRIPT_NAME` request header into the WSGI environ when the peer is
"trusted" (127.0.0.1 by default), strips it off the path, and Django then routes on what
is left while `request.path` keeps the prefix. A gate that looked at `request.path` saw
neither `/portal/` nor `/api/v1/` and let everything through. This drives a real
`carekey serve` with and without the header, for every kind of session the gate holds
back, on pages and API, safe and unsafe methods: nothing is granted, nothing answers 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import reliability.harness as harness
from reliability.webclient import Browser, Reply

pytestmark = pytest.mark.usefixtures("postgres")

PREFIX = "/x"
LOCK_PREFS = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
# (method, path, kind, CSRF header sent): pages and API, reads and writes.
REQUESTS = [
    ("GET", "/portal/", "page", True),
    ("GET", "/portal/security", "page", True),
    ("POST", "/portal/security/app-lock", "page", True),
    ("POST", "/portal/security/sessions/others", "page", True),
    ("GET", "/api/v1/mfa/factors", "api", True),
    ("GET", "/api/v1/sessions", "api", True),
    ("GET", "/api/v1/security-events", "api", True),
    ("POST", "/api/v1/mfa/factors", "api", True),
    ("PUT", "/api/v1/app-lock", "api", False),
    ("DELETE", "/api/v1/sessions/others", "api", False),
]
STATES = ["anonymous", "password_only", "locked", "unenrolled_under_policy"]


@dataclass
class Deployment:
    server: harness.Server
    database: str


@pytest.fixture(scope="module")
def deployment(
    migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    database = harness.create_database("carekey_rel", template=migrated_template)
    config = harness.Deployment(
        harness.database_url(database), Path(tmp_path_factory.mktemp("script-name"))
    )
    harness.seed_patients(
        config, [f"{state}-{n}@example.org" for state in STATES[1:] for n in range(3)]
    )
    harness.query(
        database,
        "INSERT INTO policy_securitypolicy (id, require_mfa, max_app_lock_minutes, "
        "require_app_lock) VALUES (1, true, 30, false) RETURNING id",
    )
    server = harness.start_server(config, workers=2, name="script-name")
    try:
        yield Deployment(server, database)
    finally:
        server.stop()
        harness.drop_database(database)


def _signed_in(server: harness.Server, email: str) -> Browser:
    browser = server.browser()
    assert browser.sign_in(email, harness.PASSWORD).status == 200
    return browser


def _client_in(state: str, server: harness.Server, n: int) -> Browser:
    """A client whose session the gate must hold back (patient number `n` of that state)."""
    if state == "anonymous":
        browser = server.browser()
        browser.ensure_csrf()
        return browser
    email = f"{state}-{n}@example.org"
    browser = _signed_in(server, email)
    if state == "unenrolled_under_policy":
        return browser
    browser.enroll_and_verify()
    if state == "locked":
        assert browser.api("PUT", "/app-lock", LOCK_PREFS).status == 200
        assert browser.form("/portal/lock").status == 302
        assert browser.api("GET", "/session").json()["locked"] is True
        return browser
    # password_only: a second sign-in on a new client leaves the code still owed.
    second = _signed_in(server, email)
    assert second.api("GET", "/session").json()["aal"] == "aal1"
    return second


def _send(browser: Browser, method: str, path: str, csrf: bool, prefix: bool) -> Reply:
    headers = {"SCRIPT_NAME": PREFIX} if prefix else {}
    if csrf and method != "GET":
        headers["X-CSRFToken"] = browser.ensure_csrf()
    body = b"{}" if path.startswith("/api/") and method in ("POST", "PUT") else None
    content_type = "application/json" if body is not None else None
    if path.startswith("/portal/") and method == "POST":
        body, content_type = b"enabled=on&timeout_minutes=5", "application/x-www-form-urlencoded"
    target = (PREFIX if prefix else "") + path
    return browser.request(method, target, body=body, content_type=content_type, headers=headers)


def _granted(reply: Reply) -> bool:
    """A 2xx, or a redirect that lands anywhere but the gate's own stops, is a grant."""
    if 200 <= reply.status < 300:
        return True
    if reply.status in (301, 302, 303, 307, 308):
        stops = ("/portal/signin", "/portal/locked", "/portal/security?next=")
        return not reply.location.startswith(stops)
    return False


@pytest.mark.parametrize("state", STATES)
def test_a_prefixed_path_with_the_header_grants_nothing(deployment: Deployment, state: str) -> None:
    """`SCRIPT_NAME: /x` on `/x/portal/...` and `/x/api/v1/...`: no such page, for anyone."""
    browser = _client_in(state, deployment.server, 0)
    for method, path, _kind, csrf in REQUESTS:
        reply = _send(browser, method, path, csrf, prefix=True)
        assert reply.status < 500, (state, method, path, reply.status, reply.text[:200])
        assert not _granted(reply), (state, method, path, reply.status, reply.location)
    _assert_nothing_changed(browser, state)


@pytest.mark.parametrize("state", STATES)
def test_the_header_alone_changes_no_answer(deployment: Deployment, state: str) -> None:
    """A SCRIPT_NAME that prefixes the real path is ignored: the same answer as without."""
    browser = _client_in(state, deployment.server, 1)
    for method, path, _kind, csrf in REQUESTS:
        if method != "GET":
            continue
        plain = _send(browser, method, path, csrf, prefix=False)
        with_header = _send_with_header_only(browser, method, path, csrf)
        assert (with_header.status, with_header.location) == (plain.status, plain.location), (
            state,
            path,
        )
    _assert_nothing_changed(browser, state)


def _send_with_header_only(browser: Browser, method: str, path: str, csrf: bool) -> Reply:
    headers = {"SCRIPT_NAME": "/portal" if path.startswith("/portal/") else "/api"}
    if csrf and method != "GET":
        headers["X-CSRFToken"] = browser.ensure_csrf()
    return browser.request(method, path, headers=headers)


def _assert_nothing_changed(browser: Browser, state: str) -> None:
    """No factor was added, app lock kept its setting, the session kept its state."""
    reply = browser.api("GET", "/session")
    if state == "anonymous":
        assert reply.status == 401
        return
    session = reply.json()
    if state == "locked":
        assert session["locked"] is True
    elif state == "password_only":
        assert session["aal"] == "aal1" and session["next_level"] == "aal2"
    else:
        assert session["next_level"] == "aal1"
        assert browser.api("GET", "/mfa/factors").json()["factors"] == []


def test_the_same_requests_without_the_header_are_gated_the_same_way(
    deployment: Deployment,
) -> None:
    """The control row: a password-only session gets the gate's answers on every request."""
    browser = _client_in("password_only", deployment.server, 2)
    for method, path, kind, csrf in REQUESTS:
        reply = _send(browser, method, path, csrf, prefix=False)
        assert not _granted(reply), (method, path, reply.status)
        if kind == "api":
            assert reply.status == 403, (method, path, reply.status)
