"""Every sign-in starts a new session: a new id and nothing carried over (issue 12 item 7)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import code_now, enroll_and_verify

pytestmark = pytest.mark.django_db

SESSION = "carekey_session"


def test_signing_in_again_through_the_api_rotates_the_id_and_drops_reauthentication(
    patient,
) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    enroll_and_verify(api)  # a verified first factor leaves the session reauthenticated
    assert api.get("/session").json()["reauthenticated_until"] is not None
    before = api.client.cookies[SESSION].value
    reply = api.post("/session", {"email": patient.email, "password": PASSWORD})
    assert reply.status_code == 200
    assert api.client.cookies[SESSION].value != before
    assert reply.json()["reauthenticated_until"] is None
    assert reply.json()["aal"] == "aal1" and reply.json()["next_level"] == "aal2"
    old = Client()
    old.cookies[SESSION] = before
    assert old.get("/api/v1/session").status_code == 401


def test_signing_in_again_on_the_page_rotates_the_id(patient) -> None:
    page = Client()
    page.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    before = page.cookies[SESSION].value
    page.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    assert page.cookies[SESSION].value != before


def test_signing_in_from_a_locked_session_clears_the_lock_and_the_enrollment(patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        enrolled = enroll_and_verify(api)
        traveller.shift(timedelta(seconds=30))
        body = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
        assert api.put("/app-lock", body).status_code == 200
        assert api.post("/mfa/factors", {"factor_type": "totp"}).status_code == 201
        page = Client()
        page.cookies = api.client.cookies
        assert page.post("/portal/lock").status_code == 302
        assert api.get("/session").json()["locked"] is True
        before = page.cookies[SESSION].value
        page.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
        assert page.cookies[SESSION].value != before
        session = page.get("/api/v1/session").json()
        assert session["locked"] is False
        assert session["reauthenticated_until"] is None
        page.post("/portal/signin/verify", {"code": code_now(enrolled.secret)})
        assert page.get("/portal/security").status_code == 200
