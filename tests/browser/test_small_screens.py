"""Layout: every main state at 320 px wide (WCAG 1.4.10 reflow), at 200% zoom (a 1280 px
window at 200% lays out like a 640 px one) and at 1280 px, with no horizontal scrolling; the
QR code at least 200 CSS px square and inside the window at every width.

With CAREKEY_SCREENSHOTS=1 the states are also saved to docs/screenshots/ at 320 and
1280 px; otherwise the tests write no files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.test_accessibility import (
    QR_CODE,
    MakePatient,
    State,
    admin_reset_mfa,
    app_lock_settings,
    enrollment_wrong_code,
    home,
    lock_warning,
    locked_wrong_password,
    recovery_codes,
    remove_confirmation,
    security_with_factors,
    signin_wrong_password,
    verify_step,
)
from tests.browser.test_passkeys_accessibility import passkey_add, sign_in_with_passkey_section
from tests.browser.test_password_accessibility import (
    password_change_wrong_current,
    password_reset_link_mismatch,
    password_reset_link_refused,
    password_reset_request,
    password_reset_sent,
    sign_in_after_reset,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
PHONE, ZOOM_200, DESKTOP = 320, 640, 1280
HEIGHTS = {PHONE: 640, ZOOM_200: 450, DESKTOP: 900}
QR_MIN = 200

MAIN_STATES: dict[str, State] = {
    "sign-in": sign_in_with_passkey_section,
    "sign-in-error": signin_wrong_password,
    "verify": verify_step,
    "home": home,
    "enrollment": enrollment_wrong_code,
    "passkey-add": passkey_add,
    "recovery-codes": recovery_codes,
    "security": security_with_factors,
    "remove": remove_confirmation,
    "app-lock": app_lock_settings,
    "locked": locked_wrong_password,
    "lock-warning": lock_warning,
    "admin-reset-mfa": admin_reset_mfa,
    "password-change-error": password_change_wrong_current,
    "password-reset": password_reset_request,
    "password-reset-sent": password_reset_sent,
    "password-reset-link-error": password_reset_link_mismatch,
    "password-reset-refused": password_reset_link_refused,
    "sign-in-after-reset": sign_in_after_reset,
}

OVERFLOW = """() => {
  const width = window.innerWidth;
  const wider = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && (box.right > width + 0.5 || box.left < -0.5)) {
      const style = getComputedStyle(el);
      if (style.position === "absolute" && box.right < 0) { continue; }  // parked off-screen
      wider.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`
        + `${el.className && typeof el.className === "string" ? "." + el.className.trim()
        .replace(/\\s+/g, ".") : ""} [${Math.round(box.left)}..${Math.round(box.right)}]`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    wider: wider.slice(0, 8),
  };
}"""


def screenshots_wanted() -> bool:
    return os.environ.get("CAREKEY_SCREENSHOTS") == "1"


def check_reflow(page: Page, state: str, width: int) -> list[str]:
    page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
    layout = page.evaluate(OVERFLOW)
    problems = []
    if layout["scrollWidth"] > layout["innerWidth"]:
        problems.append(
            f"{state} at {width} px scrolls sideways: the page is {layout['scrollWidth']} px "
            f"wide in a {layout['innerWidth']} px window; too wide: {layout['wider']}"
        )
    qr = page.get_by_role("img", name=QR_CODE)
    if state == "enrollment":
        assert qr.count() == 1, "the enrollment step shows no QR code"
    if qr.count():
        box = qr.bounding_box()
        assert box is not None, f"{state}: the QR code is not rendered at {width} px"
        if box["width"] < QR_MIN or box["height"] < QR_MIN:
            problems.append(
                f"{state} at {width} px: the QR code is {box['width']:.0f}x"
                f"{box['height']:.0f} CSS px, under {QR_MIN}x{QR_MIN}"
            )
        if box["x"] < 0 or box["x"] + box["width"] > layout["innerWidth"]:
            problems.append(
                f"{state} at {width} px: the QR code spans {box['x']:.0f}.."
                f"{box['x'] + box['width']:.0f}, outside the window"
            )
    if screenshots_wanted() and width in (PHONE, DESKTOP):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{state}-{width}.png"), full_page=True)
    return problems


@pytest.mark.parametrize("state", list(MAIN_STATES))
def test_no_horizontal_scrolling_at_320_px_or_200_percent_zoom(
    page: Page, make_patient: MakePatient, state: str
) -> None:
    MAIN_STATES[state](page, make_patient)
    problems = [
        problem
        for width in (PHONE, ZOOM_200, DESKTOP)
        for problem in check_reflow(page, state, width)
    ]
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)
