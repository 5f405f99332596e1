"""The enrollment and security pages as HTML (issue 7): QR alternative text and size, the
secret in groups and spelled out, live regions for status messages, dates in the
patient's language (CONTRACT §2)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from django.test import Client

from carekey.accounts.models import User
from tests.conftest import PASSWORD
from tests.integration.test_mfa_pages import start
from tests.mfa_helpers import code_now, wrong_code

pytestmark = pytest.mark.django_db
CSS = Path(__file__).resolve().parents[2] / "src" / "carekey" / "portal" / "static" / "carekey"
QR_ALT = (
    "QR code for your authenticator app. If you cannot scan it, enter the key shown below instead."
)
WRONG = "That code didn't work. Check the time on your phone and try the newest code."
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


class Elements(HTMLParser):
    """Every element's tag, attributes and text content (its descendants' text included)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in VOID:
            self.open.append(len(self.found) - 1)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, {k: v or "" for k, v in attrs}, []))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, -1, -1):
            if self.found[self.open[depth]][0] == tag:
                del self.open[depth:]
                break

    def handle_data(self, data: str) -> None:
        for index in self.open:
            self.found[index][2].append(data)


def elements(html: str) -> list[tuple[str, dict[str, str], str]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return [(t, a, re.sub(r"\s+", " ", "".join(text)).strip()) for t, a, text in parser.found]


def live_region_texts(html: str) -> list[str]:
    """The text inside every element a screen reader announces when it changes."""
    return [
        text
        for _tag, attrs, text in elements(html)
        if attrs.get("role") in {"status", "alert"}
        or attrs.get("aria-live") in {"polite", "assertive"}
    ]


def sign_in(client: Client, email: str) -> None:
    response = client.post("/portal/signin", {"email": email, "password": PASSWORD})
    assert response.status_code == 302


# 1. The QR code: its alternative, its size, and which apps work.


def test_qr_code_alt_text_size_and_which_apps_work(signed_in_page: Client) -> None:
    _url, _secret, page = start(signed_in_page)
    images = [
        (a, t) for tag, a, t in elements(page) if tag == "img" and "qr-code" in a.get("class", "")
    ]
    assert len(images) == 1
    attrs = images[0][0]
    assert attrs["alt"] == QR_ALT
    assert attrs["src"].startswith("data:image/svg+xml;base64,")
    width, height = int(attrs.get("width", "0")), int(attrs.get("height", "0"))
    css = "".join(p.read_text() for p in CSS.glob("*.css"))
    css_width = re.search(r"\.qr-code\s*{[^}]*?(?<![-\w])(?:min-)?width:\s*(\d+)px", css)
    shown = max(width, int(css_width.group(1)) if css_width else 0)
    assert shown >= 200, (width, css_width)
    assert height == 0 or height >= 200
    text = " ".join(t for tag, _a, t in elements(page) if tag == "p")
    assert re.search(r"authenticator app", text, re.I)
    for app in ("Google Authenticator", "Microsoft Authenticator", "Authy"):
        assert app in text, app


def test_alt_text_points_at_a_key_that_is_really_below_it(signed_in_page: Client) -> None:
    _url, _secret, page = start(signed_in_page)
    qr_at = page.index('class="qr-code"')
    key_at = page.index('id="secret"')
    assert qr_at < key_at
    assert "Enter this key in the app instead" in page[qr_at:key_at]


# 2. The secret: groups of four, and a character-by-character form for screen readers.


def test_secret_is_grouped_in_fours_and_spelled_out_for_screen_readers(
    signed_in_page: Client,
) -> None:
    _url, secret, page = start(signed_in_page)
    found = elements(page)
    groups = [t for tag, a, t in found if tag == "span" and a.get("class") == "secret-group"]
    assert len(groups) == 8 and all(len(g) == 4 for g in groups)
    assert "".join(groups) == secret and len(secret) == 32
    shown = next(a for tag, a, _t in found if tag == "code" and a.get("id") == "secret")
    spelled = [
        t
        for tag, a, t in found
        if (a.get("id") == "secret-spelled" or "visually-hidden" in a.get("class", "").split())
        and re.sub(r"[\s,.]", "", t) == secret
    ]
    labelled = [a["aria-label"] for _t, a, _x in found if secret[:4] in a.get("aria-label", "")]
    spoken = spelled or labelled
    assert spoken, "no spelled-out form of the key"
    # one character at a time: every character stands alone, in order
    assert re.split(r"[\s,.]+", spoken[0].strip(" ,.")) == list(secret)
    # and the squashed groups are hidden from screen readers, or they would be read twice
    assert shown.get("aria-hidden") == "true" or labelled
    css = "".join(p.read_text() for p in CSS.glob("*.css"))
    hidden = re.search(r"\.visually-hidden\s*{([^}]*)}", css)
    assert hidden and "position: absolute" in hidden.group(1) and "1px" in hidden.group(1)


# 3. Status messages sit in live regions.


def test_messages_after_verification_are_announced(signed_in_page: Client) -> None:
    url, secret, _page = start(signed_in_page)
    first = signed_in_page.post(url, {"friendly_name": "Phone", "code": code_now(secret)})
    assert first.status_code == 200  # the recovery codes, shown once
    done = signed_in_page.post("/portal/security/recovery-codes/done", {"saved": "on"}, follow=True)
    assert any(
        "Two-step verification is on." in t for t in live_region_texts(done.content.decode())
    )
    again = signed_in_page.post("/portal/security/factors")  # reauthenticated just now
    assert again.status_code == 302, again.content[:500]
    second_url = again["Location"]
    second_page = signed_in_page.get(second_url).content.decode()
    groups = re.search(r'<code id="secret"[^>]*>(.*?)</code>', second_page, re.S)
    assert groups
    second = re.sub(r"<[^>]+>|\s", "", groups.group(1))
    verified = signed_in_page.post(
        second_url, {"friendly_name": "Tablet", "code": code_now(second)}, follow=True
    )
    html = verified.content.decode()
    assert ">Verified</td>" in html
    assert any("Tablet is verified." in t for t in live_region_texts(html)), live_region_texts(html)


def test_a_wrong_code_is_announced(signed_in_page: Client) -> None:
    url, secret, _page = start(signed_in_page)
    response = signed_in_page.post(url, {"code": wrong_code(secret)})
    assert response.status_code == 400
    assert any(WRONG in t for t in live_region_texts(response.content.decode()))


def test_a_refused_app_lock_setting_is_announced(signed_in_page: Client) -> None:
    response = signed_in_page.post(
        "/portal/security/app-lock",
        {"enabled": "on", "timeout_minutes": "7", "unlock_method": "password"},
    )
    assert response.status_code == 400
    regions = live_region_texts(response.content.decode())
    assert any("There is a problem" in t and "Lock after" in t for t in regions), regions


def test_a_saved_app_lock_setting_is_announced(signed_in_page: Client) -> None:
    response = signed_in_page.post(
        "/portal/security/app-lock",
        {"enabled": "on", "timeout_minutes": "10", "unlock_method": "password"},
        follow=True,
    )
    assert any(
        "App lock settings saved." in t for t in live_region_texts(response.content.decode())
    )


# 4. Dates in the patient's language.

JANUARY = datetime(2026, 1, 14, 9, 30, tzinfo=UTC)
ENGLISH_MONTHS = ("Jan", "January")
SPANISH_MONTHS = ("ene", "enero")


def security_page_times(patient: User, language: str | None) -> tuple[list[str], list[str]]:
    """The shown text of the factor's "Added" time and of each activity time."""
    with time_machine.travel(JANUARY, tick=False) as traveller:
        client = Client(headers={"Accept-Language": language}) if language else Client()
        sign_in(client, patient.email)
        url, secret, _page = start(client)
        client.post(url, {"friendly_name": "Phone", "code": code_now(secret)})
        traveller.shift(timedelta(minutes=1))
        html = client.get("/portal/security").content.decode()
    two_step = re.search(r'aria-labelledby="two-step-heading">(.*?)</section>', html, re.S)
    activity = re.search(r'aria-labelledby="activity-heading">(.*?)</section>', html, re.S)
    assert two_step and activity
    added = [t for tag, _a, t in elements(two_step.group(1)) if tag == "time"]
    times = [t for tag, _a, t in elements(activity.group(1)) if tag == "time"]
    assert added and len(times) >= 3
    return added, times


def words(text: str) -> set[str]:
    return {w.lower().strip(".") for w in re.findall(r"[^\W\d_]+\.?", text)}


def test_dates_on_the_security_page_are_spanish_for_spanish_readers(patient: User) -> None:
    added, times = security_page_times(patient, "es-ES,es;q=0.9")
    for shown in added + times:
        assert words(shown) & set(SPANISH_MONTHS), shown
        assert not words(shown) & {m.lower() for m in ENGLISH_MONTHS}, shown
        assert "14" in shown and "2026" in shown


def test_dates_on_the_security_page_are_english_otherwise(patient: User) -> None:
    added, times = security_page_times(patient, None)
    for shown in added + times:
        assert words(shown) & {m.lower() for m in ENGLISH_MONTHS}, shown
        assert not words(shown) & set(SPANISH_MONTHS), shown
        assert "14" in shown and "2026" in shown
