"""Bad input to the provider (issue 14): each answer is a standard OAuth/OIDC error, never
a 500 and never a redirect to an address the client did not register."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests
import time_machine

from carekey.oidc import clients
from tests.conftest import PASSWORD
from tests.oidc.relying_party import REDIRECT_URI, Flow, query_of
from tests.oidc.test_oidc_codes import a_code, exchange

pytestmark = pytest.mark.django_db(transaction=True)

GOOD = {
    "response_type": "code",
    "scope": "openid",
    "state": "s7",
    "redirect_uri": REDIRECT_URI,
    "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    "code_challenge_method": "S256",
}
NEAR_MISSES = [
    "http://localhost:8799/callback.evil.com",
    "http://localhost:8799.evil.com/callback",
    "http://LOCALHOST:8799/callback",
    "http://localhost:8799/Callback",
    "http://localhost:8799/callback/extra",
    "http://localhost:8799/callback#fragment",
    "http://localhost:8799/callback?extra=1",
    "https://localhost:8799/callback",
]
BAD_AUTHORIZE = {
    **{f"redirect {uri}": {"redirect_uri": uri} for uri in NEAR_MISSES},
    "unknown client": {"client_id": "no-such-client"},
    "response_type token": {"response_type": "token"},
    "response_type id_token": {"response_type": "id_token"},
    "garbage acr_values": {"acr_values": "\x00;DROP aal9 " * 50},
    "garbage max_age": {"max_age": "-1e99"},
    "garbage prompt": {"prompt": "sideways"},
    "huge scope": {"scope": "openid " + "x" * 20000},
    "unknown scope": {"scope": "openid admin"},
}


def authorize(flow: Flow, overrides: dict[str, str]) -> requests.Response:
    query = {"client_id": flow.client_id, **GOOD, **overrides}
    url = (
        flow.discovery["authorization_endpoint"]
        + "?"
        + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    )
    return flow.follow(url)


@pytest.fixture
def signed_in_flow(live_server: Any, patient: Any) -> Flow:
    flow = Flow.start(live_server.url)
    page = flow.follow(f"{live_server.url}/portal/signin")
    flow.submit(page, {"email": patient.email, "password": PASSWORD})
    return flow


@pytest.mark.parametrize("case", list(BAD_AUTHORIZE))
def test_bad_authorization_requests_get_a_standard_error(signed_in_flow: Flow, case: str) -> None:
    answer = authorize(signed_in_flow, BAD_AUTHORIZE[case])
    assert answer.status_code < 500, (case, answer.status_code)
    if answer.is_redirect:
        location = answer.headers["Location"]
        if location.startswith(REDIRECT_URI):  # only ever the registered address
            assert location.split("?")[0] == REDIRECT_URI
            assert query_of(location).get("error") or "code" in query_of(location), location
        else:  # within CareKey (a fresh sign-in for max_age), never elsewhere
            assert location.startswith("/"), location
    else:
        assert answer.status_code in (200, 400), (case, answer.status_code)
    if case.startswith(("redirect", "unknown client")):
        assert not answer.is_redirect or not answer.headers["Location"].startswith("http")


def test_the_token_endpoint_refuses_a_wrong_secret_and_an_unknown_client(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    code, verifier = a_code(flow, patient.email)
    for auth in ((flow.client_id, "wrong-secret"), ("no-such-client", "x")):
        answer = exchange(flow, code, verifier, auth)
        assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_a_code_for_another_client_is_invalid_grant(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    code, verifier = a_code(flow, patient.email)
    other = clients.register("Another app", [REDIRECT_URI])
    answer = exchange(flow, code, verifier, (other.client_id, other.client_secret or ""))
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_code_older_than_60_seconds_is_invalid_grant(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    code, verifier = a_code(flow, patient.email)
    with time_machine.travel(timedelta(seconds=61)):
        answer = exchange(flow, code, verifier)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
