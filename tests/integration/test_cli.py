"""The `carekey` console script (CONTRACT §1)."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from carekey.accounts.models import User
from carekey.oidc.keys import generate_pem

pytestmark = pytest.mark.django_db


def create(monkeypatch, *args: str, password: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))
    out = io.StringIO()
    call_command("createpatient", *args, "--password-stdin", stdout=out)
    return out.getvalue().strip()


def test_createpatient_prints_the_new_id(monkeypatch) -> None:
    printed = create(
        monkeypatch, "New@Example.org", "--name", "Nia Ode", password="a-long-pass-123"
    )
    user = User.objects.get(email="new@example.org")
    assert printed == str(user.pk)
    assert user.name == "Nia Ode"
    assert user.check_password("a-long-pass-123")
    assert user.password.startswith("argon2")


def test_duplicate_email_fails_and_creates_nothing(monkeypatch, patient) -> None:
    with pytest.raises(CommandError, match="already exists"):
        create(monkeypatch, "ANA@example.org", password="another-pass-123")
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["short", "password123", "12345678901", ""])
def test_weak_password_fails_and_creates_nothing(monkeypatch, password: str) -> None:
    with pytest.raises(CommandError, match="Weak password"):
        create(monkeypatch, "weak@example.org", password=password)
    assert not User.objects.exists()


def test_invalid_email_fails(monkeypatch) -> None:
    with pytest.raises(CommandError, match="not a valid email"):
        create(monkeypatch, "not-an-email", password="a-long-pass-123")


def clean_environ() -> dict[str, str]:
    """The parent's environment minus what the browser tests set for their own thread."""
    return {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "carekey", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean_environ(), **env},
        timeout=120,
        check=False,
    )


def test_cli_errors_are_one_line_and_non_zero(tmp_path) -> None:
    env = {"CAREKEY_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    assert run_cli("migrate", env=env).returncode == 0
    ok = run_cli(
        "createpatient", "x@example.org", "--password-stdin", env=env, stdin="a-long-pass-123\n"
    )
    assert ok.returncode == 0 and ok.stdout.strip().isdigit()
    again = run_cli(
        "createpatient", "x@example.org", "--password-stdin", env=env, stdin="a-long-pass-123\n"
    )
    assert again.returncode != 0
    assert len(again.stderr.strip().splitlines()) == 1


OIDC_KEY = generate_pem()  # one per test run: RSA keys take a moment to make


def production_env(tmp_path, **overrides: str) -> dict[str, str]:
    env = {
        "CAREKEY_ENV": "production",
        "CAREKEY_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "CAREKEY_SECRET_KEY": "k" * 20 + Fernet.generate_key().decode(),
        "CAREKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "CAREKEY_ALLOWED_HOSTS": "portal.example.org",
        "CAREKEY_OIDC_PRIVATE_KEY": OIDC_KEY,
    }
    env.update(overrides)
    return env


def test_production_check_deploy_prints_no_warning(tmp_path) -> None:
    result = run_cli("check", "--deploy", env=production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "missing", ["CAREKEY_SECRET_KEY", "CAREKEY_ENCRYPTION_KEYS", "CAREKEY_ALLOWED_HOSTS"]
)
def test_production_refuses_to_start_without_its_keys(tmp_path, missing: str) -> None:
    result = run_cli("serve", env=production_env(tmp_path, **{missing: ""}))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and missing in lines[0] and "refuses to start" in lines[0]


PRODUCTION_PROBE = """
from django.test import Client
r = Client().get("/portal/signin", secure=True, HTTP_HOST="portal.example.org")
print("status", r.status_code)
print("hsts", r.get("Strict-Transport-Security"))
print("csrf-cookie-secure", bool(r.cookies["csrftoken"]["secure"]))
plain = Client().get("/portal/signin", HTTP_HOST="portal.example.org")
print("plain", plain.status_code, plain.get("Location"))
"""


def test_production_sends_hsts_secure_cookies_and_redirects_to_https(tmp_path) -> None:
    """Through `carekey shell`, which also shows Django's commands pass through `carekey`."""
    env = production_env(tmp_path)
    assert run_cli("migrate", env=env).returncode == 0
    result = run_cli("shell", "-c", PRODUCTION_PROBE, env=env)
    assert result.returncode == 0, result.stderr
    assert "status " in result.stdout, result.stdout + result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines() if " " in line)
    assert lines["status"] == "200"
    assert lines["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert lines["csrf-cookie-secure"] == "True"
    assert lines["plain"] == "301 https://portal.example.org/portal/signin"
