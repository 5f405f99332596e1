"""One rule for the app-lock delay (CONTRACT §2, issue 17 item 7): each of 1, 2, 5, 10, 15
and 30 minutes is offered only while shorter than the idle sign-out. The page's "Lock
after" list, the API's check, its OpenAPI enum and the refusal's sentence all state it the
same way, because they all come from applock.offered_lock_minutes."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from carekey.applock import services as applock
from carekey.policy.models import SecurityPolicy
from tests.conftest import ApiClient
from tests.integration.test_api_session import assert_error
from tests.page_helpers import section

pytestmark = pytest.mark.django_db
GOOD = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
PAGE_FORM = {"enabled": "on", "unlock_method": "password"}


@pytest.fixture
def policy() -> Iterator[SecurityPolicy]:
    cache.clear()
    yield SecurityPolicy.objects.create(pk=1)
    cache.clear()


def offered_on_the_page(page: Client) -> list[int]:
    lock = section(page.get("/portal/security").content.decode(), "app-lock-heading")
    return [int(value) for value in re.findall(r'<option value="(\d+)"', lock)]


def enum_in_the_document(api: ApiClient) -> list[int]:
    schema = api.get("/openapi.json").json()["components"]["schemas"]["AppLockIn"]
    return list(schema["properties"]["timeout_minutes"]["enum"])


def refusal(api: ApiClient, minutes: object) -> str:
    response = api.put("/app-lock", {**GOOD, "timeout_minutes": minutes})
    assert_error(response, 422, "validation_error")
    return str(response.json()["error"]["message"])


@pytest.mark.parametrize(
    ("idle", "offered"),
    [
        (30, [1, 2, 5, 10, 15]),
        (31, [1, 2, 5, 10, 15, 30]),
        (60, [1, 2, 5, 10, 15, 30]),
        (10, [1, 2, 5]),
        (2, [1]),
    ],
)
def test_the_page_the_api_and_its_enum_offer_the_delays_shorter_than_the_idle_sign_out(
    signed_in_api: ApiClient, settings: Any, idle: int, offered: list[int]
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = idle
    assert list(applock.offered_lock_minutes()) == offered
    assert offered_on_the_page(signed_in_api.client) == offered
    assert enum_in_the_document(signed_in_api) == offered
    for minutes in offered:
        response = signed_in_api.put("/app-lock", {**GOOD, "timeout_minutes": minutes})
        assert response.status_code == 200, (minutes, response.content)


def test_3_and_30_are_refused_with_one_sentence_that_names_the_rule(
    signed_in_api: ApiClient, settings: Any
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 30
    sentence = refusal(signed_in_api, 3)
    assert sentence == refusal(signed_in_api, 30) == refusal(signed_in_api, 60)
    assert sentence == (
        "Choose a lock delay of 1, 2, 5, 10 or 15 minutes: it must be shorter than the "
        "30-minute idle sign-out."
    )


def test_30_is_offered_and_saved_once_the_idle_sign_out_is_longer(
    signed_in_api: ApiClient, settings: Any
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 45
    response = signed_in_api.put("/app-lock", {**GOOD, "timeout_minutes": 30})
    assert response.status_code == 200
    assert signed_in_api.get("/app-lock").json()["timeout_minutes"] == 30
    assert "idle sign-out" in refusal(signed_in_api, 3)
    assert "1, 2, 5, 10, 15 or 30 minutes" in refusal(signed_in_api, 3)


def test_the_document_describes_the_rule_in_the_api_s_own_sentence(
    signed_in_api: ApiClient, settings: Any
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 30
    schema = signed_in_api.get("/openapi.json").json()["components"]["schemas"]["AppLockIn"]
    assert schema["properties"]["timeout_minutes"]["description"].startswith(
        refusal(signed_in_api, 3)
    )


def test_a_forged_page_delay_is_refused_in_the_api_s_sentence(
    signed_in_api: ApiClient, settings: Any
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 30
    page = signed_in_api.client.post(
        "/portal/security/app-lock",
        {**PAGE_FORM, "timeout_minutes": "30", "csrfmiddlewaretoken": signed_in_api.csrf},
    )
    assert page.status_code == 400
    shown = html_lib.unescape(page.content.decode())
    assert refusal(signed_in_api, 30) in shown
    assert "is not one of the available choices" not in shown


def test_the_organisation_maximum_narrows_the_page_and_has_its_own_sentence(
    policy: SecurityPolicy, signed_in_api: ApiClient, settings: Any
) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 30
    policy.max_app_lock_minutes = 10
    policy.save()
    assert offered_on_the_page(signed_in_api.client) == [1, 2, 5, 10]
    assert applock.minute_choices() == [1, 2, 5, 10]
    assert (
        refusal(signed_in_api, 15) == "Your organisation allows a lock delay of at most 10 minutes."
    )
    assert "idle sign-out" in refusal(signed_in_api, 30)
    page = signed_in_api.client.post(
        "/portal/security/app-lock",
        {**PAGE_FORM, "timeout_minutes": "15", "csrfmiddlewaretoken": signed_in_api.csrf},
    )
    assert page.status_code == 400
    assert refusal(signed_in_api, 15) in html_lib.unescape(page.content.decode())


def test_the_list_of_delays_is_joined_in_the_patient_s_language(settings: Any) -> None:
    settings.CAREKEY_IDLE_TIMEOUT_MINUTES = 30
    with translation.override("es"):
        sentence = applock.lock_minutes_rule()
    assert "1, 2, 5, 10 o 15" in sentence
