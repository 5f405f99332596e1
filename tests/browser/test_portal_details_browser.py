"""Small things a patient notices (issue 17, item 9): Home urges two-step verification only
while it is off; device names read in the patient's language; a favicon, and no 404 for
one; the language switch lines up with the page's column; the sign-in page says which
email to use and what to do without the phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, Response, expect

from tests.browser.test_accessibility import (
    MakePatient,
    home,
    security_in_spanish,
    sign_in_with_code,
    signin_empty,
    verified_factor,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

URGE = "Protect your account with two-step verification"


def test_home_urges_two_step_verification_while_it_is_off(
    page: Page, make_patient: MakePatient
) -> None:
    home(page, make_patient)
    expect(page.get_by_role("main")).to_contain_text(URGE)
    expect(page.get_by_role("main").get_by_role("link", name="Security")).to_be_visible()


def test_home_stops_urging_once_two_step_verification_is_on(
    page: Page, make_patient: MakePatient
) -> None:
    patient = make_patient()
    sign_in_with_code(page, patient, verified_factor(patient))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Ana")
    main = page.get_by_role("main")
    expect(main).not_to_contain_text(URGE)
    expect(main).to_contain_text("Two-step verification is on")
    expect(main.get_by_role("link", name="Security")).to_be_visible()


def test_device_names_read_in_spanish(page: Page, make_patient: MakePatient) -> None:
    security_in_spanish(page, make_patient)
    devices = page.get_by_role("region", name="Dispositivos con sesión iniciada")
    expect(devices.get_by_role("listitem").first).to_contain_text("HeadlessChrome en Linux")
    activity = page.get_by_role("region", name="Actividad de seguridad reciente")
    expect(activity.get_by_role("cell", name="HeadlessChrome en Linux").first).to_be_visible()
    for text in devices.all_inner_texts() + activity.all_inner_texts():
        assert not re.search(r"\bon\b", text), text


def test_every_page_has_a_favicon_and_nothing_answers_404(
    page: Page, make_patient: MakePatient
) -> None:
    missing: list[str] = []

    def note(response: Response) -> None:
        if response.status == 404:
            missing.append(response.url)

    page.on("response", note)
    home(page, make_patient)  # the sign-in page, then Home
    icon = page.locator('link[rel="icon"]')
    expect(icon).to_have_count(1)
    href = icon.get_attribute("href") or ""
    served = page.request.get(href)
    assert served.status == 200 and served.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in served.body()

    legacy = page.request.get("/favicon.ico")  # asked for by pages without the link
    assert legacy.status == 200, legacy.status
    assert legacy.url.endswith(href) and legacy.body() == served.body()
    assert missing == []


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize("where", ["sign-in", "home"])
def test_the_language_switch_lines_up_with_the_main_column(
    page: Page, make_patient: MakePatient, where: str, width: int
) -> None:
    (signin_empty if where == "sign-in" else home)(page, make_patient)
    page.set_viewport_size({"width": width, "height": 900})
    heading = page.get_by_role("heading", level=1).bounding_box()
    label = page.get_by_role("contentinfo").get_by_text("Language", exact=True).bounding_box()
    assert heading is not None and label is not None
    assert abs(heading["x"] - label["x"]) <= 1, (heading, label)


def test_the_sign_in_page_helps_with_the_email_the_password_and_a_missing_phone(
    page: Page, make_patient: MakePatient
) -> None:
    signin_empty(page, make_patient)
    main = page.get_by_role("main")
    expect(main).to_contain_text("Use the email address you gave your clinic")
    expect(main.get_by_role("link", name="Forgot your password?")).to_be_visible()
    expect(main).to_contain_text("Phone not with you?")
    expect(main).to_contain_text("“Use a recovery code”")
    expect(main).to_contain_text("No phone and no recovery codes? Call your clinic")
