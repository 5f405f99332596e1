"""The example portal (examples/portal) in Chromium (issue 14): sign in through CareKey,
step up before "View lab results" (a patient without a factor sets one up on CareKey's
security page and comes back at aal2), then sign out through CareKey's end-session."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from examples.portal.app import Portal, serve
from playwright.sync_api import expect

from carekey.oidc import clients
from tests.browser.test_enroll_browser import oathtool_code, secret_on_page
from tests.browser.test_oidc_browser import sign_in_on_the_page
from tests.integration.test_serve import free_port


@pytest.fixture
def portal(live_server: Any, settings: Any) -> Iterator[str]:
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": live_server.url}
    port = free_port()
    base = f"http://localhost:{port}"
    registered = clients.register(
        "Example portal", [f"{base}/callback"], [f"{base}/"], skip_consent=True
    )
    server = serve(
        Portal(live_server.url, base, registered.client_id, registered.client_secret or ""), port
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base
    server.shutdown()
    server.server_close()


def test_sign_in_step_up_for_lab_results_and_sign_out(
    page: Any, portal: str, patient: Any, live_server: Any
) -> None:
    page.goto(portal + "/")
    page.get_by_role("link", name="Sign in with CareKey").click()
    sign_in_on_the_page(page, patient.email)
    expect(page.get_by_text("acr=aal1 amr=pwd")).to_be_visible()

    page.get_by_role("link", name="View lab results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step verification needed")
    page.get_by_role("button", name="Set up two-step verification").click()
    page.get_by_role("button", name="Enable MFA").click()
    page.get_by_label("6-digit code").fill(oathtool_code(secret_on_page(page)))
    page.get_by_role("button", name="Verify", exact=True).click()
    page.get_by_label("I have saved my recovery codes").check()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lab results")

    page.goto(portal + "/")
    expect(page.get_by_text("acr=aal2 amr=pwd otp mfa")).to_be_visible()
    page.get_by_role("link", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in with CareKey")).to_be_visible()
    page.goto(live_server.url + "/portal/security")
    expect(page).to_have_url(re.compile(r"/portal/signin\?next="))
