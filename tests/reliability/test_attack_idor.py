"""Attack matrix, cross-patient access (IDOR): every route that takes an id refuses another
patient's id exactly as it refuses an id that does not exist, and changes nothing.

The attacker is a patient at aal2 with a fresh reauthentication, holding valid codes of
their own; the victim has a verified and an unverified factor. Lists show only the
caller's own rows, and the staff admin is closed to patients.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from tests.reliability.attack_helpers import (
    Actor,
    actor_at_aal2,
    api_operations,
    call_api,
    connected_app_of,
    fill,
    names_a_device,
    names_a_reset_link,
    names_an_app,
    own_device_of,
    page_routes,
    snapshot,
    takes_an_id,
)

pytestmark = pytest.mark.django_db

VICTIM_FACTOR = "Victim's phone"
VICTIM_AGENT = "VictimBrowser/1.0"


@dataclass
class Scene:
    attacker: Actor
    victim: Actor
    verified_id: str
    unverified_id: str
    unverified_secret: str


@pytest.fixture
def scene() -> Scene:
    victim = actor_at_aal2("victim@example.org", VICTIM_FACTOR, HTTP_USER_AGENT=VICTIM_AGENT)
    unverified_id, secret = victim.enroll("Victim's tablet")
    attacker = actor_at_aal2("attacker@example.org", "Attacker's phone")
    assert victim.enrolled is not None
    return Scene(attacker, victim, victim.enrolled.factor_id, unverified_id, secret)


def _target(scene: Scene, which: str) -> str:
    return {"verified": scene.verified_id, "unverified": scene.unverified_id}.get(
        which, str(uuid.uuid4())
    )


def _api_body(route: str, scene: Scene) -> Any:
    if route.endswith("/verify"):
        from tests.mfa_helpers import code_now

        # The victim's real current code for the unverified factor: right code, wrong patient.
        return {"code": code_now(scene.unverified_secret)}
    return None


API_ID_ROUTES = [
    (m, r)
    for m, r in api_operations()
    if takes_an_id(r) and not names_a_device(r) and not names_an_app(r)
]
PAGE_ID_ROUTES = [
    r
    for r in page_routes()
    if takes_an_id(r)
    and not names_a_device(r)
    and not names_an_app(r)
    and not names_a_reset_link(r)
]
API_APP_ROUTES = [(m, r) for m, r in api_operations() if names_an_app(r)]
PAGE_APP_ROUTES = [r for r in page_routes() if names_an_app(r)]
API_DEVICE_ROUTES = [(m, r) for m, r in api_operations() if names_a_device(r)]
PAGE_DEVICE_ROUTES = [r for r in page_routes() if names_a_device(r)]
PAGE_METHODS = {"verify": ("GET", "POST"), "cancel": ("POST",), "remove": ("GET", "POST")}


def test_the_matrix_covers_every_route_that_takes_an_id() -> None:
    assert API_ID_ROUTES, "no API route takes an id?"
    assert {r.rsplit("/", 1)[-1] for r in PAGE_ID_ROUTES} == set(PAGE_METHODS)


def _answer(response: Any) -> tuple[int, bytes]:
    body = response.content
    return response.status_code, body


@pytest.mark.parametrize("which", ["verified", "unverified"])
@pytest.mark.parametrize(("method", "route"), API_ID_ROUTES)
def test_api_refuses_another_patients_factor(scene: Scene, method: str, route: str, which: str):
    before = snapshot(scene.victim.user)
    body = _api_body(route, scene)
    headers = {"X-CSRFToken": scene.attacker.csrf}
    theirs = call_api(
        scene.attacker.client, method, fill(route, _target(scene, which))[7:], body, headers
    )
    nobodys = call_api(
        scene.attacker.client, method, fill(route, _target(scene, "none"))[7:], body, headers
    )
    assert theirs.status_code == 404, theirs.content
    assert theirs.json()["error"]["code"] == "mfa_factor_not_found"
    assert _answer(theirs) == _answer(nobodys), "another patient's id answers differently"
    assert snapshot(scene.victim.user) == before


@pytest.mark.parametrize("which", ["verified", "unverified"])
@pytest.mark.parametrize(
    ("method", "route"),
    [(m, r) for r in PAGE_ID_ROUTES for m in PAGE_METHODS[r.rsplit("/", 1)[-1]]],
)
def test_page_refuses_another_patients_factor(scene: Scene, method: str, route: str, which: str):
    before = snapshot(scene.victim.user)
    attacker = scene.attacker

    def hit(factor_id: str) -> Any:
        path = fill(route, factor_id)
        if method == "GET":
            return attacker.client.get(path)
        return attacker.post_page(path, {"code": attacker.code(1), "friendly_name": "Mine now"})

    theirs = hit(_target(scene, which))
    assert theirs.status_code == 404, theirs.status_code
    text = theirs.content.decode()
    assert VICTIM_FACTOR not in text and "Victim&#x27;s" not in text
    assert scene.unverified_secret not in text
    assert snapshot(scene.victim.user) == before
    assert hit(_target(scene, "none")).status_code == 404


@pytest.mark.parametrize(
    "path", ["/mfa/factors", "/sessions", "/security-events?limit=100", "/mfa/recovery-codes"]
)
def test_api_lists_show_only_the_callers_own_rows(scene: Scene, path: str) -> None:
    text = scene.attacker.api.get(path).content.decode()
    assert VICTIM_AGENT not in text
    assert "Victim" not in text
    assert scene.verified_id not in text and scene.unverified_id not in text
    assert scene.victim.user.email not in text


def test_security_page_shows_only_the_callers_own_rows(scene: Scene) -> None:
    text = scene.attacker.client.get("/portal/security").content.decode()
    assert "Attacker&#x27;s phone" in text
    assert "Victim" not in text and VICTIM_AGENT not in text
    assert scene.victim.user.email not in text


def test_signing_out_other_devices_never_reaches_another_patient(scene: Scene) -> None:
    before = snapshot(scene.victim.user)["sessions"]
    response = scene.attacker.api.delete("/sessions/others")
    assert response.status_code == 204
    assert snapshot(scene.victim.user)["sessions"] == before
    assert scene.victim.api.get("/session").status_code == 200


def test_the_device_matrix_covers_every_route_that_takes_a_device_id() -> None:
    assert API_DEVICE_ROUTES == [("DELETE", "/api/v1/sessions/{device_id}")]
    assert len(PAGE_DEVICE_ROUTES) == 1


@pytest.mark.parametrize(("method", "route"), API_DEVICE_ROUTES)
def test_api_cannot_sign_out_another_patients_device(scene: Scene, method: str, route: str):
    """The victim's real device id is as unknown to the attacker as a made-up one."""
    victims = own_device_of(scene.victim)
    before = snapshot(scene.victim.user)
    path = fill(route, victims).removeprefix("/api/v1")
    headers = {"X-CSRFToken": scene.attacker.csrf}
    refused = call_api(scene.attacker.client, method, path, None, headers)
    unknown = call_api(scene.attacker.client, method, fill(route, "0" * 20)[7:], None, headers)
    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json()
    assert refused.json()["error"]["code"] == "session_not_found"
    assert snapshot(scene.victim.user) == before
    assert scene.victim.api.get("/session").status_code == 200


