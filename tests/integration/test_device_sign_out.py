"""Signing out one device (issue 12): devices are named by an opaque id that shares nothing
with any session key, and DELETE /api/v1/sessions/{id} or the page's per-device "Sign out"
ends exactly that session of the caller, audited; another patient's id is unknown.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from carekey.accounts.models import PortalSession
from carekey.accounts.session_store import stored_key
from carekey.api import api as ninja_api
from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_api_session import assert_error

pytestmark = pytest.mark.django_db

COOKIE = "carekey_session"
SIGN_OUT_FORM = re.compile(r'action="(/portal/security/sessions/[^"/]+/signout)"')
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def signed_in(email: str, agent: str = FIREFOX) -> ApiClient:
    api = ApiClient(HTTP_USER_AGENT=agent)
    api.sign_in(email)
    return api


def cookie_of(api: ApiClient) -> str:
    return str(api.client.cookies[COOKIE].value)


def device_ids(api: ApiClient) -> dict[bool, list[str]]:
    """{True: [this device's id], False: [the others' ids]} from GET /sessions."""
    rows = api.get("/sessions").json()["sessions"]
    return {flag: [r["id"] for r in rows if r["current"] is flag] for flag in (True, False)}


def shares_a_run(a: str, b: str, length: int = 8) -> bool:
    return any(a[i : i + length] in b for i in range(len(a) - length + 1))


def revocations() -> list[dict[str, Any]]:
    return list(
        SecurityEvent.objects.filter(type="sessions.revoked").values_list("detail", flat=True)
    )


def test_device_ids_share_nothing_with_any_session_key(patient) -> None:
    here, there = signed_in(patient.email), signed_in(patient.email, SAFARI)
    ids = device_ids(here)
    assert len(ids[True]) == 1 and len(ids[False]) == 1
    secrets = [cookie_of(here), cookie_of(there)]
    secrets += list(PortalSession.objects.values_list("session_key", flat=True))
    for device_id in ids[True] + ids[False]:
        assert 16 <= len(device_id) <= 24
        for secret in secrets:
            assert not shares_a_run(device_id, secret), (device_id, secret)


def test_delete_one_device_signs_out_that_device_only(patient) -> None:
    here, phone, laptop = (signed_in(patient.email, agent) for agent in (FIREFOX, SAFARI, ""))
    phone_id = device_ids(phone)[True][0]
    assert here.delete(f"/sessions/{phone_id}").status_code == 204
    assert_error(phone.get("/session"), 401, "not_authenticated")
    assert here.get("/session").status_code == 200
    assert laptop.get("/session").status_code == 200
    assert phone_id not in device_ids(here)[False]
    assert revocations() == [{"count": 1}]
    assert_error(here.delete(f"/sessions/{phone_id}"), 404, "session_not_found")


def test_another_patients_device_id_is_unknown(patient, make_patient) -> None:
    victim = make_patient("victim@example.org")
    victims_browser = signed_in(victim.email, SAFARI)
    victims_id = device_ids(victims_browser)[True][0]
    attacker = signed_in(patient.email)
    theirs = attacker.delete(f"/sessions/{victims_id}")
    nobodys = attacker.delete("/sessions/" + "0" * len(victims_id))
    assert_error(theirs, 404, "session_not_found")
    assert theirs.content == nobodys.content
    assert victims_browser.get("/session").status_code == 200
    assert revocations() == []


def test_the_current_device_is_signed_out_with_sign_out_not_by_id(patient) -> None:
    here = signed_in(patient.email)
    own_id = device_ids(here)[True][0]
    response = here.delete(f"/sessions/{own_id}")
    assert_error(response, 422, "validation_error")
    assert "Sign out" in response.json()["error"]["message"]
    assert here.get("/session").status_code == 200


def test_openapi_declares_the_device_sign_out_errors() -> None:
    document = ninja_api.get_openapi_schema()
    operation = document["paths"]["/api/v1/sessions/{device_id}"]["delete"]
    assert {"204", "404", "422"} <= {str(status) for status in operation["responses"]}


class Buttons(HTMLParser):
    """Each button's accessible name (its text, visually hidden text included)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "button":
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._text is not None:
            self.names.append(" ".join("".join(self._text).split()))
            self._text = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def button_names(html: str) -> list[str]:
    parser = Buttons()
    parser.feed(html)
    return parser.names


def page_signed_in(email: str, agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    client.post("/portal/signin", {"email": email, "password": PASSWORD})
    return client


def test_security_page_offers_sign_out_per_other_device_with_distinct_names(patient) -> None:
    here = page_signed_in(patient.email, FIREFOX)
    page_signed_in(patient.email, SAFARI)
    names = button_names(here.get("/portal/security").content.decode())
    assert names.count("Sign out") == 1, "only the layout's button is named exactly Sign out"
    assert names.count("Sign out other devices") == 1
    assert "Sign out Mobile Safari on iOS" in names
    assert "Sign out Firefox on Windows" not in names, "no per-device button for this device"


def test_page_sign_out_of_one_device_ends_it_and_says_so(patient) -> None:
    here = page_signed_in(patient.email, FIREFOX)
    phone = page_signed_in(patient.email, SAFARI)
    actions = SIGN_OUT_FORM.findall(here.get("/portal/security").content.decode())
    assert len(actions) == 1, actions
    response = here.post(actions[0])
    assert response.status_code == 302
    assert response["Location"] == "/portal/security#devices-heading"
    page = here.get("/portal/security").content.decode()
    assert "Signed out Mobile Safari on iOS." in page
    assert "Sign out Mobile Safari on iOS" not in button_names(page)
    assert phone.get("/portal/security")["Location"].startswith("/portal/signin?next=")
    assert PortalSession.objects.filter(session_key=stored_key(here.cookies[COOKIE].value))
    assert revocations() == [{"count": 1}]


def test_page_sign_out_of_an_unknown_device_changes_nothing(patient) -> None:
    here = page_signed_in(patient.email, FIREFOX)
    other = page_signed_in(patient.email, SAFARI)
    response = here.post("/portal/security/sessions/" + "f" * 20 + "/signout", follow=True)
    assert "That device was already signed out." in response.content.decode()
    assert other.get("/portal/security").status_code == 200
    assert revocations() == []
