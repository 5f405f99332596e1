"""The two-step verification pages with plain forms (what JavaScript-off browsers get)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from carekey.mfa.models import Factor, RecoveryCode
from tests.mfa_helpers import code_now, wrong_code

pytestmark = pytest.mark.django_db
WRONG = "That code didn&#x27;t work. Check the time on your phone and try the newest code."


def start(client: Client) -> tuple[str, str, str]:
    """Press "Enable MFA"; return the enrollment URL, the secret shown and the page."""
    response = client.post("/portal/security/factors")
    assert response.status_code == 302
    url = response["Location"]
    page = client.get(url).content.decode()
    groups = re.search(r'<code id="secret"[^>]*>(.*?)</code>', page, re.S)
    assert groups
    secret = re.sub(r"<[^>]+>|\s", "", groups.group(1))
    return url, secret, page


def verify(client: Client) -> tuple[str, list[str]]:
    url, secret, _ = start(client)
    response = client.post(url, {"friendly_name": "", "code": code_now(secret)}, follow=True)
    codes = re.findall(r"<li><code>([A-Z2-9-]{19})</code></li>", response.content.decode())
    return secret, codes


def test_security_page_offers_enable_mfa_first(signed_in_page: Client) -> None:
    html = signed_in_page.get("/portal/security").content.decode()
    assert '<h2 id="two-step-heading">Two-step verification</h2>' in html
    assert ">Enable MFA</button>" in html
    assert "Add authenticator app" not in html


def test_enrollment_step_shows_qr_secret_and_fields(signed_in_page: Client) -> None:
    _url, secret, page = start(signed_in_page)
    assert len(secret) == 32
    assert re.search(r'<img class="qr-code" src="data:image/svg\+xml;base64,[^"]+"', page)
    assert 'alt="QR code for your authenticator app.' in page
    assert '<label for="id_friendly_name">Name</label>' in page
    assert '<label for="id_code">6-digit code</label>' in page
    assert 'inputmode="numeric"' in page and 'autocomplete="one-time-code"' in page
    assert ">Verify</button>" in page and ">Cancel</button>" in page and ">Copy</button>" in page


def test_wrong_code_stays_on_the_step_with_the_message(signed_in_page: Client) -> None:
    url, secret, _ = start(signed_in_page)
    response = signed_in_page.post(url, {"code": wrong_code(secret)})
    assert response.status_code == 400
    assert WRONG in response.content.decode()
    assert Factor.objects.get().status == "unverified"


def test_right_code_shows_ten_recovery_codes_once(signed_in_page: Client) -> None:
    _secret, codes = verify(signed_in_page)
    assert len(codes) == 10
    done = signed_in_page.post("/portal/security/recovery-codes/done", {"saved": "on"})
    assert done["Location"] == "/portal/security"
    html = signed_in_page.get("/portal/security").content.decode()
    assert ">Verified</td>" in html and ">Add authenticator app</button>" in html
    assert "You have 10 unused recovery codes." in html
    assert not any(code in html for code in codes)


def test_name_from_the_step_is_kept_and_shown_as_text(signed_in_page: Client) -> None:
    url, secret, _ = start(signed_in_page)
    signed_in_page.post(url, {"friendly_name": "<b>Phone</b>", "code": code_now(secret)})
    html = signed_in_page.get("/portal/security").content.decode()
    assert "&lt;b&gt;Phone&lt;/b&gt;" in html and "<b>Phone</b>" not in html


def test_cancel_removes_the_unfinished_factor(signed_in_page: Client) -> None:
    url, _secret, _ = start(signed_in_page)
    response = signed_in_page.post(url.replace("/verify", "/cancel"))
    assert response["Location"] == "/portal/security"
    assert not Factor.objects.exists()


def test_secret_is_not_shown_to_another_session(signed_in_page: Client, patient) -> None:
    url, _secret, _ = start(signed_in_page)
    other = Client()
    other.post("/portal/signin", {"email": patient.email, "password": "correct-horse-battery-9"})
    assert other.get(url).status_code == 404


def test_remove_confirmation_checks_the_code_in_the_same_step(signed_in_page: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        secret, _codes = verify(signed_in_page)
        factor = Factor.objects.get()
        traveller.shift(timedelta(minutes=10))
        url = f"/portal/security/factors/{factor.pk}/remove"
        page = signed_in_page.get(url).content.decode()
        assert f"Remove {factor.friendly_name}?" in page
        assert ">Confirm removal</button>" in page and ">Use a recovery code</a>" in page
        bad = signed_in_page.post(url, {"code": wrong_code(secret)})
        assert bad.status_code == 400 and WRONG in bad.content.decode()
        traveller.shift(timedelta(seconds=30))
        mail.outbox.clear()
        good = signed_in_page.post(url, {"code": code_now(secret)})
    assert good["Location"] == "/portal/security"
    assert not Factor.objects.exists() and not RecoveryCode.objects.exists()
    assert len(mail.outbox) == 1


def test_remove_with_a_recovery_code(signed_in_page: Client) -> None:
    _secret, codes = verify(signed_in_page)
    factor = Factor.objects.get()
    url = f"/portal/security/factors/{factor.pk}/remove?method=recovery"
    assert (
        '<label for="id_recovery_code">Recovery code</label>'
        in signed_in_page.get(url).content.decode()
    )
    response = signed_in_page.post(url, {"recovery_code": codes[3]})
    assert response.status_code == 302
    assert not Factor.objects.exists()


def test_adding_a_second_factor_asks_for_a_code_first(signed_in_page: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        secret, _codes = verify(signed_in_page)
        traveller.shift(timedelta(minutes=6))
        ask = signed_in_page.post("/portal/security/factors", follow=True)
        assert ask.status_code == 200 and "Confirm it&#x27;s you" in ask.content.decode()
        assert Factor.objects.count() == 1
        traveller.shift(timedelta(seconds=30))
        go = signed_in_page.post("/portal/security/factors", {"code": code_now(secret)})
    assert go.status_code == 302 and go["Location"].endswith("/verify")
    assert Factor.objects.count() == 2


def test_generate_new_recovery_codes_after_a_code(signed_in_page: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        secret, old = verify(signed_in_page)
        traveller.shift(timedelta(minutes=6))
        ask = signed_in_page.post("/portal/security/recovery-codes", follow=True)
        assert "Confirm it&#x27;s you" in ask.content.decode()
        traveller.shift(timedelta(seconds=30))
        page = signed_in_page.post(
            "/portal/security/recovery-codes", {"code": code_now(secret)}, follow=True
        ).content.decode()
    fresh = re.findall(r"<li><code>([A-Z2-9-]{19})</code></li>", page)
    assert len(fresh) == 10 and not set(fresh) & set(old)
    assert "carekey-recovery-codes.txt" in page and ">Print</button>" in page


def test_unknown_factor_pages_are_404(signed_in_page: Client) -> None:
    url = "/portal/security/factors/00000000-0000-0000-0000-000000000000/remove"
    assert signed_in_page.get(url).status_code == 404
    assert signed_in_page.get("/portal/security/factors/nope/remove").status_code == 404
