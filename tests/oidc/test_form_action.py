"""CSP form-action in the sign-in flow (found by the Chromium test): a page that continues
an app's authorization may post to, and so be redirected to, that app's registered
address, and to nothing else; every other page keeps `form-action 'self'`."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from carekey.oidc import clients

pytestmark = pytest.mark.django_db

APP = "https://portal.example.org/callback"


def form_action(response: object) -> str:
    policy = str(response["Content-Security-Policy"])  # type: ignore[index]
    return next(d for d in policy.split("; ") if d.startswith("form-action"))


def authorize_path(client_id: str, redirect_uri: str) -> str:
    return "/o/authorize/?" + urlencode({"client_id": client_id, "redirect_uri": redirect_uri})


def test_the_sign_in_page_of_an_app_flow_may_post_on_to_the_app() -> None:
    client_id = clients.register("Portal", [APP]).client_id
    page = Client().get("/portal/signin", {"next": authorize_path(client_id, APP)})
    assert form_action(page) == "form-action 'self' https://portal.example.org"


@pytest.mark.parametrize(
    "uri", ["https://evil.example/callback", "https://portal.example.org/other"]
)
def test_an_address_the_client_did_not_register_is_never_allowed(uri: str) -> None:
    client_id = clients.register("Portal", [APP]).client_id
    page = Client().get("/portal/signin", {"next": authorize_path(client_id, uri)})
    assert form_action(page) == "form-action 'self'"


def test_an_unknown_client_and_ordinary_pages_keep_self_only() -> None:
    page = Client().get("/portal/signin", {"next": authorize_path("nobody", APP)})
    assert form_action(page) == "form-action 'self'"
    assert form_action(Client().get("/portal/signin")) == "form-action 'self'"


def test_the_logout_confirmation_may_post_on_to_a_registered_logout_address() -> None:
    clients.register("Portal", [APP], ["https://portal.example.org/bye"])
    page = Client().get(
        "/o/logout/", {"post_logout_redirect_uri": "https://portal.example.org/bye"}
    )
    assert form_action(page) == "form-action 'self' https://portal.example.org"


def test_a_waiting_step_up_lets_the_enrollment_pages_post_on_to_the_app(
    signed_in_page: Client,
) -> None:
    """After "Set up two-step verification", the recovery codes' Done resumes the app's
    request: the pages on the way may post on to its registered address."""
    from carekey.accounts.session_state import set_return_to

    client_id = clients.register("Portal", [APP]).client_id
    session = signed_in_page.session
    set_return_to(session, authorize_path(client_id, APP))
    session.save()
    page = signed_in_page.get("/portal/security")
    assert form_action(page) == "form-action 'self' https://portal.example.org"


def test_the_passkey_step_up_page_may_post_on_to_the_app(signed_in_page: Client) -> None:
    """Its "Use a passkey" posts to itself, which redirects to the request, then the app."""
    client_id = clients.register("Portal", [APP]).client_id
    page = signed_in_page.get("/o/step-up/passkey/", {"next": authorize_path(client_id, APP)})
    assert page.status_code == 200
    assert form_action(page) == "form-action 'self' https://portal.example.org"
