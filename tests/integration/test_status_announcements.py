"""Status messages on the enrollment and security pages sit in live regions, so a screen
reader announces them (CONTRACT §2): verification, a wrong code, a refused and a saved
app-lock setting."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.integration.test_mfa_pages import start
from tests.mfa_helpers import code_now, wrong_code
from tests.page_helpers import live_region_texts

pytestmark = pytest.mark.django_db
WRONG = "That code didn't work. Check the time on your phone and try the newest code."


def test_messages_after_verification_are_announced(signed_in_page: Client) -> None:
    url, secret, _page = start(signed_in_page)
    first = signed_in_page.post(url, {"friendly_name": "Phone", "code": code_now(secret)})
    assert first["Location"] == "/portal/security/recovery-codes"  # shown once, after a GET
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
