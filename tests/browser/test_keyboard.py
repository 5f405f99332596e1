"""Keyboard only: after the first page.goto, nothing but keys (Tab, Shift+Tab, Enter, Space,
arrows and typing). No clicks and no .fill(): focus moves with Tab until it is on the control
wanted, and every control reached shows a visible focus indicator.

The patient reads the key from the page (here: copies it with the "Copy" button) and
computes the codes the way an authenticator app would, with carekey.core.totp.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from carekey.core import totp
from tests.browser.test_accessibility import verified_factor
from tests.conftest import PASSWORD
from tests.mfa_helpers import code_now, wrong_code

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

WRONG_CODE = "That code didn't work. Check the time on your phone and try the newest code."

ACTIVE_ELEMENT = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) {
    return document.hasFocus() ? "(body)" : "(outside the page: browser UI)";
  }
  const name = (el.getAttribute("aria-label") || el.labels?.[0]?.textContent
    || el.value || el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
  return `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${name}"`;
}"""

FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!document.hasFocus() || !el || el === document.body) { return null; }
  const style = getComputedStyle(el);
  return {
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth) || 0,
    boxShadow: style.boxShadow,
    focusVisible: el.matches(":focus-visible"),
  };
}"""


def active(page: Page) -> str:
    described: str = page.evaluate(ACTIVE_ELEMENT)
    return described


def is_focused(target: Locator) -> bool:
    focused: bool = target.evaluate("el => el === document.activeElement")
    return focused


def assert_focus_visible(page: Page) -> None:
    """A focus indicator a sighted keyboard user can see: an outline or a ring (shadow)."""
    style: dict[str, Any] | None = page.evaluate(FOCUS_STYLE)
    if style is None:
        return  # the focus is on the browser's own UI, not on the page
    outline = style["outlineStyle"] != "none" and style["outlineWidth"] >= 2
    ring = style["boxShadow"] not in ("", "none")
    assert outline or ring, f"no visible focus indicator on {active(page)}: {style}"


def tab_to(page: Page, target: Locator, limit: int = 60, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until `target` has the focus.

    Every control the focus passes on the way must show a visible focus indicator.
    """
    key = "Shift+Tab" if backwards else "Tab"
    path = []
    for _ in range(limit):
        if is_focused(target):
            assert_focus_visible(page)
            return
        page.keyboard.press(key)
        path.append(active(page))
        assert_focus_visible(page)
    raise AssertionError(f"{key} x{limit} never reached {target}; focus went: {path}")


def type_into(page: Page, field: Locator, text: str, backwards: bool = False) -> None:
    tab_to(page, field, backwards=backwards)
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(text)


def press_button(page: Page, button: Locator, key: str = "Enter", backwards: bool = False) -> None:
    tab_to(page, button, backwards=backwards)
    page.keyboard.press(key)


def expect_step_heading(page: Page, text: str) -> None:
    """A new step of a flow: focus on its main heading, h1#step-heading."""
    heading = page.locator("h1#step-heading")
    expect(heading).to_have_text(text)
    expect(heading).to_be_focused()


def expect_error_summary(page: Page, message: str) -> None:
    """The summary takes the focus from site.js, for screen readers: it is no control, so
    it shows its red border and no focus ring (test_focus_rings.py); its links, reached
    with Tab, show one."""
    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(message)


def sign_in_by_keyboard(page: Page, email: str, password: str = PASSWORD) -> None:
    type_into(page, page.get_by_label("Email"), email)
    type_into(page, page.get_by_label("Password"), password)
    press_button(page, page.get_by_role("button", name="Sign in", exact=True))


