"""When the database cannot be reached: a friendly 503 page, a JSON 503, never a 500."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.test import Client

from carekey.accounts.session_store import SessionStore

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(self: SessionStore) -> dict[str, object]:
        raise OperationalError("connection refused")

    monkeypatch.setattr(SessionStore, "load", unreachable)


def test_pages_answer_a_friendly_503(signed_in_page: Client, database_down: None) -> None:
    client = Client(raise_request_exception=False)
    client.cookies = signed_in_page.cookies
    response = client.get("/portal/security")
    assert response.status_code == 503
    html = response.content.decode()
    assert "Temporarily unavailable" in html and "try again in a few minutes" in html
    assert response["Retry-After"] == "30"
    assert "Content-Security-Policy" in response


def test_api_answers_service_unavailable(signed_in_page: Client, database_down: None) -> None:
    client = Client(raise_request_exception=False)
    client.cookies = signed_in_page.cookies
    response = client.get("/api/v1/mfa/factors")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
