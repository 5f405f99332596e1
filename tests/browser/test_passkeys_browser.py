"""Passkeys in a real browser, Chromium's own WebAuthn with its virtual authenticator
(tests/browser/passkey_helpers.py): add one, sign in with it alone or after the password,
let the Email field offer it, confirm a change, a removal and an unlock with it, add one
with the keyboard alone; and without JavaScript, no passkey button and the password works.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from carekey.mfa.models import Factor, Passkey
from tests.browser.passkey_helpers import (
    Authenticator,
    b64url_to_b64,
    click_passkey,
    events,
    factor_row,
    open_sign_in,
    passkey_from_api,
    press_passkey,
    session_of,
    sign_in_with_passkey,
    sign_in_with_password,
    sign_out,
    virtual_authenticator,
)
from tests.browser.test_keyboard import expect_step_heading, press_button, type_into
from tests.conftest import PASSWORD
from tests.mfa_helpers import enroll_and_verify

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MakePatient = Callable[..., User]
RECOVERY_CODE = re.compile(r"^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$")
NO_JAVASCRIPT = (
    "Passkeys need JavaScript and a browser that supports them, so that button is not "
    "shown here. The other ways on this page still work."
)


# --- Done when 1: add a passkey, then sign in with it alone and as the second step ------


def test_add_a_passkey_then_sign_in_with_it_alone_and_after_the_password(
    page: Page, authenticator: Authenticator, make_patient: MakePatient
) -> None:
    patient = make_patient("first-passkey@example.org")
    sign_in_with_password(page, patient.email, next_path="/portal/security")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page).to_have_url(re.compile(r"/portal/security/passkeys/new\??$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    page.get_by_label("Name").fill("Work laptop")
    click_passkey(page, authenticator, "Create passkey")

    # Chromium made a discoverable credential for this site and this patient.
    made = authenticator.only_credential()
    assert made["isResidentCredential"] is True
    assert made["rpId"] == "localhost"
    assert made["userName"] == patient.email

    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")
    codes = [text.strip() for text in page.locator("ol.recovery-codes li").all_inner_texts()]
    assert len(codes) == 10 and all(RECOVERY_CODE.fullmatch(code) for code in codes), codes
    page.get_by_label("I have saved my recovery codes").check()
    page.get_by_role("button", name="Done").click()
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    row = factor_row(page, "Work laptop")
    expect(row.get_by_role("cell", name="Passkey", exact=True)).to_be_visible()
    expect(row.get_by_role("cell", name="Verified", exact=True)).to_be_visible()
    stored = Passkey.objects.get(factor__user=patient)
    assert stored.factor.factor_type == "webauthn"
    assert stored.factor.status == Factor.Status.VERIFIED
    assert b64url_to_b64(stored.credential_id) == made["credentialId"]
    assert events(patient, "mfa.factor.verified")[0]["factor_type"] == "webauthn"

    # "Sign in with a passkey": no password, aal2 at once.
    sign_out(page)
    sign_in_with_passkey(page, authenticator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana")
    session = session_of(page)
    assert session["aal"] == "aal2", session
    assert session["user"]["email"] == patient.email
    assert {"method": "passkey"} in events(patient, "signin.succeeded")

    # The password, then "Use a passkey" on the verify step.
    sign_out(page)
    sign_in_with_password(page, patient.email, next_path="/portal/security")
    expect(page).to_have_url(re.compile(r"/portal/signin/verify\?next=%2Fportal%2Fsecurity$"))
    assert session_of(page)["aal"] == "aal1"
    click_passkey(page, authenticator, "Use a passkey")
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    assert session_of(page)["aal"] == "aal2"
    succeeded = events(patient, "mfa.challenge.succeeded")
    assert {"purpose": "sign_in", "method": "passkey"} in succeeded, succeeded
    assert authenticator.only_credential()["signCount"] == stored.sign_count + 2


def test_the_email_field_offers_the_passkey(
    page: Page, authenticator: Authenticator, with_passkey: User
) -> None:
    """Conditional UI: the page asks with mediation "conditional" as it loads; Chromium's
    virtual authenticator, present, answers as a patient picking the passkey would."""
    open_sign_in(page)  # presence off: the request waits, as for a patient who types
    expect(page.get_by_label("Email")).to_have_attribute("autocomplete", "username webauthn")
    authenticator.presence(True)
    with page.expect_navigation(url=re.compile(r"/portal/$")):
        page.reload()
    assert session_of(page)["aal"] == "aal2"
    assert {"method": "passkey"} in events(with_passkey, "signin.succeeded")


# --- Done when 3: reauthentication, removal and unlock with a passkey ------------------


def test_a_passkey_confirms_it_is_you_before_adding_an_authenticator_app(
    page: Page, authenticator: Authenticator, with_passkey: User
) -> None:
    sign_in_with_passkey(page, authenticator, next_path="/portal/security")
    with time_machine.travel(time.time() + 6 * 60, tick=True):  # the 5 minutes are over
        page.get_by_role("button", name="Add authenticator app").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
        click_passkey(page, authenticator, "Use a passkey")
        expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    reauthenticated = events(with_passkey, "mfa.challenge.succeeded")
    assert {"purpose": "reauthenticate", "method": "passkey"} in reauthenticated


def test_a_second_passkey_after_the_five_minutes_asks_for_the_first_one(
    page: Page, authenticator: Authenticator, with_passkey: User, live_server: Any, settings: Any
) -> None:
    """The add page stayed open past the 5 minutes: "Create passkey" leads to the confirm
    page, the first passkey confirms, and a security key becomes the second passkey."""
    sign_in_with_passkey(page, authenticator, next_path="/portal/security/passkeys/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    with time_machine.travel(time.time() + 6 * 60, tick=True):
        page.get_by_label("Name").fill("Security key")
        page.get_by_role("button", name="Create passkey").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
        click_passkey(page, authenticator, "Use a passkey")
        expect(page).to_have_url(re.compile(r"/portal/security/passkeys/new$"))

        authenticator.unplug()
        key = virtual_authenticator(page, live_server, settings, transport="usb")
        page.get_by_label("Name").fill("Security key")
        click_passkey(page, key, "Create passkey")
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("status")).to_contain_text("Your passkey Security key is added.")
    for name in ("Phone", "Security key"):
        expect(
            factor_row(page, name).get_by_role("cell", name="Passkey", exact=True)
        ).to_be_visible()
    assert len(key.credentials()) == 1
    assert Passkey.objects.filter(factor__user=with_passkey).count() == 2


def test_a_passkey_confirms_removing_an_authenticator_app(
    page: Page,
    authenticator: Authenticator,
    make_patient: MakePatient,
    live_server: Any,
) -> None:
    patient = make_patient()
    api = passkey_from_api(patient, authenticator, live_server.url)
    app = enroll_and_verify(api, "Old phone")
    sign_in_with_passkey(page, authenticator, next_path="/portal/security")
    factor_row(page, "Old phone").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Old phone?")
    expect(page.get_by_text("To confirm it's you, use a passkey or enter a code")).to_be_visible()
    click_passkey(page, authenticator, "Use a passkey")
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("status")).to_contain_text("Old phone was removed.")
    expect(factor_row(page, "Old phone")).to_have_count(0)
    assert not Factor.objects.filter(pk=app.factor_id).exists()
    assert Factor.objects.filter(user=patient, factor_type="webauthn").count() == 1


def test_a_passkey_unlocks_the_locked_portal(
    page: Page, authenticator: Authenticator, with_passkey: User
) -> None:
    AppLockPreference.objects.create(user=with_passkey, enabled=True, timeout_minutes=5)
    sign_in_with_passkey(page, authenticator, next_path="/portal/security")
    page.get_by_role("button", name="Lock now").click()  # POST /portal/lock
    expect(page).to_have_url(re.compile(r"/portal/locked\?next=%2Fportal%2Fsecurity$"))
    assert session_of(page)["locked"] is True
    page.goto("/portal/security")  # locked: nothing opens
    expect(page).to_have_url(re.compile(r"/portal/locked\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Portal locked")
    click_passkey(page, authenticator, "Unlock with a passkey")
    expect(page).to_have_url(re.compile(r"/portal/security$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    assert session_of(page)["locked"] is False


# --- Done when 5: the keyboard alone, and without JavaScript ------------------------------


def test_add_a_passkey_with_the_keyboard_alone(
    page: Page, authenticator: Authenticator, make_patient: MakePatient
) -> None:
    """After the first page.goto, only Tab, typing and Enter (see test_keyboard.py)."""
    patient = make_patient("keys@example.org")
    page.goto("/portal/signin?next=/portal/security")
    type_into(page, page.get_by_label("Email"), patient.email)
    type_into(page, page.get_by_label("Password"), PASSWORD)
    press_button(page, page.get_by_role("button", name="Sign in", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")

    press_button(page, page.get_by_role("button", name="Add a passkey"))
    expect_step_heading(page, "Add a passkey")
    type_into(page, page.get_by_label("Name"), "Desk computer")
    create = page.get_by_role("button", name="Create passkey")
    press_passkey(page, authenticator, lambda: press_button(page, create))

    expect_step_heading(page, "Save your recovery codes")
    assert Passkey.objects.get(factor__user=patient).factor.friendly_name == "Desk computer"
    assert len(authenticator.credentials()) == 1


def test_without_javascript_no_passkey_button_and_the_password_still_works(
    chromium: Any, live_server: Any, transactional_db: None, make_patient: MakePatient
) -> None:
    patient = make_patient("no-js-passkey@example.org")
    context = chromium.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    try:
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto("/portal/signin")
        expect(page.locator("[data-passkey]")).to_be_hidden()
        expect(page.get_by_role("button", name="Sign in with a passkey")).to_have_count(0)
        expect(page.get_by_text(NO_JAVASCRIPT)).to_be_visible()

        sign_in_with_password(page, patient.email, next_path="/portal/security/passkeys/new")
        expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
        expect(page.get_by_role("button", name="Create passkey")).to_have_count(0)
        expect(page.get_by_text(NO_JAVASCRIPT)).to_be_visible()
    finally:
        context.close()
