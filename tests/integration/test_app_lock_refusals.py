"""Which app-lock settings are refused and how (CONTRACT §3): the lock delay must be
shorter than the idle sign-out, and every refusal is a sentence for a person, not a
validator's report."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from tests.conftest import ApiClient
from tests.integration.test_api_session import assert_error
from tests.page_helpers import section

pytestmark = pytest.mark.django_db


def turn_on(api: ApiClient, minutes: int = 5, method: str = "password") -> None:
    body = {"enabled": True, "timeout_minutes": minutes, "unlock_method": method}
    response = api.put("/app-lock", body)
    assert response.status_code == 200, response.content


# The lock delay must be shorter than the idle sign-out.


def test_lock_delay_equal_to_the_idle_sign_out_is_refused_clearly(
    signed_in_api: ApiClient, patient: User, settings: Any
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 30
    turn_on(signed_in_api, 10)
    response = signed_in_api.put(
        "/app-lock", {"enabled": True, "timeout_minutes": 30, "unlock_method": "password"}
    )
    assert_error(response, 422, "validation_error")
    message = response.json()["error"]["message"]
    assert "idle sign-out" in message and "30" in message and "shorter" in message
    assert message[0].isupper() and message.endswith(".")
    assert signed_in_api.get("/app-lock").json() == {
        "enabled": True,
        "timeout_minutes": 10,
        "unlock_method": "password",
    }
    row = AppLockPreference.objects.get(user=patient)
    assert (row.enabled, row.timeout_minutes) == (True, 10)


def test_security_page_does_not_offer_the_idle_sign_out_minutes(
    signed_in_page: Client, patient: User, settings: Any
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 30
    html = signed_in_page.get("/portal/security").content.decode()
    lock = section(html, "app-lock-heading")
    offered = re.findall(r'<option value="(\d+)"', lock)
    assert offered == ["1", "2", "5", "10", "15"]
    refused = signed_in_page.post(
        "/portal/security/app-lock",
        {"enabled": "on", "timeout_minutes": "30", "unlock_method": "password"},
    )
    assert refused.status_code == 400
    assert not AppLockPreference.objects.filter(user=patient, timeout_minutes=30).exists()


# Every 422 from PUT /app-lock words the problem as a sentence for a person.

GOOD = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
BAD_BODIES: list[Any] = [
    pytest.param({**GOOD, "timeout_minutes": 3}, id="minutes-3"),
    pytest.param({**GOOD, "timeout_minutes": 60}, id="minutes-60"),
    pytest.param({**GOOD, "timeout_minutes": 0}, id="minutes-0"),
    pytest.param({**GOOD, "timeout_minutes": -5}, id="minutes-negative"),
    pytest.param({**GOOD, "timeout_minutes": 10**30}, id="minutes-huge"),
    pytest.param({**GOOD, "timeout_minutes": "5"}, id="minutes-string"),
    pytest.param({**GOOD, "timeout_minutes": 5.5}, id="minutes-fraction"),
    pytest.param({**GOOD, "timeout_minutes": None}, id="minutes-null"),
    pytest.param({**GOOD, "timeout_minutes": [5]}, id="minutes-list"),
    pytest.param({**GOOD, "enabled": "yes"}, id="enabled-string"),
    pytest.param({**GOOD, "enabled": 1}, id="enabled-number"),
    pytest.param({**GOOD, "enabled": None}, id="enabled-null"),
    pytest.param({**GOOD, "unlock_method": "fingerprint"}, id="method-unknown"),
    pytest.param({**GOOD, "unlock_method": "code"}, id="method-code-without-factor"),
    pytest.param({**GOOD, "unlock_method": 7}, id="method-number"),
    pytest.param({**GOOD, "unlock_method": "p" * 50}, id="method-too-long"),
    pytest.param({**GOOD, "unlock_method": ""}, id="method-empty"),
    pytest.param({**GOOD, "extra": 1}, id="extra-field"),
    pytest.param({"enabled": True, "timeout_minutes": 5}, id="missing-method"),
    pytest.param({"timeout_minutes": 5, "unlock_method": "password"}, id="missing-enabled"),
    pytest.param({}, id="empty-object"),
    pytest.param([], id="empty-array"),
    pytest.param([GOOD], id="array-of-object"),
    pytest.param("password", id="bare-word"),
    pytest.param(42, id="number"),
    pytest.param(None, id="no-body"),
]
PYTHON_TALK = (
    "Input should",
    "Extra inputs",
    "String should",
    "Field required",
    "Value error",
    "pydantic",
    "input_value",
    "type=",
    "{'",
    "[{",
    "Traceback",
    "NoneType",
)


def person_sentence_problems(message: object) -> list[str]:
    problems = []
    if not isinstance(message, str) or not message.strip():
        return ["no message"]
    if not message.endswith("."):
        problems.append("does not end with a period")
    if not message[0].isupper():
        problems.append("does not start with a capital letter")
    problems += [f"contains {word!r}" for word in PYTHON_TALK if word in message]
    return problems


@pytest.mark.parametrize("body", BAD_BODIES)
def test_every_refused_app_lock_body_gets_a_sentence_for_a_person(
    signed_in_api: ApiClient, body: Any
) -> None:
    turn_on(signed_in_api, 10)
    response = signed_in_api.put("/app-lock", body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert not person_sentence_problems(error["message"]), (
        error["message"],
        person_sentence_problems(error["message"]),
    )
    assert signed_in_api.get("/app-lock").json()["timeout_minutes"] == 10


def test_a_body_that_is_not_json_gets_a_sentence_too(signed_in_api: ApiClient) -> None:
    response = signed_in_api.client.put(
        "/api/v1/app-lock",
        "enabled=true&timeout_minutes=5",
        content_type="application/json",
        headers={"X-CSRFToken": signed_in_api.csrf},
    )
    assert response.status_code == 422, response.content
    message = response.json()["error"]["message"]
    assert not person_sentence_problems(message), message
