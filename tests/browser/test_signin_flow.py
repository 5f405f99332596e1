"""A patient signs in through the form, finds the portal navigation and signs out."""

from __future__ import annotations

import re
import threading
import time

from playwright.sync_api import expect

from carekey.accounts import sessions
from carekey.mfa import services as mfa
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


def test_a_late_passkey_options_answer_never_signs_the_password_sign_in_out(
    page, make_patient, monkeypatch
) -> None:
    """The sign-in page asks for passkey options as it loads (the Email field's passkey
    autofill); that answer starts a session and sets its cookie. Here the server holds
    the answer until the signed-in page is asked for (or 2 s): landing while that page
    loads, it would replace the signed-in cookie, and the next page is the sign-in page
    again (seen in CI). The password form waits for the answer first."""
    make_patient("late@example.org")
    asked, answer = threading.Event(), threading.Event()
    real_options, real_touch = mfa.request_options, sessions.touch

    def slow_options(request, user):  # the live server runs in this process
        options = real_options(request, user)
        asked.set()
        answer.wait(2)
        return options

    def first_signed_in_request(request, now):
        if not answer.is_set():
            answer.set()
            time.sleep(0.5)  # the options answer lands while this page loads
        real_touch(request, now)

    monkeypatch.setattr(mfa, "request_options", slow_options)
    monkeypatch.setattr(sessions, "touch", first_signed_in_request)
    page.goto("/portal/signin?next=%2Fportal%2Fsecurity")
    assert asked.wait(10), "the sign-in page asks for passkey options as it loads"
    page.get_by_label("Email").fill("late@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
