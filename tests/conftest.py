"""Shared fixtures: patients, API clients that speak CSRF, and a strict skip rule."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from carekey.accounts.models import User
from tests.mfa_helpers import enroll_and_verify

PASSWORD = "correct-horse-battery-9"


def require(condition: bool, reason: str) -> None:
    """Skip on a laptop without the tool; under CI=true a missing tool is a failure."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(reason)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test is a failed run: nothing may pass by not running."""
    if os.environ.get("CI", "").lower() != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and reporter is not None:
        reporter.write_line(f"CI=true: {skipped} test(s) skipped; failing the run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def mail_in_the_request(settings: Any) -> None:
    """Tests read the outbox at once; test_password_reset_mail shows the thread path."""
    settings.CAREKEY_SEND_MAIL_IN_BACKGROUND = False


@pytest.fixture
def make_patient(db: None) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(email: str | None = None, password: str = PASSWORD, name: str = "Ana Patient") -> User:
        address = email or f"patient{next(counter)}@example.org"
        return User.objects.create_user(address, password, name=name)

    return make


@pytest.fixture
def patient(make_patient: Callable[..., User]) -> User:
    return make_patient("ana@example.org")


class ApiClient:
    """A JSON client that fetches the CSRF cookie the way a browser app would."""

    def __init__(self, **defaults: Any) -> None:
        self.client = Client(enforce_csrf_checks=True, **defaults)
        self.client.get("/api/v1/session")

    @property
    def csrf(self) -> str:
        return self.client.cookies["csrftoken"].value

    def get(self, path: str, **extra: Any) -> Any:
        return self.client.get(f"/api/v1{path}", **extra)

    def send(
        self, method: str, path: str, body: Any = None, csrf: bool = True, **extra: Any
    ) -> Any:
        headers = {"X-CSRFToken": self.csrf} if csrf else {}
        call = getattr(self.client, method.lower())
        if body is None:
            return call(f"/api/v1{path}", headers=headers, **extra)
        return call(
            f"/api/v1{path}", body, content_type="application/json", headers=headers, **extra
        )

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("POST", path, body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> Any:
        return self.send("PUT", path, body, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.send("DELETE", path, None, **kw)

    def sign_in(self, email: str, password: str = PASSWORD) -> Any:
        response = self.post("/session", {"email": email, "password": password})
        assert response.status_code == 200, response.content
        return response


@pytest.fixture
def api(db: None) -> ApiClient:
    return ApiClient()


@pytest.fixture
def signed_in_api(api: ApiClient, patient: User) -> ApiClient:
    api.sign_in(patient.email)
    return api


@pytest.fixture
def page_client(db: None) -> Client:
    return Client(enforce_csrf_checks=False)


@pytest.fixture
def signed_in_page(page_client: Client, patient: User) -> Client:
    response = page_client.post("/portal/signin", {"email": patient.email, "password": PASSWORD})
    assert response.status_code == 302
    return page_client


@pytest.fixture
def staff(make_patient: Callable[..., User]) -> User:
    user = make_patient("desk@clinic.example", name="Dana Desk")
    user.is_staff = True
    user.is_superuser = True
    user.save()
    assert isinstance(user, User)
    return user


@pytest.fixture
def staff_api(staff: User) -> ApiClient:
    """A staff session at aal2: password and a TOTP code."""
    api = ApiClient()
    api.sign_in(staff.email)
    enroll_and_verify(api)
    return api
