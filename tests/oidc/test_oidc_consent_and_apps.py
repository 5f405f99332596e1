"""Consent for clients registered without --skip-consent, and "Connected apps" on the
security page and in the API: Disconnect ends the app's access."""

from __future__ import annotations

import re
from typing import Any

import pytest
from oauth2_provider.models import Application

from carekey.audit.models import SecurityEvent
from tests.conftest import PASSWORD
from tests.oidc.relying_party import Flow, callback_of, query_of
from tests.oidc.test_oidc_codes import userinfo
from tests.oidc.test_oidc_tokens import tokens

pytestmark = pytest.mark.django_db(transaction=True)


def consent_page(flow: Flow, email: str) -> Any:
    Application.objects.filter(client_id=flow.client_id).update(skip_authorization=False)
    url, _verifier, _nonce = flow.authorization_url(flow.client(), state="s5")
    page = flow.follow(url)
    return flow.submit(page, {"email": email, "password": PASSWORD})


def test_consent_allow_gives_a_code(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    page = consent_page(flow, patient.email)
    assert "Allow Clinic portal to use your CareKey account?" in page.text
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    fields.pop("csrfmiddlewaretoken", None)
    answer = flow.submit(page, {**fields, "allow": "Authorize"})
    assert "code" in query_of(callback_of(answer))
    assert SecurityEvent.objects.filter(type="oidc.authorized", user=patient).exists()


def test_consent_deny_answers_access_denied(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    page = consent_page(flow, patient.email)
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page.text))
    fields.pop("csrfmiddlewaretoken", None)
    error = query_of(callback_of(flow.submit(page, fields)))
    assert error["error"] == "access_denied" and error["state"] == "s5"
    assert SecurityEvent.objects.filter(type="oidc.denied", user=patient).exists()


def test_connected_apps_lists_the_app_and_disconnect_ends_its_access(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    access = tokens(flow, patient.email)["access_token"]
    page = flow.browser.get(f"{live_server.url}/portal/security", timeout=10)
    assert "Connected apps" in page.text and "Clinic portal" in page.text
    assert "Disconnect" in page.text
    page.url = f"{live_server.url}/portal/security/apps/{flow.client_id}/disconnect"
    after = flow.submit(page, {})
    assert "Disconnected Clinic portal." in after.text
    assert userinfo(flow, access) == 401
    assert SecurityEvent.objects.filter(type="oidc.client.disconnected", user=patient).exists()


def test_the_api_lists_and_disconnects_apps(live_server: Any, patient: Any) -> None:
    from tests.conftest import ApiClient

    flow = Flow.start(live_server.url)
    access = tokens(flow, patient.email)["access_token"]
    api = ApiClient()
    api.sign_in(patient.email)
    listed = api.get("/connected-apps").json()["apps"]
    assert [app["client_id"] for app in listed] == [flow.client_id]
    assert api.delete(f"/connected-apps/{flow.client_id}").status_code == 204
    assert userinfo(flow, access) == 401
    again = api.delete(f"/connected-apps/{flow.client_id}")
    assert again.status_code == 404 and again.json()["error"]["code"] == "app_not_found"
