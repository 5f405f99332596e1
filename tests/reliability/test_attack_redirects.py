"""Attack matrix, open redirects: no `next` sends a patient off the site.

Each row is one place that honours `next` and one crafted value. A Location passes when a
browser would stay on this site: browsers drop tabs and newlines, read backslashes as
slashes and trim leading spaces, so the row resolves the Location the way they do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.reliability.attack_helpers import EVIL, Actor, actor_at_aal2

pytestmark = pytest.mark.django_db

HOST = "testserver"
PAYLOADS = [
    f"//{EVIL}",
    f"https://{EVIL}/",
    f"http:{EVIL}",
    f"/\\{EVIL}",
    f"\\\\{EVIL}",
    f"/\t/{EVIL}",
    f"\t//{EVIL}",
    f" //{EVIL}",
    f"///{EVIL}",
    f"https:/\\{EVIL}",
    f"／／{EVIL}",
    "javascript:alert(document.domain)",
    f"/portal/\r\nLocation: https://{EVIL}",
    f"/.//{EVIL}",
]


def browser_destination(location: str) -> tuple[str, str]:
    """(scheme, host) a browser would go to from this Location, on this site's page."""
    cleaned = re.sub(r"[\t\n\r]", "", location).lstrip(" \x00-\x1f").replace("\\", "/")
    target = urlsplit(urljoin(f"http://{HOST}/portal/signin", cleaned))
    return target.scheme, target.hostname or ""


def assert_stays_on_site(response: Any) -> None:
    assert response.status_code in (301, 302, 303, 307, 308), response.status_code
    assert browser_destination(response["Location"]) == ("http", HOST), response["Location"]


def with_next(path: str, value: str) -> str:
    return f"{path}?{urlencode({'next': value})}"


def sign_in_page(payload: str) -> list[Any]:
    patient = Actor("ana@example.org")
    form = {"email": patient.user.email, "password": PASSWORD, "next": payload}
    return [patient.post_page(with_next("/portal/signin", payload), form)]


def sign_in_with_second_step(payload: str) -> list[Any]:
    patient = actor_at_aal2("ana@example.org")
    browser = patient.another_browser()
    form = {"email": patient.user.email, "password": PASSWORD, "next": payload}
    first = browser.post_page(with_next("/portal/signin", payload), form)
    second = browser.post_page(
        with_next("/portal/signin/verify", payload), {"code": patient.code(1), "next": payload}
    )
    return [first, second]


def verify_step_when_already_verified(payload: str) -> list[Any]:
    patient = actor_at_aal2("ana@example.org")
    return [patient.client.get(with_next("/portal/signin/verify", payload))]


def lock_screen_when_not_locked(payload: str) -> list[Any]:
    patient = actor_at_aal2("ana@example.org")
    return [patient.client.get(with_next("/portal/locked", payload))]


def lock_then_unlock(payload: str) -> list[Any]:
    patient = actor_at_aal2("ana@example.org")
    locked = patient.post_page("/portal/lock", {"next": payload})
    unlocked = patient.post_page(
        with_next("/portal/locked", payload), {"password": PASSWORD, "next": payload}
    )
    return [locked, unlocked]


def staff_admin_sign_in(payload: str) -> list[Any]:
    browser = Actor("visitor@example.org")
    return [browser.client.get(with_next("/admin/login/", payload))]


FLOWS: dict[str, Callable[[str], list[Any]]] = {
    "sign-in": sign_in_page,
    "sign-in and verify": sign_in_with_second_step,
    "verify when verified": verify_step_when_already_verified,
    "locked when unlocked": lock_screen_when_not_locked,
    "lock and unlock": lock_then_unlock,
    "admin sign-in": staff_admin_sign_in,
}


@pytest.mark.parametrize("payload", PAYLOADS, ids=repr)
@pytest.mark.parametrize("flow", FLOWS)
def test_next_never_leaves_the_site(flow: str, payload: str) -> None:
    for response in FLOWS[flow](payload):
        assert_stays_on_site(response)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/portal/", ("http", HOST)),
        (f"//{EVIL}", ("http", EVIL)),
        (f"/\\{EVIL}", ("http", EVIL)),
        (f"\t//{EVIL}", ("http", EVIL)),
        ("javascript:alert(1)", ("javascript", "")),
    ],
)
def test_the_browser_model_reads_locations_as_browsers_do(location: str, expected: Any) -> None:
    assert browser_destination(location) == expected
