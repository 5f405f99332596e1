"""The ID-token signing key (issue 14): generated 0600 into the data dir in development
and kept across restarts, required and checked in production, and a rotation's previous
key still published in the JWKS."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from carekey.oidc.keys import generate_pem
from tests.integration.test_cli import production_env, run_cli
from tests.integration.test_session_cookie_persistence import ROOT

pytestmark = pytest.mark.django_db

PRINT = (
    "import django, json; django.setup(); from django.conf import settings as s;"
    "p = s.OAUTH2_PROVIDER; print(json.dumps([p['OIDC_RSA_PRIVATE_KEY'][:40], "
    "len(p['OIDC_RSA_PRIVATE_KEYS_INACTIVE'])]))"
)


def provider_settings(tmp_path: Path, **env: str) -> Any:
    import os
    import subprocess
    import sys

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CAREKEY_", "DJANGO_"))}
    clean.pop("DATABASE_URL", None)
    clean.update(DJANGO_SETTINGS_MODULE="carekey.settings", CAREKEY_DATA_DIR=str(tmp_path), **env)
    result = subprocess.run(
        [sys.executable, "-c", PRINT],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_development_generates_a_private_key_once(tmp_path: Path) -> None:
    first = provider_settings(tmp_path)
    key_file = tmp_path / "oidc_private_key.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert provider_settings(tmp_path) == first  # kept across restarts
    assert first[0].startswith("-----BEGIN PRIVATE KEY-----")


def test_previous_keys_are_read_from_the_environment(tmp_path: Path) -> None:
    previous = generate_pem() + generate_pem()
    assert provider_settings(tmp_path, CAREKEY_OIDC_PREVIOUS_KEYS=previous)[1] == 2


def test_production_refuses_to_start_without_the_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env.pop("CAREKEY_OIDC_PRIVATE_KEY")
    result = run_cli("check", env=env)
    assert result.returncode != 0 and "CAREKEY_OIDC_PRIVATE_KEY" in result.stderr


@pytest.mark.parametrize(
    "key", ["not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"]
)
def test_production_refuses_a_key_that_is_not_an_rsa_key(tmp_path: Path, key: str) -> None:
    result = run_cli("check", env=production_env(tmp_path, CAREKEY_OIDC_PRIVATE_KEY=key))
    assert result.returncode != 0 and "CAREKEY_OIDC_PRIVATE_KEY" in result.stderr
    assert key not in result.stderr


def test_the_jwks_publishes_the_current_and_the_previous_key(settings: Any) -> None:
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [generate_pem()],
    }
    keys = Client().get("/o/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 2 and len({k["kid"] for k in keys}) == 2
    assert all(k["alg"] == "RS256" and "d" not in k for k in keys)  # public parts only
