"""A relying party signs a patient in through CareKey in Chromium (issue 14): Authlib's
OAuth client builds the request and exchanges the code, the browser fills CareKey's own
pages, oathtool is the authenticator, and the ID token is checked against the JWKS."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Route, expect

from tests.browser.conftest import tool
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import enroll_and_verify
from tests.oidc.relying_party import REDIRECT_URI, Flow, claims_after


@pytest.fixture
def issuer(live_server: Any, settings: Any) -> str:
    """The provider answers as the live server (its issuer is that address)."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": live_server.url}
    return str(live_server.url)


def catch_callback(page: Any) -> list[str]:
    """The client's redirect URI is not served: record where the browser was sent."""
    seen: list[str] = []

    def answer(route: Route) -> None:
        seen.append(route.request.url)
        route.fulfill(status=200, body="signed in", content_type="text/plain")

    page.route(f"{REDIRECT_URI}**", answer)
    return seen


def sign_in_on_the_page(page: Any, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_password_then_oathtool_code_gives_aal2_pwd_otp_mfa(
    page: Any, issuer: str, make_patient: Any
) -> None:
    oathtool = tool("oathtool")
    patient = make_patient("oidc.browser@example.org")
    with time_machine.travel(time.time() - 90, tick=False):  # enrolled a few steps ago
        setup = ApiClient()
        setup.sign_in(patient.email)
        secret = enroll_and_verify(setup).secret
    flow = Flow.start(issuer)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client)
    seen = catch_callback(page)

    page.goto(url)
    sign_in_on_the_page(page, patient.email)
    expect(page.get_by_label("6-digit code")).to_be_visible()
    code = subprocess.run(
        [oathtool, "--totp", "-b", secret], capture_output=True, text=True, check=True
    ).stdout.strip()
    stepped = int(time.time())
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("signed in")).to_be_visible()

    claims = claims_after(flow, client, seen[-1], verifier, nonce)
    assert claims["acr"] == "aal2" and claims["amr"] == ["pwd", "otp", "mfa"]
    assert stepped - 1 <= claims["auth_time"] <= int(time.time())


def test_password_alone_gives_aal1_pwd(page: Any, issuer: str, patient: Any) -> None:
    flow = Flow.start(issuer)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client)
    seen = catch_callback(page)
    page.goto(url)
    sign_in_on_the_page(page, patient.email)
    expect(page.get_by_text("signed in")).to_be_visible()
    claims = claims_after(flow, client, seen[-1], verifier, nonce)
    assert claims["acr"] == "aal1" and claims["amr"] == ["pwd"]
