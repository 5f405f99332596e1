"""The password lifecycle in a real browser (CONTRACT §7): "Change password" on the Security
page, "Forgot your password?" and the emailed link, with a second browser signed in as the
same patient to show which sessions end.

The live server runs in the test's own process, so pytest-django's `mailoutbox` holds the
emails it sends and time_machine moves its clock too. The link in an email names
CAREKEY_PUBLIC_URL; the browser opens the same path on the live server.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from playwright.sync_api import Browser, Page, Response, expect

from carekey.accounts.models import PortalSession, User
from carekey.audit.models import SecurityEvent
from tests.browser.test_accessibility import sign_in, verified_factor
from tests.conftest import PASSWORD
from tests.mfa_helpers import code_now

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MakePatient = Callable[..., User]

NEW_PASSWORD = "lantern-orchard-quietly-42"
SESSION_COOKIE = "carekey_session"
SENT = "If an account exists for that email, we sent a link to it."
REFUSED = "This link has expired or was already used. Ask for a new one"
LINK_PATH = r"/portal/password/reset/[A-Za-z0-9_-]+"
WRONG_PASSWORD = "Email or password is incorrect."


# --- Helpers shared with test_password_accessibility.py ------------------------------------


def reset_link_paths(message: Any) -> list[str]:
    """The reset links in an email's text body, as paths; each must name the public URL."""
    links: list[str] = re.findall(rf"https?://[^\s/]+{LINK_PATH}", message.body)
    origin = str(django_settings.CAREKEY_PUBLIC_URL).rstrip("/")
    for link in links:
        assert link.startswith(origin + "/"), f"{link} is not on {origin}"
    return [link[len(origin) :] for link in links]


def ask_for_reset(page: Page, email: str) -> None:
    """From the sign-in page: "Forgot your password?", the email, "Send reset link"."""
    page.goto("/portal/signin")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page).to_have_url(re.compile(r"/portal/password/reset$"))
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Send reset link").click()
    expect(page).to_have_url(re.compile(r"/portal/password/reset/sent$"))
    expect(page.get_by_role("status")).to_have_text(SENT)


def newest_reset_link(email: str) -> str:
    """The path of the link in the newest "Reset your password" email to `email`."""
    sent = [m for m in mail.outbox if m.subject == "Reset your password" and m.to == [email]]
    assert sent, f"no reset email to {email}; outbox: {[m.subject for m in mail.outbox]}"
    paths = reset_link_paths(sent[-1])
    assert len(paths) == 1, sent[-1].body
    return paths[0]


def set_new_password(page: Page, password: str, confirmation: str | None = None) -> None:
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("Confirm new password").fill(
        password if confirmation is None else confirmation
    )
    page.get_by_role("button", name="Set new password").click()


def change_password(page: Page, current: str, new: str, confirmation: str | None = None) -> None:
    """On the "Change password" page: fill the three fields and press the button."""
    page.get_by_label("Current password").fill(current)
    page.get_by_label("New password", exact=True).fill(new)
    page.get_by_label("Confirm new password").fill(new if confirmation is None else confirmation)
    page.get_by_role("button", name="Change password").click()


def password_section(page: Page) -> Any:
    return page.locator("section").filter(has=page.locator("h2#password-heading"))


def expect_signed_out(page: Page, path: str = "/portal/security") -> None:
    """A signed-out browser asking for `path` lands on the password step of sign-in."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/portal/signin(\?next=[^&]*)?$"))
    expect(page.get_by_label("Password")).to_be_visible()


def message_box(page: Page) -> Any:
    """The page's messages (the sign-in page has a second status line, for passkeys)."""
    return page.locator(".messages[role=status]")


