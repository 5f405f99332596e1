"""Enrollment end to end in a real browser, with independent tools as the authenticator.

zbarimg reads the QR code from a screenshot of the page and oathtool computes the codes,
so nothing in these tests shares CareKey's own TOTP or QR code.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from playwright.sync_api import Page, expect

from carekey.accounts.models import User
from carekey.mfa.models import Factor
from tests.browser.conftest import tool
from tests.conftest import PASSWORD
from tests.mfa_helpers import wrong_code

WRONG_CODE = "That code didn't work. Check the time on your phone and try the newest code."
RECOVERY_CODE = re.compile(r"^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$")
BASE32_SECRET = re.compile(r"^[A-Z2-7]{32}$")
ENROLL_URL = re.compile(r"/portal/security/factors/[0-9a-f-]{36}/verify$")


def sign_in_and_enable_mfa(page: Page, email: str) -> None:
    """Sign in through the form, open Security settings and press "Enable MFA"."""
    page.goto("/portal/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/portal/$"))

    page.goto("/portal/security")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    expect(page.get_by_role("button", name="Add authenticator app")).to_have_count(0)
    page.get_by_role("button", name="Enable MFA").click()
    expect(page).to_have_url(ENROLL_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")


def secret_on_page(page: Page) -> str:
    """The key shown for typing by hand, in groups of four, with the spaces removed."""
    shown = page.locator("#secret").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", shown.strip()), shown
    return re.sub(r"\s", "", shown)


def oathtool_code(secret: str) -> str:
    """What an independent authenticator shows now (oathtool: SHA1, 6 digits, 30 s)."""
    result = subprocess.run(
        [tool("oathtool"), "--totp", "-b", secret], capture_output=True, text=True, check=True
    )
    code = result.stdout.strip()
    assert re.fullmatch(r"\d{6}", code), result
    return code


def decode_qr(page: Page, png: Path) -> str:
    """Screenshot the QR image and let zbarimg read it, as a phone camera would."""
    zbarimg = tool("zbarimg")
    image = page.get_by_role("img", name=re.compile("^QR code"))
    expect(image).to_be_visible()
    image.screenshot(path=str(png))
    result = subprocess.run(
        [zbarimg, "--raw", "-q", str(png)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"zbarimg could not read the QR code: {result.stderr!r}"
    lines = result.stdout.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def check_otpauth_uri(uri: str, email: str) -> str:
    """Check the URI against CONTRACT §4 with urllib alone; return its secret."""
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth"
    assert parts.netloc == "totp"
    assert unquote(parts.path.removeprefix("/")) == f"CareKey:{email}"
    query = parse_qs(parts.query, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values()), query
    params = {key: values[0] for key, values in query.items()}
    assert set(params) == {"secret", "issuer", "algorithm", "digits", "period"}, params
    assert params["issuer"] == "CareKey"
    assert params["algorithm"] == "SHA1"
    assert params["digits"] == "6"
    assert params["period"] == "30"
    secret = params["secret"]
    assert BASE32_SECRET.fullmatch(secret), secret
    assert "=" not in secret
    return secret


def submit_code_and_finish(page: Page, code: str) -> None:
    """Verify with the code, check the ten recovery codes, tick the box and press Done."""
    page.get_by_label("6-digit code").fill(code)
    page.get_by_role("button", name="Verify", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    codes = page.locator("ol.recovery-codes li")
    expect(codes).to_have_count(10)
    texts = [text.strip() for text in codes.all_inner_texts()]
    assert all(RECOVERY_CODE.fullmatch(text) for text in texts), texts
    assert len(set(texts)) == 10

    page.get_by_label("I have saved my recovery codes").check()
    page.get_by_role("button", name="Done").click()

    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Verified", exact=True))
    expect(row).to_have_count(1)
    expect(row.get_by_role("cell", name="Authenticator app", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name="Add authenticator app")).to_be_visible()
    expect(page.get_by_role("button", name="Enable MFA")).to_have_count(0)


def test_enroll_by_scanning_the_qr_code_with_independent_tools(
    page: Page, make_patient: Callable[..., User], tmp_path: Path
) -> None:
    patient = make_patient("qr-enroll@example.org")
    sign_in_and_enable_mfa(page, patient.email)

    uri = decode_qr(page, tmp_path / "qr.png")
    secret = check_otpauth_uri(uri, patient.email)
    assert secret_on_page(page) == secret
    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()
    expect(copy).to_have_js_property("hidden", False)  # site.js revealed it

    submit_code_and_finish(page, oathtool_code(secret))
    assert Factor.objects.get(user=patient).status == Factor.Status.VERIFIED


def test_enroll_by_typing_the_key_with_javascript_off(
    chromium: Any,
    live_server: Any,
    transactional_db: None,
    make_patient: Callable[..., User],
) -> None:
    patient = make_patient("no-js-enroll@example.org")
    context = chromium.new_context(
        java_script_enabled=False,
        base_url=live_server.url,
        viewport={"width": 1280, "height": 900},
    )
    try:
        context.set_default_timeout(15_000)
        page = context.new_page()
        sign_in_and_enable_mfa(page, patient.email)

        copy = page.locator("button[data-copy]")
        expect(copy).to_have_count(1)
        expect(copy).to_have_js_property("hidden", True)  # nothing un-hid it
        copy_visible = copy.is_visible()

        secret = secret_on_page(page)
        assert BASE32_SECRET.fullmatch(secret)
        submit_code_and_finish(page, oathtool_code(secret))
    finally:
        context.close()
    assert Factor.objects.get(user=patient).status == Factor.Status.VERIFIED
    # Checked last so a failure here cannot hide whether enrollment itself works.
    assert not copy_visible, "the Copy button is shown with JavaScript off, where it does nothing"


def test_wrong_code_keeps_the_step_and_focuses_the_error_summary(
    page: Page, make_patient: Callable[..., User]
) -> None:
    patient = make_patient("wrong-code@example.org")
    sign_in_and_enable_mfa(page, patient.email)
    enroll_url = page.url
    secret = secret_on_page(page)

    page.get_by_label("6-digit code").fill(wrong_code(secret))
    page.get_by_role("button", name="Verify", exact=True).click()

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(page.get_by_role("alert")).to_contain_text(WRONG_CODE)
    expect(page).to_have_url(enroll_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img", name=re.compile("^QR code"))).to_be_visible()
    assert secret_on_page(page) == secret
    assert Factor.objects.get(user=patient).status == Factor.Status.UNVERIFIED


def test_wrong_code_error_belongs_to_the_code_field(
    page: Page, make_patient: Callable[..., User]
) -> None:
    """The summary links to, and the field marks, the "6-digit code" box, not "Name"."""
    patient = make_patient("wrong-field@example.org")
    sign_in_and_enable_mfa(page, patient.email)
    page.get_by_label("6-digit code").fill(wrong_code(secret_on_page(page)))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_text([f"6-digit code: {WRONG_CODE}"])
    code_field = page.get_by_label("6-digit code")
    expect(code_field).to_have_attribute("aria-invalid", "true")
    expect(code_field).to_have_accessible_description(re.compile(re.escape(WRONG_CODE)))
    expect(page.get_by_label("Name", exact=True)).not_to_have_attribute("aria-invalid", "true")
