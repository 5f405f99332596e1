"""Attack matrix, CSRF: every unsafe page and API route refuses a forged request.

Each row is one route and one forgery: no token, a wrong token, or the right token sent
from another site's Origin. The victim is signed in at aal2 with a fresh reauthentication,
and the forged form carries data that would succeed, so a refusal is the only thing between
the attacker and a change; the row checks that nothing about the patient changed.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

import pytest

from carekey.accounts.models import PasswordResetLink, User
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import code_now
from tests.passkey_authenticator import SoftPasskey
from tests.passkey_helpers import add_passkey, creation_options, new_key, request_options
from tests.reliability.attack_helpers import (
    EVIL,
    Actor,
    actor_at_aal2,
    api_operations,
    call_api,
    connected_app_of,
    fill,
    names_a_device,
    names_an_app,
    other_device_of,
    page_routes,
    snapshot,
)

pytestmark = pytest.mark.django_db

FORGERIES = ("missing-token", "wrong-token", "foreign-origin")
WRONG_TOKEN = "Q" * 32


FORGED_PASSWORD = "an attacker's chosen passphrase 42"


def reset_token_of(user: User) -> str:
    """A working reset link's token for `user`, as the emailed link would carry it."""
    token = secrets.token_urlsafe(32)
    digest = hashlib.sha256(token.encode()).hexdigest()
    PasswordResetLink.objects.create(user=user, digest=digest)
    return token


def page_form(route: str, actor: Actor, new_code: str = "") -> dict[str, str]:
    forms = {
        "/portal/signin": {"email": actor.user.email, "password": PASSWORD},
        "/portal/signin/verify": {"code": actor.code(1)},
        "/portal/security/factors/<uuid:factor_id>/verify": {"code": new_code},
        "/portal/security/factors/<uuid:factor_id>/remove": {"code": actor.code(1)},
        "/portal/security/recovery-codes": {"code": actor.code(1)},
        "/portal/security/recovery-codes/done": {"saved": "on"},
        "/portal/security/app-lock": {
            "enabled": "on",
            "timeout_minutes": "1",
            "unlock_method": "password",
        },
        "/portal/locked": {"password": PASSWORD},
        "/portal/security/password": {
            "current_password": PASSWORD,
            "new_password": FORGED_PASSWORD,
            "confirm_password": FORGED_PASSWORD,
        },
        "/portal/password/reset": {"email": actor.user.email},
        "/portal/password/reset/<str:token>": {
            "new_password": FORGED_PASSWORD,
            "confirm_password": FORGED_PASSWORD,
        },
    }
    return forms.get(route, {})


def forged_headers(forgery: str, own_token: str) -> dict[str, str]:
    """What a forged request carries; `own_token` is the browser's real one."""
    if forgery == "missing-token":
        return {}
    if forgery == "wrong-token":
        return {"X-CSRFToken": WRONG_TOKEN}
    return {"X-CSRFToken": own_token, "Origin": f"https://{EVIL}"}


# Each victim's passkey, so a passkey call can carry an answer that would succeed.
PASSKEYS: dict[int, SoftPasskey] = {}


def victim_with_unverified_factor() -> tuple[Actor, str, str]:
    """The victim at aal2 with a passkey too, and a second app half enrolled: (victim, its
    id, its code)."""
    victim = actor_at_aal2("victim@example.org")
    PASSKEYS[victim.user.pk], _ = add_passkey(victim.api)
    unverified_id, secret = victim.enroll("Second phone")
    return victim, unverified_id, code_now(secret)


def target_id(route: str, victim: Actor, unverified_id: str) -> str:
    """A real id for the route, so a forgery let through would change the snapshot: the
    half-enrolled factor for verify and cancel, another signed-in browser for a device
    route, else the verified factor."""
    if names_a_device(route):
        return other_device_of(victim)
    if names_an_app(route):
        return connected_app_of(victim)
    if route.endswith(("/verify", "/cancel")):
        return unverified_id
    assert victim.enrolled is not None
    return victim.enrolled.factor_id


def assert_refused_as_page(response: Any) -> None:
    assert response.status_code == 403, response.status_code
    assert "Your form expired" in response.content.decode()


def assert_refused_as_api(response: Any) -> None:
    assert response.status_code == 403, (response.status_code, response.content)
    assert response.json()["error"]["code"] == "csrf_failed"


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("route", page_routes())
def test_page_refuses_forged_post(route: str, forgery: str) -> None:
    victim, unverified_id, new_code = victim_with_unverified_factor()
    path = fill(route, target_id(route, victim, unverified_id))
    before = snapshot(victim.user)
    response = victim.client.post(
        path, page_form(route, victim, new_code), headers=forged_headers(forgery, victim.csrf)
    )
    assert_refused_as_page(response)
    assert snapshot(victim.user) == before


