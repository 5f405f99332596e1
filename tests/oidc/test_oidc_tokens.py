"""Tokens after the exchange (CONTRACT §8): refresh rotation and reuse, revocation,
introspection, RP-initiated logout, and a patient's own sign-out cutting off every app."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from carekey.mfa import services
from tests.conftest import PASSWORD
from tests.oidc.relying_party import Flow, callback_of, query_of
from tests.oidc.test_oidc_codes import exchange, userinfo

pytestmark = pytest.mark.django_db(transaction=True)


def tokens(flow: Flow, email: str, scope: str = "openid email") -> dict[str, Any]:
    client = flow.client(scope=scope)
    url, verifier, _nonce = flow.authorization_url(client)
    page = flow.follow(url)
    if not page.is_redirect and "/portal/signin" in page.url:
        page = flow.submit(page, {"email": email, "password": PASSWORD})
    code = query_of(callback_of(page))["code"]
    answer = exchange(flow, code, verifier)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def refresh(flow: Flow, refresh_token: str) -> requests.Response:
    return requests.post(
        flow.discovery["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(flow.client_id, flow.client_secret or ""),
        timeout=10,
    )


def test_refresh_tokens_rotate_and_a_reused_one_revokes_the_family(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    first = tokens(flow, patient.email, "openid offline_access")
    second = refresh(flow, first["refresh_token"])
    assert second.status_code == 200 and second.json()["refresh_token"] != first["refresh_token"]
    reused = refresh(flow, first["refresh_token"])
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    assert refresh(flow, second.json()["refresh_token"]).status_code == 400


def test_revocation_and_introspection(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    access = tokens(flow, patient.email)["access_token"]
    auth = (flow.client_id, flow.client_secret or "")
    seen = requests.post(
        flow.discovery["introspection_endpoint"], data={"token": access}, auth=auth, timeout=10
    )
    assert seen.json()["active"] is True
    gone = requests.post(
        flow.discovery["revocation_endpoint"], data={"token": access}, auth=auth, timeout=10
    )
    assert gone.status_code == 200
    assert userinfo(flow, access) == 401
    after = requests.post(
        flow.discovery["introspection_endpoint"], data={"token": access}, auth=auth, timeout=10
    )
    assert after.json()["active"] is False


def test_rp_initiated_logout_ends_the_carekey_session(live_server: Any, patient: Any) -> None:
    from oauth2_provider.models import Application

    flow = Flow.start(live_server.url)
    Application.objects.filter(client_id=flow.client_id).update(
        post_logout_redirect_uris="http://localhost:8799/bye"
    )
    id_token = tokens(flow, patient.email)["id_token"]
    answer = flow.browser.get(
        flow.discovery["end_session_endpoint"],
        params={
            "id_token_hint": id_token,
            "post_logout_redirect_uri": "http://localhost:8799/bye",
            "state": "s9",
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:300]
    assert answer.headers["Location"].startswith("http://localhost:8799/bye")
    assert query_of(answer.headers["Location"])["state"] == "s9"
    security = flow.browser.get(
        f"{live_server.url}/portal/security", allow_redirects=False, timeout=10
    )
    assert security.status_code == 302 and "/portal/signin" in security.headers["Location"]


@pytest.mark.parametrize("how", ["sign out", "sign out other devices", "reset MFA"])
def test_the_patients_own_sign_outs_cut_off_the_app(
    live_server: Any, patient: Any, staff: Any, how: str
) -> None:
    flow = Flow.start(live_server.url)
    access = tokens(flow, patient.email)["access_token"]
    assert userinfo(flow, access) == 200
    if how == "reset MFA":
        services.reset_mfa(patient, "Lost phone, identity checked by callback", staff=staff)
    else:
        page = flow.browser.get(f"{live_server.url}/portal/security", timeout=10)
        route = "/portal/signout" if how == "sign out" else "/portal/security/sessions/others"
        page.url = f"{live_server.url}{route}"  # post the page's token to that form's action
        flow.submit(page, {})
    assert userinfo(flow, access) == 401
