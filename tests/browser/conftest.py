"""A real browser: Playwright for Python driving Debian's Chromium against a live server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from carekey.accounts.models import User
from tests.browser.passkey_helpers import Authenticator, passkey_from_api, virtual_authenticator
from tests.conftest import require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests
# make between browser steps are ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    require(os.path.exists(CHROMIUM), f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extras install it
        require(False, "playwright is not installed (make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def tool(name: str) -> str:
    path = shutil.which(name)
    require(path is not None, f"{name} is missing (apt-get install {name})")
    assert path is not None
    return path


@pytest.fixture
def fast_password_hashing(settings: Any) -> None:
    """Opt-in: a cheap password hasher for browser tests that sign in many times over.

    Argon2 costs about half a second a hash on a small CI machine, and tests that are
    about something else (accessibility, layout) sign a patient in once or twice each.
    """
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "carekey.accounts.hashers.ClientSecretHasher",  # OpenID clients' secrets, as ever
    ]


@pytest.fixture
def authenticator(page: Any, live_server: Any, settings: Any) -> Authenticator:
    """Chromium's virtual authenticator on `page`, the server's RP ID set to match."""
    return virtual_authenticator(page, live_server, settings)


@pytest.fixture
def with_passkey(
    make_patient: Callable[..., User], authenticator: Authenticator, live_server: Any
) -> User:
    """A patient whose passkey (made through the API) sits in the virtual authenticator."""
    patient = make_patient()
    passkey_from_api(patient, authenticator, live_server.url)
    return patient
