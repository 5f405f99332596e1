"""Mail settings come from the environment (CONTRACT §1): SMTP in production with
STARTTLS only when asked for, the console in development, and no start in production
without its keys however well the mail is configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from tests.integration.test_cli import OIDC_KEY

ROOT = Path(__file__).resolve().parents[2]
PRINT_MAIL_SETTINGS = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS", "EMAIL_USE_SSL", "DEFAULT_FROM_EMAIL")}))
"""
SMTP_ENV = {
    "CAREKEY_SMTP_HOST": "smtp.clinic.example",
    "CAREKEY_SMTP_PORT": "587",
    "CAREKEY_SMTP_USER": "portal-mailer",
    "CAREKEY_SMTP_PASSWORD": "s3cret-smtp-pass",
    "CAREKEY_SMTP_STARTTLS": "1",
    "CAREKEY_EMAIL_FROM": "Clinic Portal <portal@clinic.example>",
}


def print_mail_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Load the settings in a fresh interpreter with exactly `env` and print the mail ones."""
    return subprocess.run(
        [sys.executable, "-c", PRINT_MAIL_SETTINGS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def mail_settings(tmp_path: Path, extra: dict[str, str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CAREKEY_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "carekey.settings",
            "CAREKEY_DATA_DIR": str(tmp_path / "data"),
            **extra,
        }
    )
    result = print_mail_settings(env)
    assert result.returncode == 0, result.stderr[-2000:]
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert isinstance(values, dict)
    return values


PRODUCTION_ENV = {
    "CAREKEY_ENV": "production",
    "CAREKEY_SECRET_KEY": "mail-settings-test-key-" * 3,  # 69 characters, 12 distinct
    "CAREKEY_ALLOWED_HOSTS": "portal.clinic.example",
    "CAREKEY_OIDC_PRIVATE_KEY": OIDC_KEY,
}


def test_production_reads_smtp_settings_from_the_environment(tmp_path: Path) -> None:
    keys = {"CAREKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    values = mail_settings(tmp_path, {**PRODUCTION_ENV, **keys, **SMTP_ENV})
    assert values == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.clinic.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "portal-mailer",
        "EMAIL_HOST_PASSWORD": "s3cret-smtp-pass",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "DEFAULT_FROM_EMAIL": "Clinic Portal <portal@clinic.example>",
    }


def test_starttls_is_off_unless_asked_for(tmp_path: Path) -> None:
    keys = {"CAREKEY_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    smtp = {k: v for k, v in SMTP_ENV.items() if k != "CAREKEY_SMTP_STARTTLS"}
    values = mail_settings(tmp_path, {**PRODUCTION_ENV, **keys, **smtp})
    assert values["EMAIL_USE_TLS"] is False and values["EMAIL_HOST"] == "smtp.clinic.example"


def test_development_writes_emails_to_the_console(tmp_path: Path) -> None:
    values = mail_settings(tmp_path, {"CAREKEY_ENV": "development", **SMTP_ENV})
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["DEFAULT_FROM_EMAIL"] == "Clinic Portal <portal@clinic.example>"
    plain = mail_settings(tmp_path, {})
    assert plain["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_production_without_its_keys_refuses_to_start_even_with_smtp_set(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAREKEY_")}
    env.update({"DJANGO_SETTINGS_MODULE": "carekey.settings", "CAREKEY_ENV": "production"})
    env.update({"CAREKEY_DATA_DIR": str(tmp_path), **SMTP_ENV})
    result = print_mail_settings(env)
    assert result.returncode != 0
    assert "CAREKEY_SECRET_KEY" in result.stderr and "CAREKEY_ENCRYPTION_KEYS" in result.stderr
