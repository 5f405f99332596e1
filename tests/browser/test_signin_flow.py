"""A patient signs in through the form, finds the portal navigation and signs out."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.conftest import PASSWORD


def test_sign_in_see_navigation_sign_out(page, make_patient) -> None:
    make_patient("browser@example.org")
    page.goto("/portal/security")
    expect(page).to_have_url(re.compile(r"/portal/signin\?next=%2Fportal%2Fsecurity$"))

    page.get_by_label("Email").fill("browser@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    nav = page.get_by_role("navigation", name="Portal")
    expect(nav.get_by_role("link", name="Home")).to_be_visible()
    expect(nav.get_by_role("link", name="Security")).to_have_attribute("aria-current", "page")

    nav.get_by_role("link", name="Home").click()
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/portal/signin$"))
    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/portal/signin\?next="))


def test_wrong_password_shows_the_generic_message(page, make_patient) -> None:
    make_patient("browser2@example.org")
    page.goto("/portal/signin")
    page.get_by_label("Email").fill("browser2@example.org")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Email or password is incorrect.")
    expect(page.locator("#error-summary")).to_be_focused()
