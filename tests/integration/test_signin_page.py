"""The sign-in page, sign-out and the portal layout (CONTRACT §2)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_root_redirects_to_portal(page_client: Client) -> None:
    response = page_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/portal/"


@pytest.mark.parametrize("path", ["/portal/", "/portal/security"])
def test_pages_need_a_session_and_keep_next(page_client: Client, path: str) -> None:
    response = page_client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/portal/signin?next=" + path.replace("/", "%2F")


def test_signin_page_has_labelled_fields(page_client: Client) -> None:
    html = page_client.get("/portal/signin").content.decode()
    assert re.search(r'<label for="id_email">Email</label>', html)
    assert re.search(r'<label for="id_password">Password</label>', html)
    assert '<button type="submit">Sign in</button>' in html


def test_correct_password_lands_on_next(page_client: Client, patient) -> None:
    response = page_client.post(
        "/portal/signin?next=/portal/security",
        {"email": "ANA@example.org", "password": PASSWORD, "next": "/portal/security"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/portal/security"
    assert SecurityEvent.objects.filter(type="signin.succeeded", user=patient).count() == 1


@pytest.mark.parametrize(
    "next_value",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", " /x"],
)
def test_next_off_site_is_ignored(page_client: Client, patient, next_value: str) -> None:
    response = page_client.post(
        "/portal/signin", {"email": patient.email, "password": PASSWORD, "next": next_value}
    )
    assert response["Location"] == "/portal/"


def test_wrong_password_and_unknown_email_look_the_same(page_client: Client, patient) -> None:
    wrong = page_client.post("/portal/signin", {"email": patient.email, "password": "nope-nope"})
    unknown = page_client.post(
        "/portal/signin", {"email": "nobody@example.org", "password": "nope-nope"}
    )
    assert wrong.status_code == unknown.status_code == 400
    for response in (wrong, unknown):
        assert "Email or password is incorrect." in response.content.decode()
    assert SecurityEvent.objects.filter(type="signin.failed").count() == 2


def test_layout_has_portal_navigation_with_current_page(signed_in_page: Client) -> None:
    html = signed_in_page.get("/portal/security").content.decode()
    assert '<nav aria-label="Portal"' in html
    assert '<a href="/portal/security" aria-current="page">Security</a>' in html
    assert '<a href="/portal/">Home</a>' in html
    assert "<h1>Security settings</h1>" in html
    assert ">Sign out</button>" in html


def test_sign_out_ends_the_session(signed_in_page: Client) -> None:
    response = signed_in_page.post("/portal/signout")
    assert response["Location"] == "/portal/signin"
    assert signed_in_page.get("/portal/").status_code == 302


def test_sign_out_by_get_only_asks(signed_in_page: Client) -> None:
    page = signed_in_page.get("/portal/signout")
    assert page.status_code == 200 and ">Sign out</button>" in page.content.decode()
    assert signed_in_page.get("/portal/").status_code == 200


def test_page_form_without_csrf_token_is_refused(patient) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "Your form expired" in response.content.decode()


@pytest.mark.parametrize(
    "data",
    [{}, {"email": "x" * 300, "password": "p"}, {"email": "a@b.c", "password": "p" * 2000}],
)
def test_bad_form_input_is_a_clear_400(page_client: Client, data: dict[str, str]) -> None:
    response = page_client.post("/portal/signin", data)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
