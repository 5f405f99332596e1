"""Two-step sign-in: the aal2 gate on every page and API route, and the verify step."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from carekey.audit.models import SecurityEvent
from carekey.routes import API_OPEN, PORTAL_OPEN, is_open
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_api_session import assert_error
from tests.mfa_helpers import Enrolled, code_now, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db
PAGE_EXEMPT = {"/portal/signin", "/portal/signin/verify", "/portal/signout"}


@pytest.fixture
def mfa_patient(patient) -> Enrolled:
    """A patient whose verified factor was set up in an earlier session."""
    setup = ApiClient()
    setup.sign_in(patient.email)
    return enroll_and_verify(setup)


def walk(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, route)
        else:
            yield route


def portal_paths() -> list[str]:
    paths = []
    for route in walk(get_resolver().url_patterns):
        if route.startswith("portal/"):
            paths.append("/" + re.sub(r"<uuid:\w+>", str(uuid.uuid4()), route))
    return sorted(set(paths))


def api_operations(api: ApiClient) -> list[tuple[str, str]]:
    doc = api.get("/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{\w+\}", str(uuid.uuid4()), path))
        for path, item in doc["paths"].items()
        for method in item
    ]


def test_password_only_session_is_sent_to_the_verify_step_from_every_page(
    mfa_patient, patient
) -> None:
    client = Client()
    response = client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    assert response["Location"] == "/portal/signin/verify?next=%2Fportal%2F"
    paths = portal_paths()
    assert len(paths) >= 10, paths
    checked = 0
    for path in paths:
        if path in PAGE_EXEMPT or is_open(path, PORTAL_OPEN):
            continue
        for method in ("get", "post"):
            answer = getattr(client, method)(path)
            assert answer.status_code == 302, (method, path, answer.status_code)
            assert answer["Location"].startswith("/portal/signin/verify?next="), path
            checked += 1
    assert checked >= 14


def test_password_only_session_gets_insufficient_aal_from_every_api_route(
    mfa_patient, patient
) -> None:
    api = ApiClient()
    body = api.sign_in(patient.email).json()
    assert (body["aal"], body["next_level"]) == ("aal1", "aal2")
    operations = api_operations(api)
    gated = [
        (m, p)
        for m, p in operations
        if not p.startswith("/api/v1/session") and not is_open(p, API_OPEN)
    ]
    assert len(gated) >= 6, operations
    for method, path in gated:
        response = api.send(method, path.removeprefix("/api/v1"), {} if method != "GET" else None)
        assert_error(response, 403, "insufficient_aal")
    assert api.get("/session").status_code == 200


def test_verify_step_raises_to_aal2_rotates_the_id_and_lands_on_next(mfa_patient, patient) -> None:
    client = Client()
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    page = client.get("/portal/signin/verify?next=/portal/security").content.decode()
    assert '<label for="id_code">6-digit code</label>' in page and ">Verify</button>" in page
    assert ">Use a recovery code</a>" in page
    before = client.cookies["carekey_session"].value
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        response = client.post(
            "/portal/signin/verify",
            {"code": code_now(mfa_patient.secret), "next": "/portal/security"},
        )
    assert response["Location"] == "/portal/security"
    assert client.cookies["carekey_session"].value != before
    assert client.get("/portal/security").status_code == 200


def test_api_verify_raises_the_session(mfa_patient, patient) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        body = api.post("/session/verify", {"code": code_now(mfa_patient.secret)}).json()
    assert (body["aal"], body["next_level"]) == ("aal2", "aal2")
    assert api.get("/mfa/factors").status_code == 200
    assert SecurityEvent.objects.filter(type="mfa.challenge.succeeded").count() == 1


def test_enrollment_code_replayed_at_sign_in_is_refused_next_step_works(patient) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        setup = ApiClient()
        setup.sign_in(patient.email)
        factor_id = setup.post("/mfa/factors", {"factor_type": "totp"}).json()
        secret = factor_id["totp"]["secret"]
        code = code_now(secret)
        assert (
            setup.post(f"/mfa/factors/{factor_id['id']}/verify", {"code": code}).status_code == 200
        )
        api = ApiClient()
        api.sign_in(patient.email)
        replay = api.post("/session/verify", {"code": code})
        assert_error(replay, 422, "mfa_verification_failed")
        assert replay.json()["error"]["message"].startswith("That code didn't work.")
        assert SecurityEvent.objects.filter(type="mfa.code.replayed").count() == 1
        traveller.shift(timedelta(seconds=30))
        assert api.post("/session/verify", {"code": code_now(secret)}).json()["aal"] == "aal2"


def test_recovery_code_works_once(mfa_patient, patient) -> None:
    code = mfa_patient.recovery_codes[0]
    first = ApiClient()
    first.sign_in(patient.email)
    mail.outbox.clear()
    assert first.post("/session/verify", {"recovery_code": code.lower()}).json()["aal"] == "aal2"
    assert len(mail.outbox) == 1
    assert SecurityEvent.objects.filter(type="recovery_code.used").count() == 1
    second = ApiClient()
    second.sign_in(patient.email)
    assert_error(
        second.post("/session/verify", {"recovery_code": code}), 422, "mfa_verification_failed"
    )
    assert first.get("/mfa/recovery-codes").json() == {"remaining": 9}


@pytest.mark.parametrize(
    "spelling",
    [
        lambda c: c.lower(),
        lambda c: c.replace("-", ""),
        lambda c: c.replace("-", " "),
        lambda c: "  " + c.lower().replace("-", " - ") + " ",
    ],
    ids=["lower case", "no hyphens", "spaces for hyphens", "spaces around, lower case"],
)
def test_recovery_code_is_accepted_however_it_is_typed(mfa_patient, patient, spelling) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    typed = spelling(mfa_patient.recovery_codes[0])
    assert api.post("/session/verify", {"recovery_code": typed}).json()["aal"] == "aal2"


@pytest.mark.parametrize(
    "bad", ["", "ABCD", "0000-0000-0000-0000", "x" * 999, "ÄBCD-EFGH-JKMN-PQRS"]
)
def test_malformed_recovery_codes_get_a_clear_message(mfa_patient, patient, bad: str) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    response = api.post("/session/verify", {"recovery_code": bad})
    assert_error(response, 422, "validation_error")
    assert "recovery code" in response.json()["error"]["message"]


def test_page_says_how_many_recovery_codes_are_left(mfa_patient, patient) -> None:
    client = Client()
    for code in mfa_patient.recovery_codes[:8]:
        client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
        client.post("/portal/signin/verify?method=recovery", {"recovery_code": code})
    html = client.get("/portal/").content.decode()
    assert "You have 2 left." in html and "Generate new recovery codes" in html


def test_throttling_and_audit_on_the_verify_step(mfa_patient, patient) -> None:
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False):
        api = ApiClient()
        api.sign_in(patient.email)
        bad = wrong_code(mfa_patient.secret)
        statuses = [api.post("/session/verify", {"code": bad}).status_code for _ in range(5)]
        right = api.post("/session/verify", {"code": code_now(mfa_patient.secret)})
    assert statuses == [422] * 5
    assert_error(right, 429, "too_many_attempts")
    assert right["Retry-After"] == "30"
    counts = {
        kind: SecurityEvent.objects.filter(type=kind).count()
        for kind in ("mfa.challenge.failed", "mfa.throttled")
    }
    assert counts == {"mfa.challenge.failed": 5, "mfa.throttled": 1}


def test_waiting_on_the_verify_step_expires_after_ten_minutes(mfa_patient, patient) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api = ApiClient()
        api.sign_in(patient.email)
        traveller.shift(timedelta(minutes=9))
        assert api.get("/session").status_code == 200
        traveller.shift(timedelta(minutes=1, seconds=5))
        assert_error(api.get("/session"), 401, "not_authenticated")


def test_verified_session_is_not_cut_at_ten_minutes(mfa_patient, patient) -> None:
    with time_machine.travel(timezone.now() + timedelta(seconds=30), tick=False) as traveller:
        api = ApiClient()
        api.sign_in(patient.email)
        api.post("/session/verify", {"code": code_now(mfa_patient.secret)})
        traveller.shift(timedelta(minutes=11))
        assert api.get("/session").status_code == 200
