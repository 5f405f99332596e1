"""App lock in a real browser with Playwright's clock: warning, stay, lock, unlock, two tabs."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from carekey.applock.models import AppLockPreference
from tests.conftest import PASSWORD


def test_warning_stay_lock_and_unlock_across_tabs(
    chromium, live_server, transactional_db, make_patient
) -> None:
    patient = make_patient("lock@example.org", name="Lena Park")
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=2)
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.clock.install()
    try:
        page = context.new_page()
        page.goto("/portal/signin?next=/portal/security")
        page.get_by_label("Email").fill(patient.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
        expect(page.get_by_role("button", name="Lock now")).to_be_visible()

        second = context.new_page()
        second.goto("/portal/")
        expect(second.get_by_role("heading", level=1)).to_contain_text("Welcome")

        warning = page.get_by_role("dialog", name="The portal will lock soon")
        context.clock.run_for("01:02")
        expect(warning).to_be_visible()
        stay = warning.get_by_role("button", name="Stay signed in")
        expect(stay).to_be_focused()
        stay.click()
        expect(warning).to_be_hidden()

        context.clock.run_for("01:02")  # the warning restarted from "Stay signed in"
        expect(warning).to_be_visible()
        context.clock.run_for("01:05")
        expect(page).to_have_url(re.compile(r"/portal/locked\?next=%2Fportal%2Fsecurity$"))
        expect(second).to_have_url(re.compile(r"/portal/locked\?next="))
        expect(page.get_by_role("heading", level=1)).to_have_text("Portal locked")
        expect(page.get_by_text("Lena")).to_be_visible()

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Unlock").click()
        expect(page).to_have_url(re.compile(r"/portal/security$"))
        expect(second).to_have_url(re.compile(r"/portal/$"))

        page.get_by_role("button", name="Lock now").click()  # one tab's lock locks all
        expect(page).to_have_url(re.compile(r"/portal/locked\?next="))
        expect(second).to_have_url(re.compile(r"/portal/locked\?next="))
    finally:
        context.close()


def test_content_is_hidden_at_the_lock(
    chromium, live_server, transactional_db, make_patient
) -> None:
    patient = make_patient("hide@example.org")
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=1)
    context = chromium.new_context(base_url=live_server.url)
    context.clock.install()
    try:
        page = context.new_page()
        page.goto("/portal/signin")
        page.get_by_label("Email").fill(patient.email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        # Hold the lock request so the hidden page can be observed before it navigates away.
        page.route("**/portal/lock", lambda route: None)
        context.clock.run_for("01:02")
        expect(page.locator("body")).to_have_class(re.compile("is-locked"))
        expect(page.get_by_role("heading", level=1)).to_be_hidden()
    finally:
        context.close()
