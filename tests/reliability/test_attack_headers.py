"""Attack matrix, clickjacking and CSP: every page, in every state that reaches it, refuses
framing and carries the strict Content-Security-Policy, and contains nothing that policy
would block (inline script, inline style, event-handler attributes).

Pages are reached the way a patient reaches them: signed out, owing a code, at aal2,
locked, and as staff; error pages (403, 404, 405, 400) are pages too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
import time_machine
from django.test import Client

from tests.reliability.attack_helpers import actor_at_aal2

pytestmark = pytest.mark.django_db

REQUIRED_CSP = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


class InlineCode(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, styles, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "script":
            kind = (named.get("type") or "").lower()
            data_only = kind in ("application/json", "application/ld+json")
            self._in_script = not named.get("src") and not data_only
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:...>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append("inline <script> code")


def assert_protected(response: Any) -> None:
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    for directive in REQUIRED_CSP:
        assert directive in csp, f"CSP lacks {directive!r}: {csp}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    if response["Content-Type"].startswith("text/html") and response.content:
        parser = InlineCode()
        parser.feed(response.content.decode())
        assert parser.found == [], parser.found


def anonymous(path: str, method: str = "get", data: Any = None) -> Callable[[], Any]:
    def visit() -> Any:
        client = Client()
        return getattr(client, method)(path, data or {})

    return visit


def owing_a_code(path: str) -> Callable[[], Any]:
    def visit() -> Any:
        patient = actor_at_aal2("ana@example.org")
        browser = patient.another_browser()
        browser.sign_in()
        return browser.client.get(path)

    return visit


def at_aal2(
    path: str, method: str = "get", data: Any = None, *, stale_reauth: bool = False
) -> Callable[[], Any]:
    def visit() -> Any:
        patient = actor_at_aal2("ana@example.org")
        unverified, _ = patient.enroll("Tablet")
        assert patient.enrolled is not None
        concrete = path.format(verified=patient.enrolled.factor_id, unverified=unverified)
        later = timedelta(minutes=6 if stale_reauth else 0)
        with time_machine.travel(datetime.now(UTC) + later):
            if method == "get":
                return patient.client.get(concrete)
            fields = {k: v.format(code=patient.code(1)) for k, v in (data or {}).items()}
            answer = patient.post_page(concrete, fields)
            if method == "post, then get":  # post/redirect/get: the page is the GET
                assert answer.status_code == 302, answer.status_code
                return patient.client.get(answer["Location"])
            return answer

    return visit


def locked() -> Any:
    patient = actor_at_aal2("ana@example.org")
    patient.post_page("/portal/lock")
    return patient.client.get("/portal/locked")


def as_staff(path: str) -> Callable[[], Any]:
    def visit() -> Any:
        staff = actor_at_aal2("staff@example.org", staff=True)
        return staff.client.get(path.format(user=staff.user.pk))

    return visit


PAGES: dict[str, tuple[Callable[[], Any], int]] = {
    "sign-in": (anonymous("/portal/signin"), 200),
    "sign-in with next": (anonymous("/portal/signin?next=%2Fportal%2Fsecurity"), 200),
    "sign-in failed (400)": (
        anonymous("/portal/signin", "post", {"email": "x@example.org", "password": "wrong-pw1"}),
        400,
    ),
    "root redirect": (anonymous("/"), 302),
    "portal redirect when signed out": (anonymous("/portal/"), 302),
    "not found (404)": (anonymous("/no-such-page"), 404),
    "csrf failure (403)": (lambda: Client(enforce_csrf_checks=True).post("/portal/signin"), 403),
    "API docs": (anonymous("/api/v1/docs"), 200),
    "API error": (anonymous("/api/v1/mfa/factors"), 401),
    "verify step": (owing_a_code("/portal/signin/verify"), 200),
    "verify step, recovery code": (owing_a_code("/portal/signin/verify?method=recovery"), 200),
    "sign-out confirmation": (owing_a_code("/portal/signout"), 200),
    "home": (at_aal2("/portal/"), 200),
    "security": (at_aal2("/portal/security"), 200),
    "enrollment": (at_aal2("/portal/security/factors/{unverified}/verify"), 200),
    "remove confirmation": (at_aal2("/portal/security/factors/{verified}/remove"), 200),
    "remove, recovery code": (
        at_aal2("/portal/security/factors/{verified}/remove?method=recovery"),
        200,
    ),
    "confirm it's you": (
        at_aal2("/portal/security/factors", "post, then get", stale_reauth=True),
        200,
    ),
    "recovery codes (shown once)": (
        at_aal2("/portal/security/recovery-codes", "post, then get", {"code": "{code}"}),
        200,
    ),
    "method not allowed (405)": (at_aal2("/portal/security", "post"), 405),
    "lock screen": (locked, 200),
    "admin index": (as_staff("/admin/"), 200),
    "admin patients": (as_staff("/admin/accounts/user/"), 200),
    "admin patient": (as_staff("/admin/accounts/user/{user}/change/"), 200),
    "admin audit trail": (as_staff("/admin/audit/securityevent/"), 200),
}


@pytest.mark.parametrize("page", PAGES)
def test_page_refuses_framing_and_inline_code(page: str) -> None:
    visit, status = PAGES[page]
    response = visit()
    assert response.status_code == status, response.status_code
    assert_protected(response)


def test_the_inline_code_detector_finds_what_csp_blocks() -> None:
    parser = InlineCode()
    parser.feed('<script>x()</script><p style="a" onclick="b"><a href="javascript:c">')
    assert len(parser.found) == 4
    clean = InlineCode()
    clean.feed('<script src="/static/a.js"></script><script type="application/json">{}</script>')
    assert clean.found == []
