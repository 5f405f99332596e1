"""The factor table on the Security page (issue 17, item 1): whole words at 1280 px in
English and Spanish, room between the table and "Add authenticator app", and a factor that
kept its default name says so instead of repeating its Type."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.test_accessibility import (
    MakePatient,
    security_in_spanish,
    security_with_factors,
)
from tests.browser.test_layout_integrity import BROKEN_WORDS, PAGE_HELPERS

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

MIN_GAP = 12  # CSS px between the table's last rule and the buttons below it


def broken_words(page: Page, width: int) -> list[str]:
    """Words split across lines, or a page wider than the window (whole words must not buy
    a sideways scroll)."""
    page.set_viewport_size({"width": width, "height": 900})
    page.evaluate(PAGE_HELPERS)
    found: list[str] = page.evaluate(BROKEN_WORDS)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        found.append(f"the page is {scroll_width} px wide in a {width} px window")
    return found


def bottom(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["y"] + box["height"]


def top(locator: Locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["y"]


def cells(page: Page, name: str) -> list[str]:
    row = (
        page.get_by_role("row")
        .filter(has=page.get_by_role("button", name="Remove"))
        .filter(has_text=name)
    )
    expect(row).to_have_count(1)
    return [text.strip() for text in row.get_by_role("cell").all_inner_texts()]


@pytest.mark.parametrize("width", [1280, 1024, 800, 641])
def test_the_factor_table_keeps_every_word_whole_in_english(
    page: Page, make_patient: MakePatient, width: int
) -> None:
    security_with_factors(page, make_patient)
    assert broken_words(page, width) == []


@pytest.mark.parametrize("width", [1280, 1024, 800, 641])
def test_the_factor_table_keeps_every_word_whole_in_spanish(
    page: Page, make_patient: MakePatient, width: int
) -> None:
    """ "Verificada" broke as "Verificad/a" at 1280 px: the body's overflow-wrap:anywhere let
    the table shrink its columns below their longest word."""
    security_in_spanish(page, make_patient)
    expect(page.get_by_role("cell", name="Verificada", exact=True)).to_be_visible()
    assert broken_words(page, width) == []


@pytest.mark.parametrize("width", [1280, 375])
def test_add_authenticator_app_stands_clear_of_the_table(
    page: Page, make_patient: MakePatient, width: int
) -> None:
    security_with_factors(page, make_patient)
    page.set_viewport_size({"width": width, "height": 900})
    table = page.get_by_role("table", name="Your authenticator apps and passkeys")
    add = page.get_by_role("button", name="Add authenticator app")
    gap = top(add) - bottom(table)
    assert gap >= MIN_GAP, f"at {width} px the button sits {gap:.1f} px below the table"


def test_a_default_named_factor_says_so_instead_of_repeating_its_type(
    page: Page, make_patient: MakePatient
) -> None:
    security_with_factors(page, make_patient)  # "Authenticator app" (default) and "Spare phone"
    name, kind, status, *_ = cells(page, "(default name)")
    assert (name, kind, status) == (
        "Authenticator app (default name)",
        "Authenticator app",
        "Verified",
    )
    assert name != kind

    name, kind, *_ = cells(page, "Spare phone")
    assert (name, kind) == ("Spare phone", "Authenticator app")  # a chosen name, no note


def test_the_stored_name_is_unchanged_where_it_is_used(
    page: Page, make_patient: MakePatient
) -> None:
    """The note is the table's alone: Remove is described by the name, and the removal
    asks about the name as stored (existing factors read as before)."""
    security_with_factors(page, make_patient)
    row = page.get_by_role("row").filter(has_text="(default name)")
    remove = row.get_by_role("button", name="Remove")
    expect(remove).to_have_accessible_description("Authenticator app")
    remove.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Authenticator app?")
