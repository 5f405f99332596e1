"""axe-core on every page in every state: zero WCAG 2.1 A and AA violations, of any impact.

axe-core comes from the npm registry (scripts/install-axe.sh, which `make test` runs first)
and reaches the page from a local file (tests/browser/axe.py), never from a CDN. One test
per state, so a failure names the state; the message lists each rule, its impact and the
offending elements.

The state builders below are shared with test_small_screens.py.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from urllib.parse import quote

import pytest
import time_machine
from playwright.sync_api import Page, expect

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from carekey.core import totp
from tests.browser.axe import describe, run_axe
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import code_now, enroll, enroll_and_verify, wrong_code

MakePatient = Callable[..., User]
State = Callable[[Page, MakePatient], None]

QR_CODE = re.compile("^QR code")

pytestmark = pytest.mark.usefixtures("fast_password_hashing")


# --- Ways into the portal --------------------------------------------------------------


def sign_in(page: Page, email: str, password: str = PASSWORD, next_path: str = "") -> None:
    page.goto("/portal/signin" + (f"?next={quote(next_path)}" if next_path else ""))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def verified_factor(user: User, spare: bool = False) -> str:
    """Verify an authenticator from a test client, as if a few steps ago; return its secret.

    Verifying signs out the patient's other sessions, so this runs before the browser signs
    in; and as the enrollment code was for an earlier step, the browser's code now is new.
    With `spare`, a second, unverified authenticator "Spare phone" is added too.
    """
    with time_machine.travel(time.time() - 90, tick=False):
        setup = ApiClient()
        setup.sign_in(user.email)
        secret = enroll_and_verify(setup).secret
        if spare:
            enroll(setup, "Spare phone")
    return secret


def sign_in_with_code(page: Page, user: User, secret: str, next_path: str = "") -> None:
    sign_in(page, user.email, next_path=next_path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_label("6-digit code").fill(code_now(secret))
    page.get_by_role("button", name="Verify").click()
    expect(page).not_to_have_url(re.compile(r"/portal/signin"))


def secret_on_page(page: Page) -> str:
    return re.sub(r"\s", "", page.locator("#secret").inner_text())


def make_staff(make_patient: MakePatient) -> User:
    staff = make_patient("desk@clinic.example", name="Dana Desk")
    staff.is_staff = True
    staff.is_superuser = True
    staff.save()
    return staff


# --- The states -----------------------------------------------------------------------


def signin_empty(page: Page, make_patient: MakePatient) -> None:
    page.goto("/portal/signin")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to your patient portal")


def signin_wrong_password(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    sign_in(page, patient.email, password="not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("Email or password is incorrect.")


def signin_missing_fields(page: Page, make_patient: MakePatient) -> None:
    page.goto("/portal/signin")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")


def verify_step(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    verified_factor(patient)
    sign_in(page, patient.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")


def verify_wrong_code(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    secret = verified_factor(patient)
    sign_in(page, patient.email)
    page.get_by_label("6-digit code").fill(wrong_code(secret))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#error-summary")).to_be_focused()


def verify_recovery_code(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    verified_factor(patient)
    sign_in(page, patient.email)
    page.get_by_role("link", name="Use a recovery code").click()
    expect(page.get_by_label("Recovery code")).to_be_visible()


def home(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    sign_in(page, patient.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana")


def security_no_factor(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    sign_in(page, patient.email, next_path="/portal/security")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    expect(page.get_by_role("button", name="Enable MFA")).to_be_visible()


def enrollment(page: Page, make_patient: MakePatient) -> None:
    security_no_factor(page, make_patient)
    page.get_by_role("button", name="Enable MFA").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up your authenticator app")
    expect(page.get_by_role("img", name=QR_CODE)).to_be_visible()


def enrollment_wrong_code(page: Page, make_patient: MakePatient) -> None:
    enrollment(page, make_patient)
    page.get_by_label("6-digit code").fill(wrong_code(secret_on_page(page)))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_role("img", name=QR_CODE)).to_be_visible()


def recovery_codes(page: Page, make_patient: MakePatient) -> None:
    enrollment(page, make_patient)
    secret = secret_on_page(page)
    page.get_by_label("6-digit code").fill(totp.code_at_step(secret, totp.step_at(time.time())))
    page.get_by_role("button", name="Verify", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Save your recovery codes")


def security_with_factors(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    secret = verified_factor(patient, spare=True)
    sign_in_with_code(page, patient, secret, next_path="/portal/security")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    expect(page.get_by_role("cell", name="Verified", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="Not verified", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Add authenticator app")).to_be_visible()


def remove_confirmation(page: Page, make_patient: MakePatient) -> None:
    security_with_factors(page, make_patient)
    row = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Verified", exact=True))
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Authenticator app?")
    expect(page.get_by_label("6-digit code")).to_be_visible()


def remove_wrong_code(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    secret = verified_factor(patient)
    sign_in_with_code(page, patient, secret, next_path="/portal/security")
    page.get_by_role("button", name="Remove").click()
    page.get_by_label("6-digit code").fill(wrong_code(secret))
    page.get_by_role("button", name="Confirm removal").click()
    expect(page.locator("#error-summary")).to_be_focused()


def reauthentication(page: Page, make_patient: MakePatient) -> None:
    """ "Generate new recovery codes" more than 5 minutes after the last code asks for one."""
    patient = make_patient()
    secret = verified_factor(patient)
    sign_in_with_code(page, patient, secret, next_path="/portal/security")
    with time_machine.travel(time.time() + 6 * 60, tick=True):
        page.get_by_role("button", name="Generate new recovery codes").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it's you")


def app_lock_settings(page: Page, make_patient: MakePatient) -> None:
    """The "App lock" section, just saved: on, 10 minutes, unlock with the password."""
    security_no_factor(page, make_patient)
    page.get_by_label("Lock the portal when I'm away").check()
    page.get_by_label("Lock after").select_option("10")
    page.get_by_role("radio", name="Password").check()
    page.get_by_role("button", name="Save app lock settings").click()
    expect(page.get_by_role("status")).to_contain_text("App lock settings saved.")
    expect(page.get_by_role("button", name="Lock now")).to_be_visible()
    expect(page.get_by_label("Lock the portal when I'm away")).to_be_checked()


def locked(page: Page, make_patient: MakePatient) -> None:
    patient = make_patient()
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=5)
    sign_in(page, patient.email, next_path="/portal/security")
    page.get_by_role("button", name="Lock now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Portal locked")


def locked_wrong_password(page: Page, make_patient: MakePatient) -> None:
    locked(page, make_patient)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Unlock").click()
    expect(page.locator("#error-summary")).to_be_focused()


def lock_warning(page: Page, make_patient: MakePatient) -> None:
    """The dialog a minute before the lock, on the security page."""
    patient = make_patient()
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=2)
    page.context.clock.install()
    sign_in(page, patient.email, next_path="/portal/security")
    expect(page.get_by_role("heading", level=1)).to_have_text("Security settings")
    page.context.clock.run_for("01:02")
    dialog = page.get_by_role("dialog", name="The portal will lock soon")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Stay signed in")).to_be_focused()


def security_in_spanish(page: Page, make_patient: MakePatient) -> None:
    """A browser that asks for Spanish: the page says so (lang="es") for screen readers."""
    patient = make_patient()
    secret = verified_factor(patient)  # factor rows, recovery codes and app-lock choices
    page.set_extra_http_headers({"Accept-Language": "es-ES,es;q=0.9"})
    page.goto("/portal/signin?next=/portal/security")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("#id_email").fill(patient.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    expect(page.locator("h1#step-heading")).to_be_focused()
    page.locator("#id_code").fill(code_now(secret))
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(re.compile(r"/portal/security$"))


def signout_confirmation(page: Page, make_patient: MakePatient) -> None:
    home(page, make_patient)
    page.goto("/portal/signout")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign out?")


def not_found(page: Page, make_patient: MakePatient) -> None:
    home(page, make_patient)
    page.goto("/portal/no-such-page")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def admin_reset_mfa(page: Page, make_patient: MakePatient) -> None:
    """Staff at aal2 choose "Reset MFA" for a patient in the admin: the "Reason" page."""
    staff = make_staff(make_patient)
    secret = verified_factor(staff)
    patient = make_patient("lost-phone@example.org")
    sign_in_with_code(page, staff, secret, next_path="/admin/accounts/user/")
    expect(page).to_have_url(re.compile(r"/admin/accounts/user/$"))
    page.get_by_role("checkbox", name=re.compile(re.escape(patient.email))).check()
    page.get_by_role("combobox", name=re.compile("^Action")).select_option(label="Reset MFA")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_label("Reason")).to_be_visible()


def admin_reset_mfa_done(page: Page, make_patient: MakePatient) -> None:
    """The reason given: back on the patient list, with the outcome."""
    admin_reset_mfa(page, make_patient)
    page.get_by_label("Reason").fill("Lost phone; identity checked by video call.")
    page.get_by_role("button", name="Reset MFA").click()
    expect(page.get_by_text("Two-step verification was reset for 1 patient")).to_be_visible()


STATES: dict[str, State] = {
    "sign-in": signin_empty,
    "sign-in-wrong-password": signin_wrong_password,
    "sign-in-fields-missing": signin_missing_fields,
    "verify-step": verify_step,
    "verify-step-wrong-code": verify_wrong_code,
    "verify-step-recovery-code": verify_recovery_code,
    "home": home,
    "security-no-factor": security_no_factor,
    "enrollment": enrollment,
    "enrollment-wrong-code": enrollment_wrong_code,
    "recovery-codes": recovery_codes,
    "security-factors-listed": security_with_factors,
    "remove-confirmation": remove_confirmation,
    "remove-confirmation-wrong-code": remove_wrong_code,
    "reauthentication": reauthentication,
    "app-lock-settings": app_lock_settings,
    "locked": locked,
    "locked-wrong-password": locked_wrong_password,
    "lock-warning-dialog": lock_warning,
    "security-in-spanish": security_in_spanish,
    "sign-out-confirmation": signout_confirmation,
    "page-not-found": not_found,
    "admin-reset-mfa": admin_reset_mfa,
    "admin-reset-mfa-done": admin_reset_mfa_done,
}


DANGLING_REFERENCES = """() => {
  const found = [];
  const attrs = ["for", "aria-labelledby", "aria-describedby", "aria-errormessage",
                 "aria-controls", "aria-owns", "aria-activedescendant"];
  for (const attr of attrs) {
    for (const el of document.querySelectorAll(`[${attr}]`)) {
      for (const id of el.getAttribute(attr).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          found.push(`${attr}="${id}" on ${el.outerHTML.slice(0, 200)}`);
        }
      }
    }
  }
  for (const a of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(a.getAttribute("href").slice(1));
    if (id && !document.getElementById(id)) { found.push(`href="#${id}" on ${a.outerHTML}`); }
  }
  return found;
}"""


def dangling_references(page: Page) -> list[str]:
    """Labels, descriptions and in-page links that point at an id the page lacks.

    A broken aria-describedby silently drops a hint or an error message for screen-reader
    users; axe-core only reports it as "needs review", so it is checked here too.
    """
    found: list[str] = page.evaluate(DANGLING_REFERENCES)
    return found


def assert_accessible(page: Page, state: str) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation and no reference points at a missing id."""
    violations = run_axe(page)
    dangling = dangling_references(page)
    problems = []
    if violations:
        problems.append(
            f"axe-core: {len(violations)} WCAG 2.1 A/AA violation(s):\n{describe(violations)}"
        )
    if dangling:
        problems.append("References to ids missing from the page:\n- " + "\n- ".join(dangling))
    if problems:
        pytest.fail(f"{state} ({page.url}):\n" + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("state", list(STATES))
def test_no_wcag_violations(page: Page, make_patient: MakePatient, state: str) -> None:
    STATES[state](page, make_patient)
    assert_accessible(page, state)
