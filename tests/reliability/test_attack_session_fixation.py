"""Attack matrix, session fixation: the session id changes whenever the session gains power
(sign-in, aal2, unlock) or the account's security changes (factor verified or removed,
recovery codes generated or used), and the old id is dead from then on.

An attacker who planted or learned the id before the step therefore holds nothing after it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carekey.accounts.session_store import SessionStore
from tests.conftest import PASSWORD, ApiClient
from tests.reliability.attack_helpers import Actor, actor_at_aal2

pytestmark = pytest.mark.django_db

COOKIE = "carekey_session"


def holder_of(session_id: str) -> ApiClient:
    """The attacker: a different browser that only knows the session id."""
    attacker = ApiClient()
    attacker.client.cookies[COOKIE] = session_id
    return attacker


def assert_rotated(before: str, actor: Actor, level: str = "aal2") -> None:
    after = actor.session_id
    assert before and after and after != before, "the session id did not change"
    own = actor.api.get("/session")
    assert own.status_code == 200 and own.json()["aal"] == level, own.content
    stolen = holder_of(before).get("/session")
    assert stolen.status_code == 401, "the old session id still works"


def planted_session() -> str:
    """An anonymous session the attacker made and planted in the victim's browser."""
    store = SessionStore()
    store["planted_by"] = "attacker"
    store.create()
    assert store.session_key
    return store.session_key


@pytest.mark.parametrize("face", ["api", "page"])
def test_sign_in_replaces_a_planted_session_id(face: str) -> None:
    victim = Actor("ana@example.org")
    planted = planted_session()
    victim.client.cookies[COOKIE] = planted
    if face == "api":
        victim.sign_in()
    else:
        form = {"email": victim.user.email, "password": PASSWORD}
        assert victim.post_page("/portal/signin", form).status_code == 302
    assert_rotated(planted, victim, level="aal1")


def _owing_a_code() -> Actor:
    patient = actor_at_aal2("ana@example.org")
    browser = patient.another_browser()
    browser.sign_in()
    return browser


def _api_verify(actor: Actor) -> Any:
    return actor.api.post("/session/verify", {"code": actor.code(1)})


def _page_verify(actor: Actor) -> Any:
    return actor.post_page("/portal/signin/verify", {"code": actor.code(1)})


def _recovery_verify(actor: Actor) -> Any:
    assert actor.enrolled is not None
    code = actor.enrolled.recovery_codes[0]
    return actor.api.post("/session/verify", {"recovery_code": code})


@pytest.mark.parametrize(
    "step", [_api_verify, _page_verify, _recovery_verify], ids=["api", "page", "recovery code"]
)
def test_reaching_aal2_rotates_the_session_id(step: Callable[[Actor], Any]) -> None:
    browser = _owing_a_code()
    before = browser.session_id
    assert step(browser).status_code in (200, 302)
    assert_rotated(before, browser)


def _locked(unlock_method: str) -> Actor:
    patient = actor_at_aal2("ana@example.org")
    prefs = {"enabled": True, "timeout_minutes": 5, "unlock_method": unlock_method}
    assert patient.api.put("/app-lock", prefs).status_code == 200
    assert patient.post_page("/portal/lock").status_code == 302
    return patient


@pytest.mark.parametrize(
    ("face", "method"),
    [("api", "password"), ("api", "code"), ("page", "password"), ("page", "code")],
)
def test_unlocking_rotates_the_session_id(face: str, method: str) -> None:
    patient = _locked(method)
    before = patient.session_id
    secret = {"password": PASSWORD} if method == "password" else {"code": patient.code(1)}
    if face == "api":
        response = patient.api.post("/session/unlock", secret)
    else:
        response = patient.post_page("/portal/locked", secret)
    assert response.status_code in (200, 302), response.content
    assert_rotated(before, patient)


def _verify_a_factor(actor: Actor) -> Any:
    actor.enroll_and_verify()


def _generate_codes(actor: Actor) -> Any:
    assert actor.api.post("/mfa/recovery-codes").status_code == 201


def _remove_the_factor(actor: Actor) -> Any:
    assert actor.enrolled is not None
    assert actor.api.delete(f"/mfa/factors/{actor.enrolled.factor_id}").status_code == 204


@pytest.mark.parametrize(
    ("change", "level"),
    [(_verify_a_factor, "aal2"), (_generate_codes, "aal2"), (_remove_the_factor, "aal1")],
    ids=["factor verified", "recovery codes generated", "last factor removed"],
)
def test_security_changes_rotate_the_session_id(change: Callable[[Actor], Any], level: str) -> None:
    patient = Actor("ana@example.org")
    patient.sign_in()
    if change is not _verify_a_factor:
        patient.enroll_and_verify()
    before = patient.session_id
    change(patient)
    assert_rotated(before, patient, level)


def test_session_cookie_is_http_only_and_same_site_lax() -> None:
    client = Client()
    user = Actor("ana@example.org")
    response = client.post(
        "/api/v1/session",
        {"email": user.user.email, "password": PASSWORD},
        content_type="application/json",
        headers={"X-CSRFToken": "x"},
    )
    assert response.status_code == 200, response.content
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
