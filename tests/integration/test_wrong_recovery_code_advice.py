"""A wrong recovery code gets advice about recovery codes, not about the phone's clock.

A recovery code has no time in it: "Check the time on your phone" sends a patient who lost
their phone looking for it. The advice is the same sentence on the page and in the API.
"""

from __future__ import annotations

import html

import pytest
from django.test import Client

from carekey.accounts.models import User
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import Enrolled, enroll_and_verify, wrong_code

pytestmark = pytest.mark.django_db

RECOVERY_ADVICE = (
    "That recovery code didn't work. Check it against your saved list; each code works once."
)
CLOCK_ADVICE = "Check the time on your phone"
UNUSED_SHAPED = "ZZZZ-ZZZZ-ZZZZ-ZZZZ"  # well formed, but in nobody's list


@pytest.fixture
def mfa_patient(patient: User) -> Enrolled:
    setup = ApiClient()
    setup.sign_in(patient.email)
    return enroll_and_verify(setup)


def password_only(patient: User) -> ApiClient:
    api = ApiClient()
    api.sign_in(patient.email)
    return api


def test_api_refuses_a_wrong_recovery_code_with_recovery_advice(
    mfa_patient: Enrolled, patient: User
) -> None:
    answer = password_only(patient).post("/session/verify", {"recovery_code": UNUSED_SHAPED})
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error == {"code": "mfa_verification_failed", "message": RECOVERY_ADVICE}


def test_api_refuses_a_spent_recovery_code_with_recovery_advice(
    mfa_patient: Enrolled, patient: User
) -> None:
    code = mfa_patient.recovery_codes[0]
    used = password_only(patient).post("/session/verify", {"recovery_code": code})
    assert used.status_code == 200
    again = password_only(patient).post("/session/verify", {"recovery_code": code})
    assert again.json()["error"]["message"] == RECOVERY_ADVICE


def test_a_wrong_six_digit_code_keeps_the_clock_advice(
    mfa_patient: Enrolled, patient: User
) -> None:
    answer = password_only(patient).post(
        "/session/verify", {"code": wrong_code(mfa_patient.secret)}
    )
    assert CLOCK_ADVICE in answer.json()["error"]["message"]


def test_verify_page_shows_recovery_advice_under_the_recovery_code_field(
    mfa_patient: Enrolled, patient: User
) -> None:
    client = Client()
    client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    answer = client.post("/portal/signin/verify?method=recovery", {"recovery_code": UNUSED_SHAPED})
    page = html.unescape(answer.content.decode())
    assert answer.status_code == 400
    assert RECOVERY_ADVICE in page
    assert CLOCK_ADVICE not in page


def test_reauthentication_with_a_wrong_recovery_code_gets_recovery_advice(
    mfa_patient: Enrolled, patient: User
) -> None:
    api = password_only(patient)
    spare = mfa_patient.recovery_codes[0]  # the enrollment just used this step's code
    assert api.post("/session/verify", {"recovery_code": spare}).status_code == 200
    answer = api.post("/session/reauthenticate", {"recovery_code": UNUSED_SHAPED})
    assert answer.json()["error"]["message"] == RECOVERY_ADVICE
