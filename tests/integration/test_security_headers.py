"""Headers on every page and API answer: CSP without inline code, no framing, no sniffing."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

PATHS = ["/portal/signin", "/portal/", "/portal/security", "/api/v1/session", "/no-such-page"]


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_carries_the_security_headers(signed_in_page: Client, path: str) -> None:
    response = signed_in_page.get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(signed_in_page: Client) -> None:
    for path in ("/portal/signin", "/portal/", "/portal/security"):
        html = signed_in_page.get(path).content.decode()
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert '<script src="/static/' in html


def test_static_assets_are_served_by_us(page_client: Client) -> None:
    response = page_client.get("/static/carekey/site.css")
    assert response.status_code == 200


def test_html_404_page_is_friendly(page_client: Client) -> None:
    response = page_client.get("/portal/nope")
    assert response.status_code in (302, 404)
    response = page_client.get("/nope")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
