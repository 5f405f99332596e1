"""The provider's pages a patient sees (issue 14), checked like every other page: axe-core
finds no WCAG 2.1 A/AA violation, nothing scrolls sideways at 320 px, 200 % zoom or
1280 px, and with CAREKEY_SCREENSHOTS=1 each state is saved to docs/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from oauth2_provider.models import AccessToken, Application
from playwright.sync_api import Page, expect

from carekey.oidc import clients
from tests.browser.axe import describe, run_axe
from tests.browser.test_oidc_browser import sign_in_on_the_page
from tests.browser.test_small_screens import DESKTOP, PHONE, ZOOM_200, check_reflow
from tests.conftest import ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify
from tests.passkey_authenticator import SoftPasskey

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

APP = "https://portal.example.org/callback"


def authorize_url(client_id: str, **extra: str) -> str:
    return "/o/authorize/?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": APP,
        "scope": "openid email",
        "state": "s", "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256", **extra,
    })  # fmt: skip


def consent(page: Page, patient: Any) -> None:
    client_id = clients.register("Clinic portal", [APP]).client_id
    page.goto(authorize_url(client_id))
    sign_in_on_the_page(page, patient.email)
    expect(page.get_by_role("button", name="Allow")).to_be_visible()


def step_up(page: Page, patient: Any) -> None:
    client_id = clients.register("Clinic portal", [APP], skip_consent=True).client_id
    page.goto(authorize_url(client_id, acr_values="aal2"))
    sign_in_on_the_page(page, patient.email)
    expect(page.get_by_role("button", name="Set up two-step verification")).to_be_visible()


def password_and_code_asked_for_phr(page: Page, patient: Any, *, passkey: bool) -> None:
    """A patient with an authenticator app (and a passkey when `passkey`) signs in with
    the password and a code; the app asked for acr_values=phr: the passkey step-up."""
    api = ApiClient()
    api.sign_in(patient.email)
    secret = enroll_and_verify(api).secret
    if passkey:  # added through the JSON calls (the page only needs to know it exists)
        key = SoftPasskey(rp_id="localhost", origin="http://localhost:8000")
        options = api.post("/mfa/passkeys/options", {}).json()["publicKey"]
        assert api.post("/mfa/passkeys", {"credential": key.create(options)}).status_code == 201
    client_id = clients.register("Clinic portal", [APP], skip_consent=True).client_id
    page.goto(authorize_url(client_id, acr_values="phr"))
    sign_in_on_the_page(page, patient.email)
    page.get_by_label("6-digit code").fill(code_now(secret, 1))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Passkey needed")


def passkey_step_up(page: Page, patient: Any) -> None:
    password_and_code_asked_for_phr(page, patient, passkey=True)
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()


def passkey_step_up_without_a_passkey(page: Page, patient: Any) -> None:
    password_and_code_asked_for_phr(page, patient, passkey=False)
    expect(page.get_by_role("button", name="Add a passkey")).to_be_visible()


def logout_confirmation(page: Page, patient: Any) -> None:
    page.goto("/portal/signin")
    sign_in_on_the_page(page, patient.email)
    page.goto("/o/logout/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out of CareKey?")


def connected_apps(page: Page, patient: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    client_id = clients.register("Clinic portal", [APP]).client_id
    AccessToken.objects.create(
        user=patient, application=Application.objects.get(client_id=client_id),
        token="t" * 40, expires=timezone.now() + timedelta(minutes=10), scope="openid",
    )  # fmt: skip
    page.goto("/portal/signin")
    sign_in_on_the_page(page, patient.email)
    page.goto("/portal/security#apps-heading")
    expect(page.get_by_role("button", name="Disconnect Clinic portal")).to_be_visible()


STATES: dict[str, Callable[[Page, Any], None]] = {
    "oidc-consent": consent,
    "oidc-step-up": step_up,
    "oidc-passkey-step-up": passkey_step_up,
    "oidc-passkey-step-up-none": passkey_step_up_without_a_passkey,
    "oidc-logout": logout_confirmation,
    "connected-apps": connected_apps,
}


@pytest.mark.parametrize("state", list(STATES))
def test_provider_pages_are_accessible_and_reflow(page: Page, patient: Any, state: str) -> None:
    STATES[state](page, patient)
    violations = run_axe(page)
    assert not violations, describe(violations)
    problems = [p for width in (PHONE, ZOOM_200, DESKTOP) for p in check_reflow(page, state, width)]
    assert not problems, "\n".join(problems)
