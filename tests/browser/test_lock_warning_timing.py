"""When the app-lock warning appears: a minute before the lock, or half-way for a 1-minute lock.

A 1-minute lock used to warn one second after "Save app lock settings" and again a second
after every page load (its warning time was "a minute before a lock a minute away": now).
Playwright's clock moves the page's time; the server's own lock runs on real time and is
never reached here.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from tests.conftest import PASSWORD

SHOTS = os.environ.get("CAREKEY_UI_SHOTS", "")  # a folder to keep screenshots in, if set
WARNING = "The portal will lock soon"


@pytest.fixture
def clocked_page(chromium: Any, live_server: Any, transactional_db: None) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    context.clock.install()
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, patient: User, next_path: str = "/portal/security") -> None:
    page.goto(f"/portal/signin?next={next_path}")
    page.get_by_label("Email").fill(patient.email)
    page.get_by_label("Password").fill(PASSWORD)
    # The form posts once the page's passkey options request has answered (passkeys.js):
    # wait for that navigation, or a goto right after would be aborted by it.
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()


def countdown(page: Page) -> int:
    return int(page.locator("#lock-warning [data-countdown]").inner_text())


def shoot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=os.path.join(SHOTS, f"{name}-{width}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_one_minute_lock_saved_on_the_page_warns_at_half_time_not_at_once(
    clocked_page: Page, make_patient: Callable[..., User], fast_password_hashing: None
) -> None:
    page = clocked_page
    sign_in(page, make_patient("minute@example.org"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    page.get_by_label("Lock the portal when I'm away").check()
    page.get_by_label("Lock after").select_option(label="1 minute")
    page.get_by_role("button", name="Save app lock settings").click()
    expect(page.get_by_text("App lock settings saved.")).to_be_visible()

    warning = page.get_by_role("dialog", name=WARNING)
    page.clock.run_for("00:05")
    expect(warning).to_be_hidden()  # it used to be open by now
    page.clock.run_for("00:22")
    expect(warning).to_be_hidden()
    page.clock.run_for("00:05")  # 32 s idle: past half of the minute
    expect(warning).to_be_visible()
    assert 20 <= countdown(page) <= 30, countdown(page)
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_focused()
    shoot(page, "lock-warning-1-minute")


def test_a_one_minute_lock_does_not_warn_again_on_every_page_load(
    clocked_page: Page, make_patient: Callable[..., User], fast_password_hashing: None
) -> None:
    patient = make_patient("reload@example.org")
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=1)
    page = clocked_page
    sign_in(page, patient, "/portal/")
    warning = page.get_by_role("dialog", name=WARNING)
    for path in ("/portal/security", "/portal/", "/portal/security"):
        page.goto(path)
        expect(page.locator("#portal-content")).to_have_attribute("data-app-lock-seconds", "60")
        page.clock.run_for("00:10")
        expect(warning).to_be_hidden()


def test_a_longer_lock_warns_one_minute_before_it(
    clocked_page: Page, make_patient: Callable[..., User], fast_password_hashing: None
) -> None:
    patient = make_patient("two@example.org")
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=2)
    page = clocked_page
    sign_in(page, patient)
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    warning = page.get_by_role("dialog", name=WARNING)
    page.clock.run_for("00:55")
    expect(warning).to_be_hidden()
    page.clock.run_for("00:07")  # 62 s idle: 58 s before the lock
    expect(warning).to_be_visible()
    assert 50 <= countdown(page) <= 60, countdown(page)
