"""Attack matrix, stored XSS: what a patient (or their browser) chooses to store is shown
escaped wherever it is shown: factor friendly names, user agents in the devices and
activity lists and the staff audit trail, patients' names, notification emails.

Each row stores one payload through one vector and reads one place. The row passes when the
raw payload is nowhere in the HTML; where the place shows the value at all, the escaped
form must be there too, so the row cannot pass by looking at the wrong page.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.utils.html import escape

from carekey.audit.models import SecurityEvent
from tests.reliability.attack_helpers import Actor, actor_at_aal2

pytestmark = pytest.mark.django_db

# No spaces, so a payload survives as a first name; each fits a 64-character factor name.
PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img/src=x/onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "<iframe/src=javascript:alert(1)>",
]


def assert_escaped(html: str, payload: str, *, shown: bool) -> None:
    assert payload not in html, f"raw payload {payload!r} in the page"
    if shown:
        assert escape(payload) in html, f"escaped payload {escape(payload)!r} not shown"


def staff_client() -> Client:
    staff = actor_at_aal2("staff@example.org", staff=True)
    return staff.client


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("place", ["security page", "remove confirmation", "flash message"])
def test_factor_friendly_name_is_escaped(payload: str, place: str) -> None:
    patient = actor_at_aal2("ana@example.org", payload)
    assert patient.enrolled is not None
    if place == "security page":
        html = patient.client.get("/portal/security").content.decode()
    elif place == "remove confirmation":
        path = f"/portal/security/factors/{patient.enrolled.factor_id}/remove"
        html = patient.client.get(path).content.decode()
    else:
        path = f"/portal/security/factors/{patient.enrolled.factor_id}/remove"
        response = patient.post_page(path, {"code": patient.code(1)})
        assert response.status_code == 302, response.status_code
        html = patient.client.get(response["Location"]).content.decode()
    assert_escaped(html, payload, shown=True)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("place", ["home heading", "lock screen"])
def test_patient_name_is_escaped(payload: str, place: str) -> None:
    patient = actor_at_aal2("ana@example.org", name=f"{payload} Smith")
    if place == "lock screen":
        patient.post_page("/portal/lock")
        html = patient.client.get("/portal/locked").content.decode()
    else:
        html = patient.client.get("/portal/").content.decode()
    assert_escaped(html, payload, shown=True)


def _agent(payload: str) -> str:
    # An Android model is the one part of a user agent that ua-parser passes through as is.
    return f"Mozilla/5.0 (Linux; Android 10; {payload}) AppleWebKit/537.36 Chrome/120 Mobile"


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("place", ["devices and activity lists", "staff audit trail"])
def test_user_agent_is_escaped(payload: str, place: str) -> None:
    patient = actor_at_aal2("ana@example.org", HTTP_USER_AGENT=_agent(payload))
    bare = Actor("ben@example.org", HTTP_USER_AGENT=payload)
    bare.sign_in()
    if place == "devices and activity lists":
        for html in (
            patient.client.get("/portal/security").content.decode(),
            bare.client.get("/portal/security").content.decode(),
        ):
            assert_escaped(html, payload, shown=False)
        return
    staff = staff_client()
    listing = staff.get("/admin/audit/securityevent/").content.decode()
    assert_escaped(listing, payload, shown=False)
    event = SecurityEvent.objects.filter(user=bare.user).first()
    assert event is not None
    detail = staff.get(f"/admin/audit/securityevent/{event.pk}/change/")
    assert detail.status_code == 200
    assert_escaped(detail.content.decode(), payload, shown=True)


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("place", ["patient list", "patient page"])
def test_staff_pages_escape_patient_values(payload: str, place: str) -> None:
    patient = actor_at_aal2("ana@example.org", payload, name=f"{payload} Smith")
    staff = staff_client()
    if place == "patient list":
        html = staff.get("/admin/accounts/user/").content.decode()
    else:
        html = staff.get(f"/admin/accounts/user/{patient.user.pk}/change/").content.decode()
    assert_escaped(html, payload, shown=True)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_notification_emails_escape_names(payload: str) -> None:
    mail.outbox.clear()
    patient = actor_at_aal2("ana@example.org", payload, name=f"{payload} Smith")
    assert mail.outbox, "no notification email was sent"
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
        html = next(body for body, kind in message.alternatives if kind == "text/html")
        assert_escaped(str(html), payload, shown=True)
    assert patient.user.email in mail.outbox[0].to


@pytest.mark.parametrize("payload", PAYLOADS)
def test_api_answers_stored_text_as_json_that_browsers_will_not_sniff(payload: str) -> None:
    """JSON is data: the value comes back exactly, under a type no browser renders as HTML."""
    patient = actor_at_aal2("ana@example.org", payload, HTTP_USER_AGENT=_agent(payload))
    factors: Any = patient.api.get("/mfa/factors")
    devices: Any = patient.api.get("/sessions")
    for response in (factors, devices):
        assert response["Content-Type"].startswith("application/json")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'self'" in response["Content-Security-Policy"]
    assert factors.json()["factors"][0]["friendly_name"] == payload
    assert devices.json()["sessions"][0]["user_agent"] == _agent(payload)
