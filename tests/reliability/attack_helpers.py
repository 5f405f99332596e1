"""People and routes for the attack matrix: who attacks, who is attacked, and where.

Routes are read from the URL resolver and the OpenAPI document, so a page or an endpoint
added later joins the matrix without anyone remembering to list it.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from carekey.accounts.models import PasswordResetLink, PortalSession, User
from carekey.accounts.session_store import stored_key
from carekey.api import api as ninja_api
from carekey.applock.models import AppLockPreference
from carekey.audit.models import SecurityEvent
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import Enrolled, code_now, enroll, enroll_and_verify

UNSAFE = ("post", "put", "patch", "delete")
EVIL = "evil.example"


class Actor:
    """A person at one browser: a Django test client with CSRF enforced, pages and API."""

    def __init__(
        self, email: str, *, name: str = "Ana Patient", staff: bool = False, **client: Any
    ) -> None:
        make = User.objects.create_superuser if staff else User.objects.create_user
        self.user = make(email, PASSWORD, name=name)
        self.api = ApiClient(**client)
        self.enrolled: Enrolled | None = None

    def another_browser(self, **client: Any) -> Actor:
        """The same patient at a second browser (no cookies yet); shares the factor."""
        twin = Actor.__new__(Actor)
        twin.user, twin.api, twin.enrolled = self.user, ApiClient(**client), self.enrolled
        return twin

    @property
    def client(self) -> Client:
        return self.api.client

    @property
    def csrf(self) -> str:
        return self.api.csrf

    @property
    def session_id(self) -> str:
        cookie = self.client.cookies.get("carekey_session")
        return cookie.value if cookie is not None else ""

    def post_page(self, path: str, data: dict[str, str] | None = None, **extra: Any) -> Any:
        return self.client.post(path, data or {}, headers={"X-CSRFToken": self.csrf}, **extra)

    def sign_in(self) -> Any:
        return self.api.sign_in(self.user.email)

    def enroll(self, name: str | None = None) -> tuple[str, str]:
        return enroll(self.api, name)

    def enroll_and_verify(self, name: str | None = None) -> Enrolled:
        self.enrolled = enroll_and_verify(self.api, name)
        return self.enrolled

    def code(self, offset: int = 0) -> str:
        assert self.enrolled is not None
        return code_now(self.enrolled.secret, offset)


def call_api(
    client: Client, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    """One /api/v1 call with exactly the headers given (no CSRF header added)."""
    call = getattr(client, method.lower())
    if body is None:
        return call(f"/api/v1{path}", headers=headers or {})
    return call(f"/api/v1{path}", body, content_type="application/json", headers=headers or {})


def actor_at_aal2(email: str, factor_name: str | None = None, **kw: Any) -> Actor:
    """Signed in, one verified factor, reauthenticated (the verify step counts) for 5 min."""
    actor = Actor(email, **kw)
    actor.sign_in()
    actor.enroll_and_verify(factor_name)
    return actor


def snapshot(user: User) -> dict[str, Any]:
    """Everything an attack could change for one patient."""
    return {
        "factors": sorted(
            Factor.objects.filter(user=user).values_list(
                "id", "status", "friendly_name", "last_accepted_step"
            )
        ),
        "recovery_codes": sorted(
            RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True)
        ),
        "app_lock": list(
            AppLockPreference.objects.filter(user=user).values_list(
                "enabled", "timeout_minutes", "unlock_method"
            )
        ),
        "sessions": sorted(
            PortalSession.objects.filter(user=user).values_list("session_key", flat=True)
        ),
        "events": SecurityEvent.objects.filter(user=user).count(),
        "app_tokens": AccessToken.objects.filter(user=user).count(),
        "password": User.objects.filter(pk=user.pk).values_list("password", flat=True).first(),
        "reset_links": PasswordResetLink.objects.filter(user=user).count(),
    }


def session_data(session_key: str) -> dict[str, Any]:
    """The data of the session a cookie value opens (rows are keyed by its stored key)."""
    row = PortalSession.objects.filter(session_key=stored_key(session_key)).first()
    return dict(row.get_decoded()) if row is not None else {}


# --- routes -----------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> list[str]:
    routes = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            nested = prefix + str(entry.pattern)
            if nested.startswith(("api/", "admin/")):
                continue  # the API comes from its OpenAPI document; the admin is staff-only
            routes += _walk(list(entry.url_patterns), nested)
        elif isinstance(entry, URLPattern):
            routes.append("/" + prefix + str(entry.pattern))
    return routes


def page_routes() -> list[str]:
    """Every portal page route, e.g. '/portal/security/factors/<uuid:factor_id>/verify'."""
    return sorted(r for r in _walk(list(get_resolver().url_patterns)) if r.startswith("/portal"))


def api_operations(*, unsafe_only: bool = False) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation in /api/v1/openapi.json."""
    document = ninja_api.get_openapi_schema()
    found = []
    for path, methods in document["paths"].items():
        for method in methods:
            if not unsafe_only or method in UNSAFE:
                found.append((method.upper(), path))
    return sorted(found)


def fill(route: str, an_id: str) -> str:
    """A concrete path: every id placeholder (a factor's or a device's) replaced with `an_id`."""
    return re.sub(r"<(?:\w+:)?\w+>|\{\w+\}", an_id, route)


def connected_app_of(actor: Actor) -> str:
    """An app the actor signed in to through CareKey (a live token); its client id."""
    app = Application.objects.create(
        name=f"{actor.user.email}'s clinic app",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris="https://app.example.org/cb",
        algorithm=Application.RS256_ALGORITHM,
    )
    AccessToken.objects.create(
        user=actor.user,
        application=app,
        token=f"token-of-{actor.user.pk}-" + "x" * 30,
        expires=timezone.now() + timedelta(minutes=10),
        scope="openid",
    )
    return str(app.client_id)


def names_an_app(route: str) -> bool:
    """Routes that take an OpenID Connect client id ("Connected apps")."""
    return "client_id" in route


def names_a_reset_link(route: str) -> bool:
    """The emailed reset link's page: its token names no patient's object, and whose link
    it is decides whose password it sets (tests/integration/test_password_reset.py)."""
    return "<str:token>" in route


def names_a_device(route: str) -> bool:
    """Routes that take a device id (GET /sessions `id`) rather than a factor id."""
    return "device_id" in route


def other_device_of(actor: Actor) -> str:
    """Sign the actor's patient in at a second browser; that session's device id."""
    actor.another_browser().sign_in()
    rows = actor.api.get("/sessions").json()["sessions"]
    return str(next(row["id"] for row in rows if not row["current"]))


def own_device_of(actor: Actor) -> str:
    rows = actor.api.get("/sessions").json()["sessions"]
    return str(next(row["id"] for row in rows if row["current"]))


def takes_an_id(route: str) -> bool:
    return bool(re.search(r"<\w+:\w+>|<\w+>|\{\w+\}", route))
