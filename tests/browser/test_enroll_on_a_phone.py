"""Enrolling on the phone that shows the page (issue 17, item 5): at phone widths "Open in
your authenticator app" (the otpauth:// link, the QR code's very content) comes before the
QR code, within the first screen; a wide screen shows the QR code first. CSS alone orders
them, so it holds with JavaScript off."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, ViewportSize, expect

from carekey.accounts.models import User
from tests.browser.test_accessibility import QR_CODE, MakePatient, enrollment, secret_on_page
from tests.browser.test_enroll_browser import check_otpauth_uri

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

OPEN_IN_APP = "Open in your authenticator app"
PHONE: ViewportSize = {"width": 375, "height": 800}


def top(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not rendered"
    return box["y"]


def enroll_recording_the_patient(page: Page, make_patient: MakePatient) -> User:
    made: list[User] = []

    def make(*args: Any, **kwargs: Any) -> User:
        made.append(make_patient(*args, **kwargs))
        return made[-1]

    enrollment(page, make)
    return made[0]


def check_link_then_qr(page: Page, patient: User) -> None:
    link = page.get_by_role("link", name=OPEN_IN_APP)
    qr = page.get_by_role("img", name=QR_CODE)
    expect(link).to_be_visible()
    link_box = link.bounding_box()
    assert link_box is not None
    assert link_box["y"] + link_box["height"] <= top(qr), "the QR code comes before the link"
    assert link_box["y"] + link_box["height"] <= PHONE["height"], "the link is below the fold"
    uri = link.get_attribute("href") or ""
    assert check_otpauth_uri(uri, patient.email) == secret_on_page(page)


def test_on_a_phone_the_app_link_comes_first_and_carries_the_enrollment(
    page: Page, make_patient: MakePatient
) -> None:
    page.set_viewport_size(PHONE)
    patient = enroll_recording_the_patient(page, make_patient)
    check_link_then_qr(page, patient)


def test_on_a_wide_screen_the_qr_code_comes_first(page: Page, make_patient: MakePatient) -> None:
    enroll_recording_the_patient(page, make_patient)  # 1280 x 900
    link = page.get_by_role("link", name=OPEN_IN_APP)
    qr = page.get_by_role("img", name=QR_CODE)
    expect(link).to_be_visible()
    assert top(qr) < top(link)


@pytest.fixture
def page_without_javascript(
    chromium: Any, live_server: Any, transactional_db: None
) -> Iterator[Page]:
    context = chromium.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_the_app_link_comes_first_on_a_phone_without_javascript(
    page_without_javascript: Page, make_patient: MakePatient
) -> None:
    page = page_without_javascript
    patient = enroll_recording_the_patient(page, make_patient)
    expect(page.get_by_role("button", name="Copy")).to_be_hidden()  # the script did not run
    check_link_then_qr(page, patient)
