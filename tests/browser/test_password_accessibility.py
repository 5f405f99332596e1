"""axe-core on every page state the password lifecycle brought (CONTRACT §7): zero WCAG 2.1
A and AA violations, and no label or description pointing at a missing id; and a change of
password with the keyboard alone.

As in test_accessibility.py: one test per state, so a failure names it. The state builders
below are shared with test_small_screens.py. The emailed link comes from the outbox of the
live server, which runs in the test's own process.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from carekey.accounts import throttle
from carekey.accounts.models import User
from tests.browser.test_accessibility import assert_accessible, sign_in
from tests.browser.test_keyboard import (
    assert_focus_visible,
    expect_error_summary,
    expect_step_heading,
    press_button,
    sign_in_by_keyboard,
    tab_to,
    type_into,
)
from tests.browser.test_password_browser import (
    NEW_PASSWORD,
    REFUSED,
    SENT,
    ask_for_reset,
    change_password,
    message_box,
    newest_reset_link,
    password_section,
    set_new_password,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MakePatient = Callable[..., User]
State = Callable[[Page, MakePatient], None]

WRONG_CURRENT = "Your current password is not correct."
MISMATCH = "The two new passwords are not the same. Type them again."
TOO_COMMON = "This password is too common."
THROTTLED = "Too many attempts. Try again in"


# --- "Change password" --------------------------------------------------------------------


def security_password_section(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    sign_in(page, patient.email, next_path="/portal/security")
    section = password_section(page)
    expect(section).to_contain_text("Set when your account was created:")
    expect(section.get_by_role("button", name="Change password")).to_be_visible()


def security_password_changed(page: Page, make_patient: MakePatient) -> None:
    """Back on the Security page after a change: the message and "Last changed"."""
    password_change(page, make_patient)
    change_password(page, PASSWORD, NEW_PASSWORD)
    expect(message_box(page)).to_have_text("Your password is changed.")
    expect(password_section(page)).to_contain_text("Last changed:")


def password_change(page: Page, make_patient: MakePatient) -> None:
    security_password_section(page, make_patient)
    password_section(page).get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")
    expect(page.get_by_label("Current password")).to_be_visible()


def password_change_wrong_current(page: Page, make_patient: MakePatient) -> None:
    password_change(page, make_patient)
    change_password(page, "not-the-password", NEW_PASSWORD)
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text(WRONG_CURRENT)


def password_change_weak(page: Page, make_patient: MakePatient) -> None:
    password_change(page, make_patient)
    change_password(page, PASSWORD, "password123")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_new_password_error")).to_contain_text(TOO_COMMON)


def password_change_mismatch(page: Page, make_patient: MakePatient) -> None:
    password_change(page, make_patient)
    change_password(page, PASSWORD, NEW_PASSWORD, confirmation=NEW_PASSWORD + "!")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_confirm_password_error")).to_have_text(MISMATCH)


def password_change_throttled(page: Page, make_patient: MakePatient) -> None:
    """Five wrong current passwords from this browser, then the sixth try is not checked."""
    password_change(page, make_patient)
    for _ in range(throttle.ACCOUNT.free_failures):
        change_password(page, "not-the-password", NEW_PASSWORD)
        expect(page.locator("#error-summary")).to_contain_text(WRONG_CURRENT)
    change_password(page, PASSWORD, NEW_PASSWORD)
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text(THROTTLED)


# --- "Forgot your password?" and the link ---------------------------------------------------


def password_reset_request(page: Page, make_patient: MakePatient) -> None:
    page.goto("/portal/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    expect(page.get_by_role("button", name="Send reset link")).to_be_visible()


def password_reset_request_invalid_email(page: Page, make_patient: MakePatient) -> None:
    password_reset_request(page, make_patient)
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")


def password_reset_request_throttled(page: Page, make_patient: MakePatient) -> None:
    """This address has asked for its hour's links: the next request is refused, visibly."""
    limit = throttle.RESET_REQUESTS_PER_IP
    for address in ("127.0.0.1", "::1"):  # however the browser reaches localhost
        for _ in range(limit.free_failures):
            throttle.reserve(throttle.key_for_reset_ip(address), limit)
    password_reset_request(page, make_patient)
    page.get_by_label("Email").fill(make_patient().email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text(THROTTLED)


def password_reset_sent(page: Page, make_patient: MakePatient) -> None:
    ask_for_reset(page, make_patient().email)
    expect(page.get_by_role("status")).to_have_text(SENT)


def _open_link(page: Page, make_patient: MakePatient) -> User:
    patient = make_patient()
    ask_for_reset(page, patient.email)
    page.goto(newest_reset_link(patient.email))
    return patient


def password_reset_link(page: Page, make_patient: MakePatient) -> None:
    _open_link(page, make_patient)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set a new password")
    expect(page.get_by_role("button", name="Set new password")).to_be_visible()


def password_reset_link_weak(page: Page, make_patient: MakePatient) -> None:
    _open_link(page, make_patient)
    set_new_password(page, "password123")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_new_password_error")).to_contain_text(TOO_COMMON)


def password_reset_link_mismatch(page: Page, make_patient: MakePatient) -> None:
    _open_link(page, make_patient)
    set_new_password(page, NEW_PASSWORD, confirmation=NEW_PASSWORD + "!")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_confirm_password_error")).to_have_text(MISMATCH)


def sign_in_after_reset(page: Page, make_patient: MakePatient) -> None:
    _open_link(page, make_patient)
    set_new_password(page, NEW_PASSWORD)
    expect(message_box(page)).to_have_text("Your new password is set. Sign in with it now.")


def password_reset_link_refused(page: Page, make_patient: MakePatient) -> None:
    _open_link(page, make_patient)
    link = page.url
    set_new_password(page, NEW_PASSWORD)
    page.goto(link)
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    expect(page.get_by_role("link", name="Ask for a new link")).to_be_visible()


STATES: dict[str, State] = {
    "security-password-section": security_password_section,
    "security-password-changed": security_password_changed,
    "password-change": password_change,
    "password-change-wrong-current-password": password_change_wrong_current,
    "password-change-weak-password": password_change_weak,
    "password-change-mismatch": password_change_mismatch,
    "password-change-throttled": password_change_throttled,
    "password-reset-request": password_reset_request,
    "password-reset-request-invalid-email": password_reset_request_invalid_email,
    "password-reset-request-throttled": password_reset_request_throttled,
    "password-reset-sent": password_reset_sent,
    "password-reset-link": password_reset_link,
    "password-reset-link-weak-password": password_reset_link_weak,
    "password-reset-link-mismatch": password_reset_link_mismatch,
    "password-reset-link-refused": password_reset_link_refused,
    "sign-in-after-reset": sign_in_after_reset,
}


@pytest.mark.parametrize("state", list(STATES))
def test_no_wcag_violations_in_the_password_pages(
    page: Page, make_patient: MakePatient, state: str
) -> None:
    STATES[state](page, make_patient)
    assert_accessible(page, state)


# --- Keyboard only ------------------------------------------------------------------------


def test_change_password_with_the_keyboard_alone(page: Page, make_patient: MakePatient) -> None:
    """Tab, typing and Enter: a wrong current password, the summary's link to the field,
    then the change; no clicks and no .fill() after the first page.goto."""
    patient = make_patient("keys@example.org")
    page.goto("/portal/signin?next=/portal/security")
    sign_in_by_keyboard(page, patient.email)
    expect(page).to_have_url(re.compile(r"/portal/security$"))

    press_button(page, password_section(page).get_by_role("button", name="Change password"))
    expect_step_heading(page, "Change password")

    current = page.get_by_label("Current password")
    new = page.get_by_label("New password", exact=True)
    confirm = page.get_by_label("Confirm new password")
    type_into(page, current, "not-the-password")
    type_into(page, new, NEW_PASSWORD)
    type_into(page, confirm, NEW_PASSWORD)
    page.keyboard.press("Enter")
    expect_error_summary(page, WRONG_CURRENT)

    press_button(
        page, page.locator("#error-summary").get_by_role("link", name=re.compile("^Current"))
    )
    expect(page).to_have_url(re.compile(r"#id_current_password$"))
    expect(current).to_be_focused()
    assert_focus_visible(page)
    page.keyboard.type(PASSWORD)
    type_into(page, new, NEW_PASSWORD)
    type_into(page, confirm, NEW_PASSWORD)
    press_button(page, page.get_by_role("button", name="Change password"))

    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(message_box(page)).to_have_text("Your password is changed.")
    expect(password_section(page)).to_contain_text("Last changed:")
    tab_to(page, password_section(page).get_by_role("button", name="Change password"))
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)
