"""GET, POST and DELETE /api/v1/session, CSRF and the error format (CONTRACT §3)."""

from __future__ import annotations

import pytest
from django.test import Client

from carekey.accounts.models import PortalSession
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"].endswith(".")


def test_get_session_sets_csrf_cookie_when_signed_out() -> None:
    client = Client()
    response = client.get("/api/v1/session")
    assert_error(response, 401, "not_authenticated")
    assert "csrftoken" in response.cookies


def test_sign_in_returns_the_session(api: ApiClient, patient) -> None:
    body = api.sign_in(patient.email).json()
    assert body == {
        "user": {"id": patient.pk, "email": "ana@example.org", "name": "Ana Patient"},
        "aal": "aal1",
        "next_level": "aal1",
        "locked": False,
        "reauthenticated_until": None,
    }
    assert api.get("/session").json()["user"]["email"] == "ana@example.org"


def test_sign_in_sets_session_cookie_httponly_lax(api: ApiClient, patient) -> None:
    response = api.sign_in(patient.email)
    cookie = response.cookies["carekey_session"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]


def test_wrong_password_and_unknown_email_answer_the_same(api: ApiClient, patient) -> None:
    wrong = api.post("/session", {"email": patient.email, "password": "wrong-password"})
    unknown = api.post("/session", {"email": "who@example.org", "password": "wrong-password"})
    assert_error(wrong, 401, "invalid_credentials")
    assert_error(unknown, 401, "invalid_credentials")
    assert wrong.json() == unknown.json()


def test_post_without_csrf_header_is_403_in_error_format(api: ApiClient, patient) -> None:
    response = api.post("/session", {"email": patient.email, "password": PASSWORD}, csrf=False)
    assert_error(response, 403, "csrf_failed")


def test_delete_without_csrf_header_is_refused(signed_in_api: ApiClient) -> None:
    assert_error(signed_in_api.delete("/session", csrf=False), 403, "csrf_failed")
    assert signed_in_api.get("/session").status_code == 200


def test_delete_session_signs_out(signed_in_api: ApiClient) -> None:
    assert signed_in_api.delete("/session").status_code == 204
    assert_error(signed_in_api.get("/session"), 401, "not_authenticated")
    assert PortalSession.objects.filter(user__isnull=False).count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.org"},
        {"password": "x"},
        {"email": "x" * 255, "password": "p"},
        {"email": "a@example.org", "password": "p" * 1025},
        ["not", "an", "object"],
        "a string",
        42,
        {"email": 5, "password": None},
    ],
)
def test_bad_bodies_are_422_validation_error(api: ApiClient, body) -> None:
    assert_error(api.post("/session", body), 422, "validation_error")


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b""])
def test_non_json_body_is_a_4xx_in_error_format(api: ApiClient, raw: bytes) -> None:
    response = api.client.post(
        "/api/v1/session", raw, content_type="application/json", headers={"X-CSRFToken": api.csrf}
    )
    assert response.status_code in (400, 422)
    assert "code" in response.json()["error"]


def test_unknown_api_route_is_404_in_error_format(signed_in_api: ApiClient) -> None:
    assert_error(signed_in_api.get("/nothing-here"), 404, "not_found")


def test_openapi_document_lists_the_session_calls(api: ApiClient) -> None:
    doc = api.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert {"get", "post", "delete"} <= set(doc["paths"]["/api/v1/session"])


def test_docs_page_uses_only_our_assets(api: ApiClient) -> None:
    html = api.get("/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