def session_cookie(page: Page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == SESSION_COOKIE:
            return str(cookie["value"])
    return None


def opened(response: Response | None) -> Response:
    assert response is not None
    return response


# --- A second browser --------------------------------------------------------------------


@pytest.fixture
def other_browser(chromium: Browser, live_server: Any, page: Page) -> Iterator[Page]:
    """A second browser context (its own cookies): another device of the same patient."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- Change password ---------------------------------------------------------------------


def test_change_password_signs_out_the_other_browser_and_only_the_new_password_works(
    page: Page, other_browser: Page, make_patient: MakePatient, mailoutbox: list[Any]
) -> None:
    patient = make_patient("change@example.org")
    sign_in(other_browser, patient.email, next_path="/portal/security")
    expect(other_browser).to_have_url(re.compile(r"/portal/security$"))
    sign_in(page, patient.email, next_path="/portal/security")
    expect(page).to_have_url(re.compile(r"/portal/security$"))

    section = password_section(page)
    expect(section).to_contain_text("Set when your account was created:")
    before = session_cookie(page)
    assert before
    section.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(re.compile(r"/portal/security/password\??$"))  # a GET form
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")
    change_password(page, PASSWORD, NEW_PASSWORD)

    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(message_box(page)).to_have_text(
        "Your password is changed. Your other devices were signed out."
    )
    expect(section).to_contain_text("Last changed:")
    after = session_cookie(page)
    assert after and after != before, "the session id was not rotated"
    page.reload()  # this browser stays signed in, under its new session id
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")

    # The other browser's next page load: the sign-in page.
    expect_signed_out(other_browser)
    assert PortalSession.objects.filter(user=patient).count() == 1

    # The old password no longer works; the new one does.
    sign_in(other_browser, patient.email, PASSWORD)
    expect(other_browser.get_by_role("alert")).to_contain_text(WRONG_PASSWORD)
    sign_in(other_browser, patient.email, NEW_PASSWORD, next_path="/portal/security")
    expect(other_browser).to_have_url(re.compile(r"/portal/security$"))

    changed = [m for m in mailoutbox if m.subject == "Your password was changed"]
    assert len(changed) == 1, [m.subject for m in mailoutbox]
    assert changed[0].to == [patient.email]
    assert SecurityEvent.objects.filter(user=patient, type="password.changed").count() == 1


def test_change_password_without_other_devices_says_only_that_it_changed(
    page: Page, make_patient: MakePatient
) -> None:
    patient = make_patient()
    sign_in(page, patient.email, next_path="/portal/security/password")
    expect(page.get_by_role("heading", level=1)).to_have_text("Change password")
    change_password(page, PASSWORD, NEW_PASSWORD)
    expect(message_box(page)).to_have_text("Your password is changed.")
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)


def test_change_password_refusals_name_the_field_and_keep_the_password(
    page: Page, make_patient: MakePatient
) -> None:
    patient = make_patient("refusals@example.org")
    sign_in(page, patient.email, next_path="/portal/security/password")
    current = page.get_by_label("Current password")
    new = page.get_by_label("New password", exact=True)
    confirm = page.get_by_label("Confirm new password")

    with page.expect_response(re.compile(r"/portal/security/password$")) as answer:
        change_password(page, "not-the-password", NEW_PASSWORD)
    assert answer.value.status == 400
    expect(page.locator("#error-summary")).to_be_focused()
    expect(current).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_current_password_error")).to_have_text(
        "Your current password is not correct."
    )

    change_password(page, PASSWORD, "refusals@example.org1")
    expect(new).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_new_password_error")).to_contain_text(
        "The password is too similar to the email."
    )

    change_password(page, PASSWORD, "password123")
    expect(page.locator("#id_new_password_error")).to_contain_text("This password is too common.")

    change_password(page, PASSWORD, NEW_PASSWORD, confirmation=NEW_PASSWORD + "x")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_confirm_password_error")).to_have_text(
        "The two new passwords are not the same. Type them again."
    )

    patient.refresh_from_db()
    assert patient.check_password(PASSWORD)
    assert patient.password_changed_at is None
    assert SecurityEvent.objects.filter(user=patient, type="password.change_failed").count() == 1


# --- Forgot your password ----------------------------------------------------------------


def test_forgot_password_link_works_once_for_thirty_minutes_and_signs_everyone_out(
    page: Page,
    other_browser: Page,
    make_patient: MakePatient,
    mailoutbox: list[Any],
    live_server: Any,
) -> None:
    patient = make_patient("forgot@example.org")
    sign_in(other_browser, patient.email, next_path="/portal/security")
    expect(other_browser).to_have_url(re.compile(r"/portal/security$"))

    # A known and an unknown email: the same page, word for word.
    ask_for_reset(page, patient.email)
    known = page.locator("main").inner_text()
    ask_for_reset(page, "nobody-here@example.org")
    unknown = page.locator("main").inner_text()
    assert known == unknown
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    assert len(mailoutbox) == 1, [(m.subject, m.to) for m in mailoutbox]
    message = mailoutbox[0]
    assert message.subject == "Reset your password"
    assert message.to == [patient.email]
    paths = reset_link_paths(message)
    assert len(paths) == 1, message.body
    link = paths[0]

    # The link sets a new password, once.
    page.goto(live_server.url + link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set a new password")
    set_new_password(page, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/signin$"))
    expect(message_box(page)).to_have_text("Your new password is set. Sign in with it now.")
    reset_mail = [m for m in mailoutbox if m.subject == "Your password was reset"]
    assert [m.to for m in reset_mail] == [[patient.email]]

    # Every session of the patient has ended, and the browser that used the link has none.
    assert not PortalSession.objects.filter(user=patient).exists()
    expect_signed_out(other_browser)
    expect_signed_out(page)

    # The same link again: refused, with a way to ask for a new one.
    answer = opened(page.goto(live_server.url + link))
    assert answer.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)
    page.get_by_role("link", name="Ask for a new link").click()
    expect(page).to_have_url(re.compile(r"/portal/password/reset$"))

    # The old password fails, the new one works.
    sign_in(page, patient.email, PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text(WRONG_PASSWORD)
    sign_in(page, patient.email, NEW_PASSWORD, next_path="/portal/security")
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    page.context.clear_cookies()

    # A new link works now, and no longer 31 minutes later.
    ask_for_reset(page, patient.email)
    fresh = newest_reset_link(patient.email)
    assert fresh != link
    page.goto(live_server.url + fresh)
    expect(page.get_by_label("New password", exact=True)).to_be_visible()
    with time_machine.travel(time.time() + 31 * 60, tick=True):
        answer = opened(page.goto(live_server.url + fresh))
        assert answer.status == 400
        expect(page.get_by_role("alert")).to_contain_text(REFUSED)
        expect(page.get_by_label("New password", exact=True)).to_have_count(0)
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)


def test_a_newer_link_or_a_tampered_one_is_refused(
    page: Page, make_patient: MakePatient, live_server: Any
) -> None:
    patient = make_patient("twice@example.org")
    ask_for_reset(page, patient.email)
    first = newest_reset_link(patient.email)
    ask_for_reset(page, patient.email)
    second = newest_reset_link(patient.email)
    assert first != second

    for dead in (first, second[:-2] + ("AA" if not second.endswith("AA") else "BB")):
        answer = opened(page.goto(live_server.url + dead))
        assert answer.status == 400, dead
        expect(page.get_by_role("alert")).to_contain_text(REFUSED)

    # Filling the form on a superseded link's page is refused too; the newest link works.
    page.goto(live_server.url + second)
    set_new_password(page, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/signin$"))
    patient.refresh_from_db()
    assert patient.check_password(NEW_PASSWORD)


# --- A reset never skips the second step --------------------------------------------------


def test_reset_with_an_authenticator_signs_everyone_out_and_still_asks_for_the_code(
    page: Page, make_patient: MakePatient, live_server: Any
) -> None:
    patient = make_patient("with-code@example.org")
    secret = verified_factor(patient)

    # Signed in fully in this very browser, then a reset from it.
    sign_in(page, patient.email, next_path="/portal/security")
    expect(page).to_have_url(re.compile(r"/portal/signin/verify"))
    page.get_by_label("6-digit code").fill(code_now(secret))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/portal/security$"))

    ask_for_reset(page, patient.email)
    page.goto(live_server.url + newest_reset_link(patient.email))
    set_new_password(page, NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/portal/signin$"))

    # The reset left no session at all: not even a half one waiting for the code.
    assert not PortalSession.objects.filter(user=patient).exists()
    expect_signed_out(page, "/portal/")
    expect_signed_out(page, "/portal/signin/verify")

    # The new password leads to the code step, and only the code opens the portal.
    with time_machine.travel(time.time() + 60, tick=True):  # a new code step
        sign_in(page, patient.email, NEW_PASSWORD, next_path="/portal/security")
        expect(page).to_have_url(re.compile(r"/portal/signin/verify\?next=%2Fportal%2Fsecurity$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
        page.goto("/portal/security")
        expect(page).to_have_url(re.compile(r"/portal/signin/verify\?next="))
        page.get_by_label("6-digit code").fill(code_now(secret))
        page.get_by_role("button", name="Verify").click()
        expect(page).to_have_url(re.compile(r"/portal/security$"))
        expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
