"""Focus rings (issue 17, item 2): the focus a script moves to a page's heading or error
summary, for screen readers, shows no ring, whether the patient came by mouse or keyboard;
a control reached with Tab shows a clear one; the error summary has its one red border."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import (
    MakePatient,
    enrollment,
    enrollment_wrong_code,
    secret_on_page,
    security_no_factor,
    verify_step,
)
from tests.browser.test_keyboard import tab_to
from tests.mfa_helpers import wrong_code

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const side = (name) => parseFloat(style[`border${name}Width`]) || 0;
  return {
    element: `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}`,
    focusVisible: el.matches(":focus-visible"),
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth) || 0,
    boxShadow: style.boxShadow,
    borders: ["Top", "Right", "Bottom", "Left"].map(side),
    borderStyle: style.borderTopStyle,
  };
}"""


def focused(page: Page) -> dict[str, Any]:
    found: dict[str, Any] = page.evaluate(FOCUSED)
    return found


def assert_no_ring(page: Page, element: str) -> dict[str, Any]:
    style = focused(page)
    assert style["element"] == element, style
    assert style["focusVisible"] is False, f"{element} matches :focus-visible: {style}"
    assert style["outline"] == 0, f"{element} draws an outline: {style}"
    assert style["boxShadow"] == "none", f"{element} draws a ring: {style}"
    return style


def assert_ring(page: Page) -> None:
    style = focused(page)
    assert style["focusVisible"] is True, style
    assert style["outline"] >= 2 and style["boxShadow"] != "none", style


def test_a_mouse_user_sees_no_ring_on_the_heading_a_page_focuses(
    page: Page, make_patient: MakePatient
) -> None:
    verify_step(page, make_patient)  # signed in with clicks; the code step focuses its h1
    expect(page.locator("h1#step-heading")).to_be_focused()
    assert_no_ring(page, "h1#step-heading")


def test_a_keyboard_user_sees_no_ring_on_the_heading_but_one_on_each_control_tabbed_to(
    page: Page, make_patient: MakePatient
) -> None:
    security_no_factor(page, make_patient)
    tab_to(page, page.get_by_role("button", name="Enable MFA"))  # each stop shows a ring
    page.keyboard.press("Enter")
    expect(page.locator("h1#step-heading")).to_be_focused()
    assert_no_ring(page, "h1#step-heading")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Open in your authenticator app")).to_be_focused()
    assert_ring(page)


def test_the_error_summary_has_one_border_and_no_ring(
    page: Page, make_patient: MakePatient
) -> None:
    enrollment_wrong_code(page, make_patient)  # the code sent with a click
    expect(page.locator("#error-summary")).to_be_focused()
    style = assert_no_ring(page, "div#error-summary")
    assert style["borders"] == [3, 3, 3, 3] and style["borderStyle"] == "solid", style


def test_the_error_summary_after_a_keyboard_submit_has_no_ring_and_its_link_has_one(
    page: Page, make_patient: MakePatient
) -> None:
    enrollment(page, make_patient)
    code = page.get_by_label("6-digit code")
    code.fill(wrong_code(secret_on_page(page)))
    code.press("Enter")
    expect(page.locator("#error-summary")).to_be_focused()
    assert_no_ring(page, "div#error-summary")

    page.keyboard.press("Tab")
    summary_link = page.locator("#error-summary").get_by_role("link")
    expect(summary_link).to_be_focused()
    assert_ring(page)