def enroll_by_keyboard(page: Page) -> tuple[str, int]:
    """From the Security page to a verified factor; returns its secret and the step used."""
    press_button(page, page.get_by_role("button", name="Enable MFA"), key="Space")
    expect_step_heading(page, "Set up your authenticator app")

    # Copy the key instead of scanning the QR code.
    shown = re.sub(r"\s", "", page.locator("#secret").inner_text())
    press_button(page, page.get_by_role("button", name="Copy"))
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == shown
    secret = copied

    # A wrong code: focus on the summary, whose link leads back to the field.
    code_field = page.get_by_label("6-digit code")
    type_into(page, code_field, wrong_code(secret))
    page.keyboard.press("Enter")
    expect_error_summary(page, WRONG_CODE)
    press_button(page, page.locator("#error-summary").get_by_role("link", name="6-digit code"))
    expect(page).to_have_url(re.compile(r"#id_code$"))
    expect(code_field).to_be_focused()

    # The right code: the recovery codes step.
    step = totp.step_at(time.time())
    type_into(page, code_field, totp.code_at_step(secret, step))
    page.keyboard.press("Enter")
    expect_step_heading(page, "Save your recovery codes")
    expect(page.locator("ol.recovery-codes li")).to_have_count(10)
    saved = page.get_by_label("I have saved my recovery codes")
    press_button(page, saved, key="Space")
    expect(saved).to_be_checked()
    press_button(page, page.get_by_role("button", name="Done"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    expect(page.get_by_role("cell", name="Verified", exact=True)).to_be_visible()
    return secret, step


def set_app_lock_by_keyboard(page: Page) -> None:
    """App-lock settings: on, 10 minutes, unlock with the password."""
    lock_box = page.get_by_label("Lock the portal when I'm away")
    press_button(page, lock_box, key="Space")
    expect(lock_box).to_be_checked()
    lock_after = page.get_by_label("Lock after")
    tab_to(page, lock_after)
    expect(lock_after).to_have_value("5")
    page.keyboard.press("ArrowDown")
    expect(lock_after).to_have_value("10")
    # A radio group is one Tab stop, on its checked radio; arrows move the choice.
    code_radio = page.get_by_role("radio", name="Authenticator code")
    password_radio = page.get_by_role("radio", name="Password")
    expect(password_radio).to_be_checked()  # the default
    tab_to(page, password_radio)
    page.keyboard.press("ArrowUp")
    expect(code_radio).to_be_checked()
    expect(code_radio).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(password_radio).to_be_checked()
    expect(password_radio).to_be_focused()
    assert_focus_visible(page)
    press_button(page, page.get_by_role("button", name="Save app lock settings"))
    expect(page.get_by_role("status")).to_contain_text("App lock settings saved.")


def test_sign_in_enroll_app_lock_and_remove_with_the_keyboard_alone(
    page: Page, make_patient: Callable[..., User]
) -> None:
    patient = make_patient("keys@example.org", name="Kim Keys")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto("/portal/signin")

    # Sign-in, first with a wrong password: focus goes to the error summary.
    sign_in_by_keyboard(page, patient.email, "not-the-password")
    expect_error_summary(page, "Email or password is incorrect.")
    sign_in_by_keyboard(page, patient.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Kim")

    # "Enable MFA" from the Security page.
    portal_nav = page.get_by_role("navigation", name="Portal")
    press_button(page, portal_nav.get_by_role("link", name="Security"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    secret, step = enroll_by_keyboard(page)
    set_app_lock_by_keyboard(page)

    # Lock now, then unlock with the password: focus on the lock screen's heading.
    press_button(page, page.get_by_role("button", name="Lock now"), backwards=True)
    expect_step_heading(page, "Portal locked")
    type_into(page, page.get_by_label("Password"), PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")

    # Removal, confirmed with a code for a later step than the enrollment's.
    press_button(page, page.get_by_role("button", name="Remove"))
    expect_step_heading(page, "Remove Authenticator app?")
    fresh = max(step + 1, totp.step_at(time.time()))
    type_into(page, page.get_by_label("6-digit code"), totp.code_at_step(secret, fresh))
    press_button(page, page.get_by_role("button", name="Confirm removal"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    expect(page.get_by_role("status")).to_contain_text("Authenticator app was removed.")
    expect(page.get_by_role("button", name="Enable MFA")).to_be_visible()


def test_two_step_sign_in_with_the_keyboard_alone(
    page: Page, make_patient: Callable[..., User]
) -> None:
    patient = make_patient("two-keys@example.org", name="Tom Keys")
    secret = verified_factor(patient)
    page.goto("/portal/signin")
    sign_in_by_keyboard(page, patient.email)
    expect_step_heading(page, "Enter your code")

    code_field = page.get_by_label("6-digit code")
    type_into(page, code_field, wrong_code(secret))
    page.keyboard.press("Enter")
    expect_error_summary(page, WRONG_CODE)
    press_button(page, page.locator("#error-summary").get_by_role("link", name="6-digit code"))
    expect(code_field).to_be_focused()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(code_now(secret))
    press_button(page, page.get_by_role("button", name="Verify"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Tom")


FOCUS_PLACE = """(dialog) => {
  if (!document.hasFocus()) { return "browser UI"; }
  if (dialog.contains(document.activeElement)) { return "dialog"; }
  return "page";
}"""


def focus_place(dialog: Locator) -> str:
    place: str = dialog.evaluate(FOCUS_PLACE)
    return place


def test_the_warning_dialog_traps_focus_and_gives_it_back(
    page: Page, make_patient: Callable[..., User]
) -> None:
    patient = make_patient("dialog-keys@example.org")
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=2)
    page.context.clock.install()
    page.goto("/portal/signin?next=/portal/security")
    sign_in_by_keyboard(page, patient.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")

    before = page.get_by_role("button", name="Save app lock settings")
    tab_to(page, before)
    page.context.clock.run_for("01:02")
    dialog = page.get_by_role("dialog", name="The portal will lock soon")
    expect(dialog).to_be_visible()
    stay = dialog.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    assert_focus_visible(page)

    # Trapped: Tab and Shift+Tab cycle among the dialog's controls. Never the page behind
    # (that is inert), and not out to the browser's own UI either, where a screen reader
    # user would lose the dialog during its last minute.
    for key in ["Tab", "Tab", "Tab", "Shift+Tab", "Shift+Tab", "Shift+Tab"]:
        page.keyboard.press(key)
        place = focus_place(dialog)
        assert place != "page", f"{key} moved the focus behind the dialog, to {active(page)}"
        assert place == "dialog", f"{key} moved the focus out of the dialog, to the {place}"
    tab_to(page, stay, limit=3)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(before).to_be_focused()
    assert_focus_visible(page)
