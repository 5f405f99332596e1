"""A relying party signs a patient in through CareKey (CONTRACT §8): discovery, PKCE,
CareKey's own sign-in pages, the token exchange, and an ID token that says how strongly
the patient authenticated (acr, amr) and when (auth_time)."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urljoin

import pytest

from tests.conftest import PASSWORD
from tests.mfa_helpers import code_now
from tests.oidc.relying_party import Flow, callback_of, claims_after, query_of

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in_through_carekey(flow: Flow, email: str, **params: str) -> tuple[Any, str, str, Any]:
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client, **params)
    page = flow.follow(url)
    assert "/portal/signin" in page.url, page.url
    answer = flow.submit(page, {"email": email, "password": PASSWORD})
    return client, verifier, nonce, answer


def test_discovery_names_every_endpoint(live_server: Any) -> None:
    flow = Flow.start(live_server.url)
    for endpoint in (
        "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri",
        "revocation_endpoint", "introspection_endpoint", "end_session_endpoint",
    ):  # fmt: skip
        assert flow.discovery[endpoint].startswith(live_server.url), endpoint
    assert flow.discovery["code_challenge_methods_supported"] == ["S256"]
    assert flow.discovery["acr_values_supported"] == ["aal1", "aal2", "phr"]
    assert {"acr", "amr", "auth_time", "sid"} <= set(flow.discovery["claims_supported"])


def test_a_password_sign_in_answers_aal1_with_pwd(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    before = int(time.time())
    client, verifier, nonce, answer = sign_in_through_carekey(flow, patient.email)
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["acr"] == "aal1" and claims["amr"] == ["pwd"]
    assert before - 1 <= claims["auth_time"] <= int(time.time())
    assert claims["sub"] == str(patient.pk) and claims["email"] == patient.email
    assert claims["sid"]


def test_the_second_step_answers_aal2_with_pwd_otp_mfa(live_server: Any, make_patient: Any) -> None:
    from tests.conftest import ApiClient
    from tests.mfa_helpers import enroll_and_verify

    patient = make_patient("ana.mfa@example.org")
    api = ApiClient()
    api.sign_in(patient.email)
    secret = enroll_and_verify(api).secret
    flow = Flow.start(live_server.url)
    client, verifier, nonce, verify_page = sign_in_through_carekey(flow, patient.email)
    assert "/portal/signin/verify" in verify_page.url
    time.sleep(1)
    stepped = int(time.time())
    answer = flow.submit(verify_page, {"code": code_now(secret, 1)})  # the next step: unused
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["acr"] == "aal2" and claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["auth_time"] >= stepped - 1  # the second step's time, not the password's


AUTHORIZE = (
    "?response_type=code&client_id={client}&scope=openid&state=s1"
    "&redirect_uri=http%3A%2F%2Flocalhost%3A8799%2Fcallback"
)


@pytest.mark.parametrize(
    "pkce",
    [
        "",
        "&code_challenge=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopq&code_challenge_method=plain",
    ],
    ids=["missing", "plain"],
)
def test_pkce_missing_or_plain_is_refused(live_server: Any, patient: Any, pkce: str) -> None:
    flow = Flow.start(live_server.url)
    url = flow.discovery["authorization_endpoint"] + AUTHORIZE.format(client=flow.client_id) + pkce
    page = flow.follow(url)
    answer = flow.submit(page, {"email": patient.email, "password": PASSWORD})
    assert answer.is_redirect, answer.status_code
    error = query_of(answer.headers["Location"])
    assert error.get("error") == "invalid_request" and error.get("state") == "s1", error


def post_form(flow: Flow, page: Any, action: str, data: dict[str, str]) -> Any:
    """POST one of the page's forms (to `action`) with the page's CSRF token."""
    page.url = urljoin(page.url, action)
    return flow.submit(page, data)


def test_asking_for_aal2_without_a_factor_offers_set_up_then_returns(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client, acr_values="aal2")
    offer = flow.submit(flow.follow(url), {"email": patient.email, "password": PASSWORD})
    assert "Clinic portal asks for two-step verification" in offer.text
    resume = re.search(r'name="next" value="([^"]+)"', offer.text)
    assert resume
    security = flow.submit(offer, {"next": resume.group(1).replace("&amp;", "&")})
    assert "/portal/security#two-step-heading" in security.url
    enroll = post_form(flow, security, "/portal/security/factors", {})
    secret = "".join(re.findall(r'<span class="secret-group">(\w+)</span>', enroll.text))
    codes = flow.submit(enroll, {"code": code_now(secret), "friendly_name": ""})
    assert "recovery" in codes.text.lower()
    answer = post_form(flow, codes, "/portal/security/recovery-codes/done", {"saved": "on"})
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["acr"] == "aal2" and claims["amr"] == ["pwd", "otp", "mfa"]


def test_cancelling_the_step_up_answers_unmet(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    url, _verifier, _nonce = flow.authorization_url(flow.client(), acr_values="aal2", state="s2")
    offer = flow.submit(flow.follow(url), {"email": patient.email, "password": PASSWORD})
    cancel = re.search(r'<a href="([^"]+)">Cancel and go back to the app', offer.text)
    assert cancel
    error = query_of(
        callback_of(flow.follow(urljoin(offer.url, cancel.group(1).replace("&amp;", "&"))))
    )
    assert error["error"] == "unmet_authentication_requirements" and error["state"] == "s2"


def test_prompt_none_with_aal2_asked_and_no_factor_answers_interaction_required(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    sign_in_through_carekey(flow, patient.email)
    url, _verifier, _nonce = flow.authorization_url(flow.client(), acr_values="aal2", prompt="none")
    error = query_of(callback_of(flow.follow(url)))
    assert error["error"] == "unmet_authentication_requirements"


def test_prompt_none_without_a_session_answers_login_required(live_server: Any) -> None:
    flow = Flow.start(live_server.url)
    url, _verifier, _nonce = flow.authorization_url(flow.client(), prompt="none", state="s3")
    error = query_of(callback_of(flow.follow(url)))
    assert error["error"] == "login_required" and error["state"] == "s3"


def test_prompt_none_in_a_session_answers_a_code_without_a_page(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    sign_in_through_carekey(flow, patient.email)
    url, _verifier, _nonce = flow.authorization_url(flow.client(), prompt="none")
    assert "code" in query_of(callback_of(flow.follow(url)))


def test_max_age_older_than_the_sign_in_asks_to_sign_in_again(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    sign_in_through_carekey(flow, patient.email)
    time.sleep(2)
    url, _verifier, _nonce = flow.authorization_url(flow.client(), max_age="1")
    page = flow.follow(url)
    assert "/portal/signin" in page.url
    answer = flow.submit(page, {"email": patient.email, "password": PASSWORD})
    assert "code" in query_of(callback_of(answer))


@pytest.mark.parametrize("scope", ["openid fhirUser", "openid"])
def test_fhir_user_is_sent_only_for_its_scope(live_server: Any, patient: Any, scope: str) -> None:
    patient.fhir_user = "https://fhir.example.org/Patient/123"
    patient.save(update_fields=["fhir_user"])
    flow = Flow.start(live_server.url)
    client = flow.client(scope=scope)
    url, verifier, nonce = flow.authorization_url(client)
    answer = flow.submit(flow.follow(url), {"email": patient.email, "password": PASSWORD})
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    if "fhirUser" in scope:
        assert claims["fhirUser"] == "https://fhir.example.org/Patient/123"
    else:
        assert "fhirUser" not in claims


def test_prompt_login_asks_for_a_fresh_sign_in_and_moves_auth_time(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    sign_in_through_carekey(flow, patient.email)
    time.sleep(2)
    client = flow.client()
    url, verifier, nonce = flow.authorization_url(client, prompt="login")
    page = flow.follow(url)
    assert "/portal/signin" in page.url
    resigned = int(time.time())
    answer = flow.submit(page, {"email": patient.email, "password": PASSWORD})
    claims = claims_after(flow, client, callback_of(answer), verifier, nonce)
    assert claims["auth_time"] >= resigned - 1
