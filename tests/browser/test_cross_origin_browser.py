"""A single-page app on another origin, in Chromium (issue 14): a page served from
another localhost port calls /api/v1 with the patient's cookies when its origin is in
CAREKEY_CORS_ORIGINS and is refused when it is not; and "Try it out" on /api/v1/docs
performs an unsafe call (the docs send the CSRF header)."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.test_oidc_browser import sign_in_on_the_page
from tests.integration.test_serve import free_port

SPA = """<!doctype html><title>SPA</title><pre id="out">running</pre><script>
const api = "%(api)s";
const csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || "";
(async () => {
  try {
    const who = await fetch(api + "/session", {credentials: "include"});
    const body = JSON.stringify({enabled: true, timeout_minutes: 5, unlock_method: "password"});
    const put = await fetch(api + "/app-lock", {method: "PUT", credentials: "include", body,
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf}});
    document.getElementById("out").textContent = "session " + who.status + " put " + put.status;
  } catch (error) {
    document.getElementById("out").textContent = "blocked";
  }
})();
</script>"""


@pytest.fixture
def spa(live_server: Any) -> Iterator[str]:
    """A page on another origin that calls CareKey's API."""
    page = (SPA % {"api": f"{live_server.url}/api/v1"}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: Any) -> None:
            return

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{port}"
    server.shutdown()
    server.server_close()


def allow(settings: Any, origin: str) -> None:
    settings.CAREKEY_CORS_ORIGINS = [origin]
    settings.CORS_ALLOWED_ORIGINS = [origin]
    settings.CSRF_TRUSTED_ORIGINS = [origin]


@pytest.mark.parametrize(("allowed", "result"), [(True, "session 200 put 200"), (False, "blocked")])
def test_a_page_on_another_origin_uses_the_api_only_when_allowed(
    page: Any, spa: str, patient: Any, settings: Any, allowed: bool, result: str
) -> None:
    allow(settings, spa if allowed else "http://localhost:1")
    page.goto("/portal/signin")
    sign_in_on_the_page(page, patient.email)
    page.goto(spa)
    expect(page.locator("#out")).to_have_text(result)


def test_try_it_out_on_the_docs_performs_an_unsafe_call(page: Any, patient: Any) -> None:
    page.goto("/portal/signin")
    # The form posts once the page's passkey options request has answered (passkeys.js):
    # wait for that navigation, or the goto below would be aborted by it.
    with page.expect_navigation():
        sign_in_on_the_page(page, patient.email)
    page.goto("/api/v1/docs")
    operation = page.locator(".opblock-put").filter(has_text="/api/v1/app-lock")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    body = '{"enabled": true, "timeout_minutes": 5, "unlock_method": "password"}'
    operation.locator("textarea.body-param__text").fill(body)
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_have_text(re.compile(r"^\s*200"))
