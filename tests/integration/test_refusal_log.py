"""Expected refusals are logged once at INFO in our words; Django's 4xx warning stays quiet.

A wrong code, a wrong password or a throttled attempt used to print Django's "Bad Request:
/portal/signin/verify" warning; the operator reading the log could not tell them from real
trouble. Real errors, and 4xx answers that are not such refusals, are still logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from carekey.portal import views
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import Enrolled, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def mfa_patient(patient: User) -> Enrolled:
    setup = ApiClient()
    setup.sign_in(patient.email)
    return enroll_and_verify(setup)


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name == logger]


def django_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [m for level, m in lines(caplog, "django.request") if level == "WARNING"]


def password_step(patient: User) -> Client:
    client = Client()
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    return client


def test_a_wrong_code_on_the_verify_page_is_one_info_line(
    mfa_patient: Enrolled, patient: User, log: pytest.LogCaptureFixture
) -> None:
    client = password_step(patient)
    log.clear()
    typed = wrong_code(mfa_patient.secret)
    assert client.post("/portal/signin/verify", {"code": typed}).status_code == 400
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: wrong code, 400, /portal/signin/verify")
    ]
    assert django_warnings(log) == []
    assert typed not in log.text


def test_a_wrong_code_in_the_api_is_one_info_line(
    mfa_patient: Enrolled, patient: User, log: pytest.LogCaptureFixture
) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    log.clear()
    assert api.post("/session/verify", {"code": wrong_code(mfa_patient.secret)}).status_code == 422
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: wrong code, 422, /api/v1/session/verify")
    ]
    assert django_warnings(log) == []


def test_a_wrong_recovery_code_says_so(
    mfa_patient: Enrolled, patient: User, log: pytest.LogCaptureFixture
) -> None:
    client = password_step(patient)
    log.clear()
    client.post("/portal/signin/verify?method=recovery", {"recovery_code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: wrong recovery code, 400, /portal/signin/verify")
    ]
    assert django_warnings(log) == []


def test_a_malformed_code_is_a_refusal_too(
    mfa_patient: Enrolled, patient: User, log: pytest.LogCaptureFixture
) -> None:
    api = ApiClient()
    api.sign_in(patient.email)
    log.clear()
    assert api.post("/session/verify", {"code": "12345"}).status_code == 422
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: malformed code, 422, /api/v1/session/verify")
    ]
    assert django_warnings(log) == []


def test_wrong_passwords_on_the_page_and_in_the_api(
    patient: User, log: pytest.LogCaptureFixture
) -> None:
    page = Client().post("/portal/signin", {"email": patient.email, "password": "not it at all"})
    assert page.status_code == 400
    api = ApiClient()
    log.clear()
    answer = api.post("/session", {"email": patient.email, "password": "not it at all"})
    assert answer.status_code == 401
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: wrong password, 401, /api/v1/session")
    ]
    assert django_warnings(log) == []
    assert "not it at all" not in log.text


def test_the_sign_in_page_logs_a_wrong_password_in_our_words(
    patient: User, log: pytest.LogCaptureFixture
) -> None:
    Client().post("/portal/signin", {"email": patient.email, "password": "not it at all"})
    assert ("INFO", "refused: wrong password, 400, /portal/signin") in lines(
        log, "carekey.refusals"
    )
    assert django_warnings(log) == []


def test_a_throttled_sign_in_is_logged_as_throttled(
    patient: User, log: pytest.LogCaptureFixture
) -> None:
    client = Client()
    for _ in range(5):
        client.post("/portal/signin", {"email": patient.email, "password": "not it at all"})
    log.clear()
    held = client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    assert held.status_code == 429
    assert lines(log, "carekey.refusals") == [("INFO", "refused: throttled, 429, /portal/signin")]
    assert django_warnings(log) == []


def test_a_wrong_password_on_the_lock_screen(
    signed_in_page: Client, patient: User, log: pytest.LogCaptureFixture
) -> None:
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=5)
    signed_in_page.post("/portal/lock", {"next": "/portal/"})
    log.clear()
    answer = signed_in_page.post("/portal/locked", {"password": "not it at all"})
    assert answer.status_code == 400
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: wrong password, 400, /portal/locked")
    ]
    assert django_warnings(log) == []


def test_other_4xx_answers_are_still_django_warnings(
    signed_in_page: Client, log: pytest.LogCaptureFixture
) -> None:
    assert signed_in_page.get("/portal/no-such-page").status_code == 404
    assert django_warnings(log) == ["Not Found: /portal/no-such-page"]
    assert lines(log, "carekey.refusals") == []


def test_real_errors_are_still_logged_as_errors(
    signed_in_page: Client, log: pytest.LogCaptureFixture, monkeypatch: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(views, "render_security", broken)
    signed_in_page.raise_request_exception = False
    assert signed_in_page.get("/portal/security").status_code == 500
    errors = [m for level, m in lines(log, "django.request") if level == "ERROR"]
    assert errors == ["Internal Server Error: /portal/security"]


def test_a_dead_reset_link_is_logged_without_its_token(
    client: Client, log: pytest.LogCaptureFixture
) -> None:
    token = "a-made-up-reset-token-that-must-not-reach-the-log-0123456789"
    assert client.get(f"/portal/password/reset/{token}").status_code == 400
    assert client.post(f"/portal/password/reset/{token}", {}).status_code == 400
    assert token not in log.text
    line = "refused: reset link expired, used or unknown, 400, /portal/password/reset/[token]"
    assert lines(log, "carekey.refusals") == [("INFO", line)] * 2


def test_djangos_own_lines_about_a_reset_link_hold_no_token(
    client: Client, log: pytest.LogCaptureFixture
) -> None:
    token = "another-made-up-reset-token-0123456789abcdef"
    assert client.put(f"/portal/password/reset/{token}").status_code == 405
    assert token not in log.text
    assert django_warnings(log) == ["Method Not Allowed (PUT): /portal/password/reset/[token]"]


def test_a_wrong_current_password_is_an_expected_refusal(
    patient: User, log: pytest.LogCaptureFixture
) -> None:
    client = password_step(patient)
    log.clear()
    new = "copper kettle north meadow"
    answer = client.post(
        "/portal/security/password",
        {"current_password": "not-the-password", "new_password": new, "confirm_password": new},
    )
    assert answer.status_code == 400
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: wrong password, 400, /portal/security/password")
    ]
    assert django_warnings(log) == []


def test_a_wrong_unlock_password_is_an_expected_refusal(
    patient: User, log: pytest.LogCaptureFixture
) -> None:
    api = ApiClient()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api.sign_in(patient.email)
        AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=1)
        traveller.shift(timedelta(minutes=2))
        assert api.get("/session").json()["locked"] is True
        log.clear()
        assert api.post("/session/unlock", {"password": "not-the-password"}).status_code == 422
    assert lines(log, "carekey.refusals") == [
        ("INFO", "refused: wrong password, 422, /api/v1/session/unlock")
    ]
    assert django_warnings(log) == []
