"""Recovery codes after post/redirect/get (issue 17, items 6 and 8).

The POST that makes a set redirects to a GET address that shows it once: a refresh or Back
lands on a page that says why the codes are not shown again (it used to be "Page not found"
or the browser's "Confirm form resubmission"). Until that display the codes wait in the
session sealed, never in clear. A new set says the old one no longer works, and the page,
its printout and the downloaded file name the site, the account and the date.
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from carekey.accounts import session_state
from carekey.accounts.models import User
from carekey.mfa.models import RecoveryCode
from tests.integration.test_mfa_pages import start
from tests.mfa_helpers import code_now

pytestmark = pytest.mark.django_db

CODES_PAGE = "/portal/security/recovery-codes"
CODE = re.compile(r"<li><code>([A-Z2-9-]{19})</code></li>")
NOT_AGAIN = (
    "Recovery codes are shown only once, when they are made, so they are not shown here again."
)
OLD_STOPPED = (
    "You have new recovery codes. "
    "Your old recovery codes no longer work: replace any copy you kept."
)


def text(response: Any) -> str:
    return html.unescape(str(response.content.decode()))


def verify_first_factor(client: Client) -> tuple[str, Any]:
    """Verify an app; return its secret and the answer to the verifying POST."""
    url, secret, _ = start(client)
    return secret, client.post(url, {"friendly_name": "", "code": code_now(secret)})


def test_verifying_the_first_factor_redirects_to_the_codes(signed_in_page: Client) -> None:
    _secret, answer = verify_first_factor(signed_in_page)
    assert answer.status_code == 302
    assert answer["Location"] == CODES_PAGE
    page = signed_in_page.get(CODES_PAGE)
    assert page.status_code == 200
    assert len(CODE.findall(page.content.decode())) == 10
    assert "Your authenticator app is verified." in text(page)


def test_a_refresh_shows_why_the_codes_are_not_shown_again(signed_in_page: Client) -> None:
    verify_first_factor(signed_in_page)
    shown = CODE.findall(signed_in_page.get(CODES_PAGE).content.decode())
    again = signed_in_page.get(CODES_PAGE)
    assert again.status_code == 200
    page = text(again)
    assert NOT_AGAIN in page
    assert "You have 10 unused recovery codes." in page
    assert ">Generate new recovery codes</button>" in page
    assert not any(code in page for code in shown)


def test_the_codes_wait_sealed_in_the_session_until_shown(signed_in_page: Client) -> None:
    verify_first_factor(signed_in_page)
    held = json.dumps(dict(signed_in_page.session.items()))
    assert session_state.CODES_TO_SHOW in held
    shown = CODE.findall(signed_in_page.get(CODES_PAGE).content.decode())
    assert len(shown) == 10
    bare = {code.replace("-", "") for code in shown}
    assert not any(code in held or plain in held for code in shown for plain in bare)
    assert session_state.CODES_TO_SHOW not in dict(signed_in_page.session.items())


def test_a_refresh_after_the_five_minutes_still_explains_first(signed_in_page: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        verify_first_factor(signed_in_page)
        signed_in_page.get(CODES_PAGE)
        traveller.shift(timedelta(minutes=6))
        page = text(signed_in_page.get(CODES_PAGE))
    assert NOT_AGAIN in page and "Confirm it's you" not in page


def test_codes_not_shown_within_ten_minutes_are_dropped(signed_in_page: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        verify_first_factor(signed_in_page)
        traveller.shift(timedelta(minutes=11))
        page = signed_in_page.get(CODES_PAGE)
    assert CODE.findall(page.content.decode()) == []
    assert NOT_AGAIN in text(page)


def test_back_to_the_finished_verify_step_goes_to_the_security_page(
    signed_in_page: Client,
) -> None:
    url, secret, _ = start(signed_in_page)
    signed_in_page.post(url, {"friendly_name": "", "code": code_now(secret)})
    back = signed_in_page.get(url)
    assert back["Location"] == "/portal/security"
    assert "Authenticator app is verified." in text(signed_in_page.get("/portal/security"))


def test_new_codes_say_the_old_ones_no_longer_work(signed_in_page: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        secret, _ = verify_first_factor(signed_in_page)
        old = CODE.findall(signed_in_page.get(CODES_PAGE).content.decode())
        traveller.shift(timedelta(minutes=6))
        ask = signed_in_page.post(CODES_PAGE)
        assert ask["Location"] == f"{CODES_PAGE}?method=code"  # asking is a GET page too
        confirm = text(signed_in_page.get(ask["Location"]))
        assert "Confirm it's you" in confirm
        assert "New recovery codes replace the ones you have now" in confirm
        traveller.shift(timedelta(seconds=30))
        made = signed_in_page.post(CODES_PAGE, {"code": code_now(secret)})
        assert made["Location"] == CODES_PAGE
        page = text(signed_in_page.get(CODES_PAGE))
    fresh = CODE.findall(page)
    assert len(fresh) == 10 and not set(fresh) & set(old)
    assert "<h1" in page and ">Your new recovery codes</h1>" in page
    assert OLD_STOPPED in page
    assert "Your authenticator app is verified." not in page
    assert RecoveryCode.objects.count() == 10


def test_use_a_recovery_code_instead_is_a_get_page(signed_in_page: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        verify_first_factor(signed_in_page)
        signed_in_page.get(CODES_PAGE)
        traveller.shift(timedelta(minutes=6))
        asked = signed_in_page.post(CODES_PAGE, {"method": "recovery"})
        assert asked["Location"] == f"{CODES_PAGE}?method=recovery"
        page = signed_in_page.get(asked["Location"]).content.decode()
    assert '<label for="id_recovery_code">Recovery code</label>' in page


def test_the_page_and_the_download_name_site_account_and_date(
    signed_in_page: Client, patient: User, settings: object
) -> None:
    settings.CAREKEY_ISSUER = "Sunrise Health"  # type: ignore[attr-defined]
    settings.CAREKEY_PUBLIC_URL = "https://id.sunrise.example"  # type: ignore[attr-defined]
    moment = datetime(2026, 3, 4, 9, 15, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        verify_first_factor(signed_in_page)
        page = text(signed_in_page.get(CODES_PAGE))
    about = [
        "Site: Sunrise Health (https://id.sunrise.example)",
        f"Account: {patient.email}",
        "Made: 4 Mar 2026, 09:15 UTC",
    ]
    assert all(line in page for line in about), page
    link = re.search(r'href="data:text/plain;charset=utf-8,([^"]+)" download="([^"]+)"', page)
    assert link and link.group(2) == "carekey-recovery-codes.txt"
    file = unquote(link.group(1))
    assert file.startswith("Sunrise Health recovery codes\n\n" + "\n".join(about))
    assert len(CODE.findall(page)) == 10
    assert all(code in file for code in CODE.findall(page))


def test_a_factor_add_get_makes_nothing(signed_in_page: Client) -> None:
    answer = signed_in_page.get("/portal/security/factors")
    assert answer["Location"] == "/portal/security#two-step-heading"