def api_body(method: str, path: str, actor: Actor, new_code: str = "") -> Any:
    bodies: dict[str, Any] = {
        "/api/v1/session": {"email": actor.user.email, "password": PASSWORD},
        "/api/v1/session/verify": {"code": actor.code(1)},
        "/api/v1/session/reauthenticate": {"code": actor.code(1)},
        "/api/v1/session/unlock": {"password": PASSWORD},
        "/api/v1/mfa/factors": {"factor_type": "totp", "friendly_name": "Forged"},
        "/api/v1/mfa/factors/{factor_id}/verify": {"code": new_code},
        "/api/v1/app-lock": {"enabled": True, "timeout_minutes": 1, "unlock_method": "password"},
        "/api/v1/session/password": {"current_password": PASSWORD, "new_password": FORGED_PASSWORD},
        "/api/v1/password/reset": {"email": actor.user.email},
    }
    if path == "/api/v1/password/reset/confirm":  # a working link of the victim's
        return {"token": reset_token_of(actor.user), "new_password": FORGED_PASSWORD}
    if path == "/api/v1/mfa/passkeys":  # a new passkey, for a fresh challenge
        return {"credential": new_key().create(creation_options(actor.api))}
    if path == "/api/v1/session/passkey":  # the victim's passkey, for a fresh challenge
        return {"credential": PASSKEYS[actor.user.pk].get(request_options(actor.api))}
    return None if method == "DELETE" else bodies.get(path, {})


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize(("method", "route"), api_operations(unsafe_only=True))
def test_api_refuses_forged_call(method: str, route: str, forgery: str) -> None:
    victim, unverified_id, new_code = victim_with_unverified_factor()
    path = fill(route, target_id(route, victim, unverified_id)).removeprefix("/api/v1")
    body = api_body(method, route, victim, new_code)  # may issue a reset link: before the snapshot
    before = snapshot(victim.user)
    response = call_api(victim.client, method, path, body, forged_headers(forgery, victim.csrf))
    assert_refused_as_api(response)
    assert snapshot(victim.user) == before


@pytest.mark.parametrize("forgery", FORGERIES)
def test_login_csrf_cannot_sign_a_victim_into_the_attackers_account(forgery: str) -> None:
    """The attacker's own credentials, posted from the attacker's page to the victim's browser."""
    attacker = Actor("attacker@example.org")
    browser = ApiClient()
    form = {"email": attacker.user.email, "password": PASSWORD}
    headers = forged_headers(forgery, browser.csrf)
    assert_refused_as_page(browser.client.post("/portal/signin", form, headers=headers))
    assert_refused_as_api(call_api(browser.client, "POST", "/session", form, headers))
    assert browser.get("/session").status_code == 401
    assert snapshot(attacker.user)["sessions"] == []


def _staff_forms(victim: Actor) -> dict[str, tuple[str, dict[str, Any]]]:
    pk = str(victim.user.pk)
    return {
        "reset MFA": (
            "/admin/accounts/user/",
            {
                "action": "reset_mfa_action",
                "_selected_action": [pk],
                "apply": "1",
                "reason": "Lost phone",
            },
        ),
        "edit a patient": (
            f"/admin/accounts/user/{pk}/change/",
            {"email": victim.user.email, "name": "Changed", "is_active": "", "is_staff": "on"},
        ),
        "export the audit trail": (
            "/admin/audit/securityevent/",
            {"action": "export_csv", "_selected_action": ["1"]},
        ),
    }


@pytest.mark.parametrize("forgery", FORGERIES)
@pytest.mark.parametrize("form", ["reset MFA", "edit a patient", "export the audit trail"])
def test_staff_admin_refuses_forged_post(form: str, forgery: str) -> None:
    victim = actor_at_aal2("victim@example.org")
    staff = actor_at_aal2("staff@example.org", staff=True)
    path, data = _staff_forms(victim)[form]
    before = snapshot(victim.user)
    response = staff.client.post(path, data, headers=forged_headers(forgery, staff.csrf))
    assert_refused_as_page(response)
    assert snapshot(victim.user) == before
    victim.user.refresh_from_db()
    assert not victim.user.is_staff and victim.user.is_active


def test_the_staff_forms_do_act_when_the_token_is_right() -> None:
    """The control for the rows above: the same posts, with the token, change things."""
    victim = actor_at_aal2("victim@example.org")
    staff = actor_at_aal2("staff@example.org", staff=True)
    headers = {"X-CSRFToken": staff.csrf}
    path, data = _staff_forms(victim)["export the audit trail"]
    assert staff.client.post(path, data, headers=headers)["Content-Type"].startswith("text/csv")
    path, data = _staff_forms(victim)["reset MFA"]
    staff.client.post(path, data, headers=headers)
    assert snapshot(victim.user)["factors"] == []


@pytest.mark.parametrize("route", page_routes())
def test_page_control_the_same_post_with_its_token_is_not_refused(route: str) -> None:
    victim, unverified_id, new_code = victim_with_unverified_factor()
    path = fill(route, target_id(route, victim, unverified_id))
    response = victim.post_page(path, page_form(route, victim, new_code))
    assert response.status_code != 403, response.content[:300]


@pytest.mark.parametrize(("method", "route"), api_operations(unsafe_only=True))
def test_api_control_the_same_call_with_its_token_is_not_refused(method: str, route: str) -> None:
    victim, unverified_id, new_code = victim_with_unverified_factor()
    path = fill(route, target_id(route, victim, unverified_id)).removeprefix("/api/v1")
    body = api_body(method, route, victim, new_code)
    response = call_api(victim.client, method, path, body, {"X-CSRFToken": victim.csrf})
    assert response.status_code < 400, (response.status_code, response.content[:300])
