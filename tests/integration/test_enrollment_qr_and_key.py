"""The enrollment step as HTML (CONTRACT §2): the QR code's alternative text and size, the
apps that work, and the key below it in groups of four and spelled out for screen
readers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from tests.integration.test_mfa_pages import start
from tests.page_helpers import elements

pytestmark = pytest.mark.django_db
CSS = Path(__file__).resolve().parents[2] / "src" / "carekey" / "portal" / "static" / "carekey"
QR_ALT = (
    "QR code for your authenticator app. If you cannot scan it, enter the key shown below instead."
)


# The QR code: its alternative, its size, and which apps work.


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


# The secret: groups of four, and a character-by-character form for screen readers.


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
