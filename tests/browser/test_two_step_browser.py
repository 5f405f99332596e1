"""Two-step sign-in in a real browser, with oathtool as the patient's authenticator."""

from __future__ import annotations

import re
import subprocess
import time

import time_machine
from playwright.sync_api import expect

from tests.browser.conftest import tool
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import enroll_and_verify


def test_password_then_oathtool_code_lands_on_the_page_asked_for(page, make_patient) -> None:
    oathtool = tool("oathtool")
    patient = make_patient("twostep@example.org")
    with time_machine.travel(time.time() - 90, tick=False):  # enrolled a few steps ago
        setup = ApiClient()
        setup.sign_in(patient.email)
        secret = enroll_and_verify(setup).secret

    page.goto("/portal/security")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/portal/signin/verify\?next=%2Fportal%2Fsecurity$"))
    page.goto("/portal/")  # a password alone opens nothing
    expect(page).to_have_url(re.compile(r"/portal/signin/verify\?next="))
    page.goto("/portal/security")
    expect(page).to_have_url(re.compile(r"/portal/signin/verify\?next=%2Fportal%2Fsecurity$"))

    code = subprocess.run(
        [oathtool, "--totp", "-b", secret], capture_output=True, text=True, check=True
    ).stdout.strip()
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    expect(page.get_by_role("cell", name="Verified")).to_be_visible()


def test_recovery_code_link_offers_the_recovery_field(page, make_patient) -> None:
    patient = make_patient("recover@example.org")
    setup = ApiClient()
    setup.sign_in(patient.email)
    codes = enroll_and_verify(setup).recovery_codes

    page.goto("/portal/signin")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Use a recovery code").click()
    page.get_by_label("Recovery code").fill(codes[0].lower())
    page.get_by_role("button", name="Verify").click()

    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_role("status")).to_contain_text("You have 9 left.")
