"""CAREKEY_SESSION_COOKIE_PERSISTENT (issue 12.11): off by default, so the session cookie
ends with the browser (a shared computer keeps no session for the next person); on, the
cookie carries the session's absolute lifetime. The server's own expiry is the same either
way.
"""

from __future__ import annotations

import os
import subprocess
import sys
from http.cookies import Morsel
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PRINT = "import django.conf as c; print(c.settings.SESSION_EXPIRE_AT_BROWSER_CLOSE)"


def cookie_after_sign_in(patient_email: str) -> Morsel[str]:
    api = ApiClient()
    reply = api.sign_in(patient_email)
    assert reply.status_code == 200, reply.content
    cookie: Morsel[str] = reply.cookies[settings.SESSION_COOKIE_NAME]
    return cookie


def test_by_default_the_cookie_ends_with_the_browser(patient) -> None:
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    cookie = cookie_after_sign_in(patient.email)
    assert cookie["max-age"] == "" and cookie["expires"] == ""


def test_persistent_cookie_lives_as_long_as_the_session(patient) -> None:
    with override_settings(SESSION_EXPIRE_AT_BROWSER_CLOSE=False):
        cookie = cookie_after_sign_in(patient.email)
    assert int(cookie["max-age"]) == settings.CAREKEY_SESSION_MAX_HOURS * 3600
    assert cookie["expires"]


def setting_with(tmp_path: Path, value: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREKEY_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update({"DJANGO_SETTINGS_MODULE": "carekey.settings", "CAREKEY_DATA_DIR": str(tmp_path)})
    if value is not None:
        env["CAREKEY_SESSION_COOKIE_PERSISTENT"] = value
    command = [sys.executable, "-c", PRINT]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize(
    ("value", "ends_with_browser"),
    [(None, "True"), ("0", "True"), ("false", "True"), ("1", "False"), ("true", "False")],
)
def test_the_variable_sets_it(tmp_path: Path, value: str | None, ends_with_browser: str) -> None:
    result = setting_with(tmp_path, value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ends_with_browser


def test_a_value_that_is_not_a_flag_is_refused_by_name(tmp_path: Path) -> None:
    result = setting_with(tmp_path, "forever")
    assert result.returncode != 0
    assert "CAREKEY_SESSION_COOKIE_PERSISTENT must be 1 or 0" in result.stderr
