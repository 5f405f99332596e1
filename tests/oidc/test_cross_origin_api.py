"""Single-page apps on another origin (CAREKEY_CORS_ORIGINS): an allowed origin calls
/api/v1 with the patient's cookies, any other origin gets no CORS grant and its unsafe
calls fail the CSRF origin check."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

SPA = "http://localhost:5173"
EVIL = "http://localhost:6666"


@pytest.fixture(autouse=True)
def spa_origin(settings: Any) -> None:
    settings.CAREKEY_CORS_ORIGINS = [SPA]
    settings.CORS_ALLOWED_ORIGINS = [SPA]
    settings.CSRF_TRUSTED_ORIGINS = [SPA]


def test_the_allowed_origin_gets_a_credentialed_cors_answer(signed_in_api: ApiClient) -> None:
    answer = signed_in_api.get("/session", HTTP_ORIGIN=SPA)
    assert answer["Access-Control-Allow-Origin"] == SPA
    assert answer["Access-Control-Allow-Credentials"] == "true"
    preflight = signed_in_api.client.options(
        "/api/v1/app-lock",
        HTTP_ORIGIN=SPA,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, x-csrftoken",
    )
    assert preflight.status_code == 200
    assert "x-csrftoken" in preflight["Access-Control-Allow-Headers"]


def test_another_origin_gets_no_cors_grant(signed_in_api: ApiClient) -> None:
    answer = signed_in_api.get("/session", HTTP_ORIGIN=EVIL)
    assert "Access-Control-Allow-Origin" not in answer


@pytest.mark.parametrize(("origin", "status"), [(SPA, 200), (EVIL, 403)])
def test_unsafe_calls_pass_csrf_only_from_the_allowed_origin(
    signed_in_api: ApiClient, origin: str, status: int
) -> None:
    body = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
    answer = signed_in_api.put("/app-lock", body, HTTP_ORIGIN=origin)
    assert answer.status_code == status, answer.content


def test_pages_and_the_provider_get_no_cors(signed_in_api: ApiClient) -> None:
    page = signed_in_api.client.get("/portal/security", HTTP_ORIGIN=SPA)
    assert "Access-Control-Allow-Origin" not in page


def test_the_interactive_docs_send_the_csrf_header(signed_in_api: ApiClient) -> None:
    """ "Try it out" posts with X-CSRFToken: the page carries the token for Swagger UI's
    request interceptor (ninja's swagger-ui-init.js), so unsafe calls pass the gate."""
    page = signed_in_api.client.get("/api/v1/docs").content.decode()
    assert 'data-api-csrf="true"' in page
    token = page.split('data-csrf-token="')[1].split('"')[0]
    assert len(token) >= 32
    body = {"enabled": True, "timeout_minutes": 5, "unlock_method": "password"}
    answer = signed_in_api.client.put(
        "/api/v1/app-lock", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200, answer.content
