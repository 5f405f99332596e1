"""Attack rows for the OpenID Connect provider (issue 14): every authorization answer names
its issuer (RFC 9207, the mix-up defence), near-miss redirect URIs get nothing sent to
them, and fuzzed authorize and token parameters never answer 5xx."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from carekey.oidc import clients
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

APP = "https://portal.example.org/callback"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def signed_in(email: str) -> Client:
    client = Client()
    answer = client.post("/portal/signin", {"email": email, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def authorize(client: Client, client_id: str, **extra: str) -> Any:
    query = {
        "response_type": "code", "client_id": client_id, "redirect_uri": APP, "scope": "openid",
        "state": "s", "code_challenge": CHALLENGE, "code_challenge_method": "S256", **extra,
    }  # fmt: skip
    return client.get("/o/authorize/", query)


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize(
    "extra", [{}, {"acr_values": "aal2", "prompt": "none"}], ids=["code", "error"]
)
def test_every_authorization_answer_names_its_issuer(patient: Any, extra: dict[str, str]) -> None:
    client_id = clients.register("Portal", [APP], skip_consent=True).client_id
    answer = authorize(signed_in(patient.email), client_id, **extra)
    assert answer.status_code == 302 and answer["Location"].startswith(APP)
    assert query_of(answer["Location"])["iss"] == settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"]


@pytest.mark.parametrize(
    "uri",
    [
        "https://portal.example.org/callback/../evil",
        "https://portal.example.org@evil.example/callback",
        "https://evil.example/?https://portal.example.org/callback",
        "https://portal.example.org/callback%00",
        "//evil.example/callback",
        "javascript:alert(1)",
    ],
)
def test_no_answer_goes_to_an_unregistered_address(patient: Any, uri: str) -> None:
    client_id = clients.register("Portal", [APP], skip_consent=True).client_id
    answer = authorize(signed_in(patient.email), client_id, redirect_uri=uri)
    assert answer.status_code in (200, 400), answer.status_code
    assert "Location" not in answer


text = st.text(max_size=300)
fuzz = hypothesis_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@fuzz
@given(params=st.dictionaries(
    st.sampled_from(["response_type", "scope", "prompt", "max_age", "acr_values", "nonce",
                     "code_challenge", "code_challenge_method", "state", "claims", "resource"]),
    text, max_size=6,
))  # fmt: skip
def test_fuzzed_authorize_parameters_never_answer_5xx(patient: Any, params: dict[str, str]) -> None:
    client_id = clients.register("Fuzz", [APP], skip_consent=True).client_id
    answer = authorize(signed_in(patient.email), client_id, **params)
    assert answer.status_code < 500, (params, answer.status_code)
    if answer.status_code == 302 and answer["Location"].startswith("https://"):
        assert answer["Location"].startswith(APP)


@fuzz
@given(form=st.dictionaries(
    st.sampled_from(["grant_type", "code", "redirect_uri", "code_verifier", "refresh_token",
                     "client_id", "client_secret", "scope", "token", "token_type_hint"]),
    text, max_size=7,
))  # fmt: skip
def test_fuzzed_token_revoke_and_introspect_forms_never_answer_5xx(form: dict[str, str]) -> None:
    for path in ("/o/token/", "/o/revoke_token/", "/o/introspect/"):
        answer = Client().post(path, form)
        assert answer.status_code < 500, (path, form, answer.status_code)


@pytest.mark.parametrize("path", ["/o/token/", "/o/revoke_token/", "/o/introspect/"])
def test_a_nul_byte_anywhere_is_invalid_request_not_500(path: str) -> None:
    """PostgreSQL refuses NUL in text: found by the fuzzer as a 500 on the token endpoint."""
    answer = Client().post(path, {"grant_type": "authorization_code", "client_id": "a\x00b"})
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
    basic = "Basic " + base64.b64encode(b"client\x00:secret").decode()
    answer = Client().post(path, {"token": "x"}, HTTP_AUTHORIZATION=basic)
    assert answer.status_code == 400
