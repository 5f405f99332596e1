"""`next` only ever names a page that answers GET (issue 17, item 6).

A browser sent to a form's POST-only address gets 405 Method Not Allowed. The list of such
routes in carekey.navigation is checked here against what the views really answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from carekey.accounts.models import User
from carekey.applock.models import AppLockPreference
from carekey.navigation import POST_ONLY, answers_get, safe_next
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def routes(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str]]:
    """(path with sample values, view name) for every named route."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, route, inner)
        elif entry.name:
            path = re.sub(r"<uuid:\w+>", "00000000-0000-0000-0000-000000000000", route)
            yield "/" + re.sub(r"<(str:)?\w+>", "x", path), namespace + entry.name


def site_routes() -> list[tuple[str, str]]:
    return [
        (path, name)
        for path, name in routes(get_resolver().url_patterns)
        if path.startswith(("/portal/", "/o/"))
    ]


def test_post_only_lists_exactly_the_routes_that_refuse_get(signed_in_page: Client) -> None:
    refusing = set()
    for path, name in site_routes():
        if signed_in_page.get(path).status_code == 405:
            refusing.add(name)
    assert refusing == POST_ONLY


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_a_post_only_route_is_never_a_next(name: str) -> None:
    path = next(p for p, n in site_routes() if n == name)
    assert not answers_get(path)
    assert safe_next(path) == "/portal/"
    assert safe_next(path, default="/portal/security") == "/portal/security"


@pytest.mark.parametrize(
    "path",
    [
        "/portal/security",
        "/portal/security/recovery-codes",
        "/portal/security/factors",
        "/portal/security/passkeys/new",
        "/portal/security/factors/00000000-0000-0000-0000-000000000000/remove?method=recovery",
        "/o/authorize/?client_id=x&response_type=code",
    ],
)
def test_pages_that_answer_get_are_kept(path: str) -> None:
    assert safe_next(path) == path


def test_lock_now_from_a_page_drawn_by_a_post_returns_home(
    signed_in_page: Client, patient: User
) -> None:
    """A refused "Save app lock settings" draws the security page at the form's address,
    and its "Lock now" carries that address."""
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=5)
    locked = signed_in_page.post("/portal/lock", {"next": "/portal/security/app-lock"})
    assert locked["Location"] == "/portal/locked?next=%2Fportal%2F"


def test_the_lock_screen_never_sends_on_to_a_post_only_address(
    signed_in_page: Client, patient: User
) -> None:
    AppLockPreference.objects.create(user=patient, enabled=True, timeout_minutes=5)
    signed_in_page.post("/portal/lock", {"next": "/portal/"})
    answer = signed_in_page.post(
        "/portal/locked?next=/portal/security/app-lock", {"password": PASSWORD}
    )
    assert answer["Location"] == "/portal/"