@pytest.mark.parametrize("route", PAGE_DEVICE_ROUTES)
def test_page_cannot_sign_out_another_patients_device(scene: Scene, route: str) -> None:
    before = snapshot(scene.victim.user)
    response = scene.attacker.post_page(fill(route, own_device_of(scene.victim)), {})
    assert response.status_code == 302
    assert snapshot(scene.victim.user) == before
    assert scene.victim.api.get("/session").status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/{victim}/change/",
        "/admin/mfa/factor/",
        "/admin/audit/securityevent/",
    ],
)
def test_staff_admin_is_closed_to_patients(scene: Scene, path: str) -> None:
    response = scene.attacker.client.get(path.format(victim=scene.victim.user.pk))
    assert response.status_code in (302, 403, 404), response.status_code
    if response.status_code == 302:
        assert not response["Location"].startswith("/admin/") or "login" in response["Location"]
    assert scene.victim.user.email.encode() not in response.content


def test_the_app_matrix_covers_every_route_that_takes_a_client_id() -> None:
    assert API_APP_ROUTES == [("DELETE", "/api/v1/connected-apps/{client_id}")]
    assert len(PAGE_APP_ROUTES) == 1


def test_nobody_disconnects_another_patients_app(scene: Scene) -> None:
    from oauth2_provider.models import AccessToken

    client_id = connected_app_of(scene.victim)
    headers = {"X-CSRFToken": scene.attacker.csrf}
    path = fill(API_APP_ROUTES[0][1], client_id).removeprefix("/api/v1")
    refused = call_api(scene.attacker.client, "DELETE", path, None, headers)
    unknown = call_api(
        scene.attacker.client, "DELETE", "/connected-apps/no-such-app", None, headers
    )
    assert refused.status_code == unknown.status_code == 404
    assert refused.json() == unknown.json()
    scene.attacker.post_page(fill(PAGE_APP_ROUTES[0], client_id), {})
    assert AccessToken.objects.filter(user=scene.victim.user).count() == 1
    listed = scene.attacker.api.get("/connected-apps").json()["apps"]
    assert listed == []
