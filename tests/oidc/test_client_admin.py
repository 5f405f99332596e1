"""Staff manage the apps (issue 14): the admin lists and edits clients without showing a
secret, and "Disable" revokes every token the app holds and refuses it at every endpoint
until it is enabled again."""

from __future__ import annotations

from typing import Any

import pytest
from oauth2_provider.models import AccessToken, Application

from carekey.accounts import app_tokens
from carekey.audit.models import SecurityEvent
from tests.oidc.relying_party import Flow
from tests.oidc.test_oidc_codes import a_code, exchange, userinfo
from tests.oidc.test_oidc_tokens import tokens


@pytest.mark.django_db(transaction=True)
def test_disabling_revokes_tokens_and_refuses_the_app_everywhere(
    live_server: Any, patient: Any, staff: Any
) -> None:
    flow = Flow.start(live_server.url)
    access = tokens(flow, patient.email)["access_token"]
    code, verifier = a_code(flow, patient.email)
    client = Application.objects.get(client_id=flow.client_id)
    assert app_tokens.disable_client(None, staff, client) >= 1
    assert userinfo(flow, access) == 401
    assert AccessToken.objects.filter(application=client).count() == 0
    refused = exchange(flow, code, verifier)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    url, _verifier, _nonce = flow.authorization_url(flow.client())
    page = flow.follow(url)
    assert page.status_code == 400 and "could not sign you in" in page.text
    assert SecurityEvent.objects.filter(type="oidc.client.disabled", user=staff).exists()
    app_tokens.enable_client(client)
    assert tokens(flow, patient.email)["access_token"]  # enabled again: a new sign-in works


@pytest.mark.django_db
def test_the_admin_lists_clients_without_secrets(staff_api: Any) -> None:
    staff_admin = staff_api.client
    client = Application.objects.create(
        name="Clinic portal",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://portal.example.org/cb",
        client_secret="s3cret-value-never-shown",
        algorithm=Application.RS256_ALGORITHM,
    )
    listing = staff_admin.get("/admin/oauth2_provider/application/")
    assert listing.status_code == 200 and "Clinic portal" in listing.content.decode()
    change = staff_admin.get(f"/admin/oauth2_provider/application/{client.pk}/change/")
    assert change.status_code == 200
    assert "s3cret-value-never-shown" not in change.content.decode()
    assert "client_secret" not in change.content.decode()
    assert staff_admin.get("/admin/oauth2_provider/accesstoken/").status_code == 404
