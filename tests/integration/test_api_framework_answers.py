"""What the web framework answers under /api/ carries the API's error body too (CONTRACT §3,
issue 17 item 12): a wrong method, an unknown path, a body too large or unreadable, a
document URL posted to. Never ninja's text/html "Method not allowed", never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from carekey.api.error_codes import ERROR_CODES
from tests.conftest import ApiClient
from tests.integration.test_api_session import assert_error

pytestmark = pytest.mark.django_db


def error_of(response: Any) -> dict[str, str]:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] in ERROR_CODES
    assert body["error"]["message"][0].isupper() and body["error"]["message"].endswith(".")
    return body["error"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PATCH", "/session", "DELETE, GET, POST"),
        ("PUT", "/session", "DELETE, GET, POST"),
        ("PUT", "/mfa/factors", "GET, POST"),
        ("POST", "/app-lock", "GET, PUT"),
        ("GET", "/session/verify", "POST"),
        ("POST", "/sessions", "GET"),
        ("OPTIONS", "/security-events", "GET"),
    ],
)
def test_a_wrong_method_is_405_in_the_error_body_with_allow(
    signed_in_api: ApiClient, method: str, path: str, allowed: str
) -> None:
    response = signed_in_api.send(method, path)
    assert response.status_code == 405
    error = error_of(response)
    assert error["code"] == "method_not_allowed"
    assert method in error["message"]
    assert response["Allow"] == allowed


def test_a_wrong_method_without_the_csrf_header_is_refused_for_csrf_first(
    signed_in_api: ApiClient,
) -> None:
    assert_error(signed_in_api.send("PATCH", "/session", csrf=False), 403, "csrf_failed")


@pytest.mark.parametrize("path", ["/nothing-here", "/mfa/factors/a/b/c", "/session/"])
def test_an_unknown_path_is_404_not_found(signed_in_api: ApiClient, path: str) -> None:
    response = signed_in_api.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_an_unknown_version_is_404_in_the_error_body(api: ApiClient) -> None:
    response = api.client.get("/api/v2/session")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_body_over_the_upload_limit_is_413(api: ApiClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post("/session", {"email": "a@example.org", "password": "x" * 2000})
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"


@pytest.mark.parametrize("content_type", ["multipart/form-data; boundary=x", "application/json"])
def test_the_document_urls_answer_only_get(api: ApiClient, content_type: str) -> None:
    for path in ("/openapi.json", "/docs"):
        response = api.client.post(
            f"/api/v1{path}",
            b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--x--\r\n",
            content_type=content_type,
            headers={"X-CSRFToken": api.csrf},
        )
        assert response.status_code == 405, (path, response.content[:200])
        assert error_of(response)["code"] == "method_not_allowed"
        assert response["Allow"] == "GET, HEAD"
    assert api.get("/openapi.json").status_code == 200
    assert api.get("/docs").status_code == 200


def test_an_unreadable_form_body_is_400_bad_request(api: ApiClient, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    response = api.client.post(
        "/api/v1/session",
        "&".join(f"f{i}=1" for i in range(20)),
        content_type="application/x-www-form-urlencoded",
        headers={"X-CSRFToken": api.csrf},
    )
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"
