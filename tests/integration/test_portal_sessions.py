"""Server-side portal sessions: device columns, rotation, idle and absolute limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from carekey.accounts import sessions
from carekey.accounts.models import PortalSession
from carekey.accounts.session_store import stored_key
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


def test_session_row_records_device_and_times(patient) -> None:
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    row = PortalSession.objects.get(user=patient)
    assert row.user_agent.startswith("Mozilla/5.0")
    assert row.ip == "127.0.0.1"
    assert row.created_at is not None and row.last_active_at is not None


def test_session_id_rotates_at_sign_in(patient) -> None:
    client = Client()
    session = client.session  # an anonymous session, as a visitor would already hold
    session["probe"] = "before"
    session.save()
    before = session.session_key
    assert before is not None
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    after = client.cookies["carekey_session"].value
    assert after != before
    assert not PortalSession.objects.filter(session_key=stored_key(before)).exists()


@override_settings(CAREKEY_IDLE_TIMEOUT_MINUTES=30)
def test_idle_session_is_signed_out(patient) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        api = ApiClient()
        api.sign_in(patient.email)
        traveller.shift(timedelta(minutes=29))
        assert api.get("/session").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert api.get("/session").status_code == 200
        traveller.shift(timedelta(minutes=31))
        assert api.get("/session").status_code == 401


@override_settings(CAREKEY_SESSION_MAX_HOURS=12, CAREKEY_IDLE_TIMEOUT_MINUTES=30)
def test_active_session_still_ends_at_the_absolute_limit(patient) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        api = ApiClient()
        api.sign_in(patient.email)
        for _ in range(12 * 3):
            traveller.shift(timedelta(minutes=20))
            assert api.get("/session").status_code == 200
        traveller.shift(timedelta(minutes=20))
        assert api.get("/session").status_code == 401


def test_revoke_others_keeps_the_current_session(patient) -> None:
    first, second = ApiClient(), ApiClient()
    first.sign_in(patient.email)
    second.sign_in(patient.email)
    current = first.client.cookies["carekey_session"].value
    assert sessions.revoke_others(patient, current) == 1
    assert first.get("/session").status_code == 200
    assert second.get("/session").status_code == 401
