"""Authorization codes (CONTRACT §8): single use, even when raced; a second exchange is
invalid_grant and revokes what the first issued."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import pytest
import requests
from oauth2_provider.models import AccessToken

from tests.conftest import PASSWORD
from tests.oidc.relying_party import REDIRECT_URI, Flow, callback_of, query_of

pytestmark = pytest.mark.django_db(transaction=True)


def a_code(flow: Flow, email: str) -> tuple[str, str]:
    """(code, code_verifier) after signing in through CareKey's pages."""
    url, verifier, _nonce = flow.authorization_url(flow.client())
    page = flow.follow(url)
    if not page.is_redirect:  # not signed in yet in this browser
        page = flow.submit(page, {"email": email, "password": PASSWORD})
    return query_of(callback_of(page))["code"], verifier


def exchange(
    flow: Flow, code: str, verifier: str, auth: tuple[str, str] | None = None
) -> requests.Response:
    return requests.post(
        flow.discovery["token_endpoint"],
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=auth or (flow.client_id, flow.client_secret or ""),
        timeout=30,
    )


def userinfo(flow: Flow, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return requests.get(
        flow.discovery["userinfo_endpoint"], headers=headers, timeout=10
    ).status_code


def test_a_second_exchange_fails_and_revokes_the_first(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    code, verifier = a_code(flow, patient.email)
    first = exchange(flow, code, verifier)
    assert first.status_code == 200, first.text
    access_token = first.json()["access_token"]
    assert userinfo(flow, access_token) == 200
    second = exchange(flow, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert userinfo(flow, access_token) == 401


def test_twenty_parallel_exchanges_claim_the_code_once_and_keep_no_token(
    live_server: Any, patient: Any
) -> None:
    flow = Flow.start(live_server.url)
    code, verifier = a_code(flow, patient.email)
    start = Barrier(20)

    def race(_: int) -> int:
        start.wait()
        return exchange(flow, code, verifier).status_code

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(race, range(20)))
    # One exchange claims the code; the 19 others are invalid_grant. The winner's token is
    # revoked by the replays: it answers 200 only if it finished before any of them.
    assert statuses.count(400) >= 19 and statuses.count(200) <= 1, statuses
    assert AccessToken.objects.count() == 0  # nothing issued from the raced code survives


def test_a_wrong_verifier_gets_nothing(live_server: Any, patient: Any) -> None:
    flow = Flow.start(live_server.url)
    code, verifier = a_code(flow, patient.email)
    answer = exchange(flow, code, verifier[::-1])
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"
    assert AccessToken.objects.count() == 0
