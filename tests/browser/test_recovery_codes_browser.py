"""Recovery codes and stale forms in a real browser (issue 17, items 6 and 8).

Refresh and Back on the recovery-codes page used to give "Page not found" and the
browser's "Confirm form resubmission"; a form posted after signing out in another tab
ended on an HTTP 405 page. New codes now say the old ones stopped working, and the
printout and the downloaded file name the site, the account and the date.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from carekey.accounts.models import User
from tests.browser.passkey_helpers import Authenticator, click_passkey, sign_in_with_password
from tests.browser.test_enroll_browser import secret_on_page, sign_in_and_enable_mfa
from tests.conftest import PASSWORD
from tests.mfa_helpers import code_now

SHOTS = os.environ.get("CAREKEY_UI_SHOTS", "")  # a folder to keep screenshots in, if set
NOT_AGAIN = (
    "Recovery codes are shown only once, when they are made, so they are not shown here again."
)
OLD_STOPPED = (
    "You have new recovery codes. "
    "Your old recovery codes no longer work: replace any copy you kept."
)
SIGNED_OUT = "You were signed out, so your change was not saved. Please do it again."
CODE = re.compile(r"^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$")


def shoot(page: Page, name: str, full_page: bool = True) -> None:
    if not SHOTS:
        return
    size = page.viewport_size or {"width": 1280, "height": 900}
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"), full_page=full_page)
    page.set_viewport_size(size)


def enroll_to_codes(page: Page, email: str) -> list[str]:
    sign_in_and_enable_mfa(page, email)
    page.get_by_label("6-digit code").fill(code_now(secret_on_page(page)))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page).to_have_url(re.compile(r"/portal/security/recovery-codes$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    codes = [t.strip() for t in page.locator("ol.recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and all(CODE.fullmatch(c) for c in codes), codes
    return codes


def test_refreshing_the_codes_page_explains_instead_of_not_found(
    page: Page, make_patient: Callable[..., User], fast_password_hashing: None
) -> None:
    codes = enroll_to_codes(page, make_patient("refresh@example.org").email)
    shoot(page, "recovery-codes-first")
    answer = page.reload()
    assert answer is not None and answer.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery codes")
    expect(page.get_by_text(NOT_AGAIN)).to_be_visible()
    expect(page.get_by_role("button", name="Generate new recovery codes")).to_be_visible()
    body = page.locator("main").inner_text()
    assert "Page not found" not in body and not any(code in body for code in codes)
    shoot(page, "recovery-codes-not-again")


def test_back_to_the_codes_page_needs_no_resubmission(
    page: Page, make_patient: Callable[..., User], fast_password_hashing: None
) -> None:
    codes = enroll_to_codes(page, make_patient("back@example.org").email)
    page.get_by_label("I have saved my recovery codes").check()
    page.get_by_role("button", name="Done").click()
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    answer = page.go_back()
    assert answer is not None and answer.status == 200  # no ERR_CACHE_MISS resubmission page
    expect(page).to_have_url(re.compile(r"/portal/security/recovery-codes$"))
    expect(page.get_by_text(NOT_AGAIN)).to_be_visible()
    assert not any(code in page.content() for code in codes)
    page.go_back()  # the finished verify step: on to the security page, not "Page not found"
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")


def test_new_codes_say_the_old_ones_stopped_and_print_and_download_whose_they_are(
    page: Page, make_patient: Callable[..., User], fast_password_hashing: None, tmp_path: Path
) -> None:
    patient = make_patient("print@example.org")
    old = enroll_to_codes(page, patient.email)
    page.get_by_label("I have saved my recovery codes").check()
    page.get_by_role("button", name="Done").click()
    page.get_by_role("button", name="Generate new recovery codes").click()  # within 5 minutes
    expect(page).to_have_url(re.compile(r"/portal/security/recovery-codes$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your new recovery codes")
    expect(page.get_by_role("status").filter(has_text=OLD_STOPPED)).to_be_visible()
    expect(page.get_by_text("Your authenticator app is verified.")).to_have_count(0)
    fresh = [t.strip() for t in page.locator("ol.recovery-codes li").all_inner_texts()]
    assert len(fresh) == 10 and not set(fresh) & set(old)
    shoot(page, "recovery-codes-new")

    about = page.locator(".recovery-codes-about")
    made = re.compile(r"Made: \d{1,2} \w{3} \d{4}, \d{2}:\d{2} UTC")
    page.emulate_media(media="print")
    expect(about).to_contain_text("Site: CareKey (http://localhost:8000)")
    expect(about).to_contain_text(f"Account: {patient.email}")
    expect(about).to_contain_text(made)
    expect(page.locator("ol.recovery-codes")).to_be_visible()
    expect(page.get_by_role("button", name="Done")).to_be_hidden()
    expect(page.locator("footer.site-footer")).to_be_hidden()  # no language switch on paper
    shoot(page, "recovery-codes-print")
    page.emulate_media(media="screen")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download").click()
    download: Any = waiting.value
    assert download.suggested_filename == "carekey-recovery-codes.txt"
    saved = tmp_path / "codes.txt"
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("CareKey recovery codes\n")
    assert "Site: CareKey (http://localhost:8000)" in text
    assert f"Account: {patient.email}" in text
    assert made.search(text)
    assert all(code in text for code in fresh)


def test_a_form_from_a_signed_out_tab_lands_back_on_its_page(
    page: Page, make_patient: Callable[..., User], fast_password_hashing: None
) -> None:
    patient = make_patient("tabs@example.org")
    page.goto("/portal/signin?next=/portal/security")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    other = page.context.new_page()
    other.goto("/portal/")
    other.get_by_role("button", name="Sign out").click()
    expect(other).to_have_url(re.compile(r"/portal/signin$"))

    page.get_by_label("Lock the portal when I'm away").check()
    page.get_by_role("button", name="Save app lock settings").click()
    expect(page).to_have_url(re.compile(r"/portal/signin\?next="))
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    expect(page.get_by_role("status").filter(has_text=SIGNED_OUT)).to_be_visible()
    expect(page.get_by_label("Lock the portal when I'm away")).not_to_be_checked()
    shoot(page, "stale-form-not-saved", full_page=False)


def test_a_first_passkey_codes_page_says_the_passkey_is_added(
    page: Page, authenticator: Authenticator, make_patient: Callable[..., User]
) -> None:
    sign_in_with_password(page, make_patient("key@example.org").email, "/portal/security")
    page.get_by_role("button", name="Add a passkey").click()
    click_passkey(page, authenticator, "Create passkey")
    expect(page).to_have_url(re.compile(r"/portal/security/recovery-codes$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    expect(page.get_by_role("status").filter(has_text="Your passkey is added.")).to_be_visible()
    expect(page.get_by_text("Your authenticator app is verified.")).to_have_count(0)
    expect(page.locator("ol.recovery-codes li")).to_have_count(10)
    shoot(page, "recovery-codes-first-passkey")
