"""axe-core on every page state passkeys brought: zero WCAG 2.1 A and AA violations.

As in test_accessibility.py: one test per state, so a failure names it, and the check for
labels and descriptions that point at ids the page lacks. The states run with Chromium's
virtual authenticator (tests/browser/passkey_helpers.py), so the passkey buttons are shown
as a patient's browser shows them. The add page and the sign-in page are shared with
test_small_screens.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from tests.browser.passkey_helpers import (
    Authenticator,
    click_passkey,
    factor_row,
    open_sign_in,
    passkey_from_api,
    sign_in_with_passkey,
    sign_in_with_password,
    virtual_authenticator,
)
from tests.browser.test_accessibility import assert_accessible
from tests.mfa_helpers import enroll_and_verify

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MakePatient = Callable[..., User]


@dataclass
class Visit:
    page: Page
    authenticator: Authenticator
    make_patient: MakePatient
    origin: str

    def patient_with_passkey(self, name: str = "Phone") -> tuple[User, Any]:
        patient = self.make_patient()
        return patient, passkey_from_api(patient, self.authenticator, self.origin, name)


# --- States also laid out at every width (test_small_screens.py) -------------------------


def passkey_add(page: Page, make_patient: MakePatient) -> None:
    """ "Add a passkey" for a patient with no factor yet: "Name" and "Create passkey"."""
    sign_in_with_password(page, make_patient().email, next_path="/portal/security")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    expect(page.get_by_role("button", name="Create passkey")).to_be_visible()


def sign_in_with_passkey_section(page: Page, make_patient: MakePatient) -> None:
    open_sign_in(page)
    expect(page.get_by_role("heading", level=2)).to_have_text("Or use a passkey")


# --- The states ---------------------------------------------------------------------------


def add_page(visit: Visit) -> None:
    passkey_add(visit.page, visit.make_patient)


def add_refused_already_on_device(visit: Visit) -> None:
    visit.patient_with_passkey()
    sign_in_with_passkey(visit.page, visit.authenticator, "/portal/security/passkeys/new")
    click_passkey(visit.page, visit.authenticator, "Create passkey")
    expect(visit.page.locator("#error-summary")).to_be_focused()


def add_name_taken(visit: Visit) -> None:
    """The options call refuses the name: passkeys.js says so in its status line."""
    visit.patient_with_passkey("Phone")
    sign_in_with_passkey(visit.page, visit.authenticator, "/portal/security/passkeys/new")
    visit.page.get_by_label("Name").fill("phone")
    visit.page.get_by_role("button", name="Create passkey").click()
    status = visit.page.locator(".passkey-status")
    expect(status).to_have_text(
        "You already have an authenticator with that name. Choose another name."
    )
    expect(status).to_be_focused()


def sign_in_page(visit: Visit) -> None:
    sign_in_with_passkey_section(visit.page, visit.make_patient)


def sign_in_refused(visit: Visit) -> None:
    visit.patient_with_passkey()
    visit.authenticator.remove(visit.authenticator.only_credential()["credentialId"])
    open_sign_in(visit.page)
    click_passkey(visit.page, visit.authenticator, "Sign in with a passkey")
    expect(visit.page.locator("#error-summary")).to_be_focused()


def verify_passkey_only(visit: Visit) -> None:
    patient, _ = visit.patient_with_passkey()
    sign_in_with_password(visit.page, patient.email)
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    expect(visit.page.get_by_role("button", name="Use a passkey")).to_be_visible()


def verify_passkey_and_app(visit: Visit) -> None:
    patient, api = visit.patient_with_passkey()
    enroll_and_verify(api)
    sign_in_with_password(visit.page, patient.email)
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    expect(visit.page.get_by_role("button", name="Use a passkey")).to_be_visible()
    expect(visit.page.get_by_label("6-digit code")).to_be_visible()


def reauthentication(visit: Visit) -> None:
    visit.patient_with_passkey()
    sign_in_with_passkey(visit.page, visit.authenticator, "/portal/security")
    with time_machine.travel(time.time() + 6 * 60, tick=True):
        visit.page.get_by_role("button", name="Add authenticator app").click()
        expect(visit.page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")
    expect(visit.page.get_by_role("button", name="Use a passkey")).to_be_visible()


def remove_confirmation(visit: Visit) -> None:
    visit.patient_with_passkey("Phone")
    sign_in_with_passkey(visit.page, visit.authenticator, "/portal/security")
    factor_row(visit.page, "Phone").get_by_role("button", name="Remove").click()
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("Remove Phone?")
    expect(visit.page.get_by_role("button", name="Use a passkey")).to_be_visible()


def locked(visit: Visit) -> None:
    patient, _ = visit.patient_with_passkey()
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=5)
    sign_in_with_passkey(visit.page, visit.authenticator, "/portal/security")
    visit.page.get_by_role("button", name="Lock now").click()
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("Portal locked")
    expect(visit.page.get_by_role("button", name="Unlock with a passkey")).to_be_visible()


STATES: dict[str, Callable[[Visit], None]] = {
    "passkey-add": add_page,
    "passkey-add-already-on-this-device": add_refused_already_on_device,
    "passkey-add-name-taken": add_name_taken,
    "sign-in-with-passkey-section": sign_in_page,
    "sign-in-passkey-refused": sign_in_refused,
    "verify-step-passkey-only": verify_passkey_only,
    "verify-step-passkey-and-app": verify_passkey_and_app,
    "reauthentication-with-passkey": reauthentication,
    "remove-confirmation-with-passkey": remove_confirmation,
    "locked-with-passkey": locked,
}


@pytest.mark.parametrize("state", list(STATES))
def test_no_wcag_violations_with_passkeys(
    page: Page, make_patient: MakePatient, live_server: Any, settings: Any, state: str
) -> None:
    authenticator = virtual_authenticator(page, live_server, settings)
    STATES[state](Visit(page, authenticator, make_patient, live_server.url))
    assert_accessible(page, state)
