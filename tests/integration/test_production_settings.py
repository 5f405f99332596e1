"""Production refuses a weak CAREKEY_SECRET_KEY and a `*` host (CONTRACT §1, issue 12).

Through the real console script, like the missing-key refusals in test_cli.py: exit 2 and
one stderr line naming the variable. The refusal is in the settings, which every command
imports first (`serve` included); `check` is used so that, were it missing, the test fails
at once instead of serving.
"""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from tests.integration.test_cli import production_env, run_cli

STRONG_50 = (string.ascii_letters + string.digits)[:50]


def assert_refused(result: object, variable: str, secret: str = "") -> None:
    assert getattr(result, "returncode", None) == 2, result
    lines = str(getattr(result, "stderr", "")).strip().splitlines()
    assert len(lines) == 1, lines
    assert variable in lines[0] and "CAREKEY_ENV=production refuses" in lines[0]
    assert not secret or secret not in lines[0]  # the key itself never reaches a log


@pytest.mark.parametrize(
    "key",
    [
        STRONG_50[:49],  # shorter than 50 characters
        "abcd" * 20,  # 80 characters, only 4 distinct ones
        "django-insecure-" + STRONG_50,  # Django's own marker of a generated dev key
    ],
    ids=["short", "low-variety", "django-insecure"],
)
def test_a_weak_secret_key_is_refused(tmp_path: Path, key: str) -> None:
    result = run_cli("check", env=production_env(tmp_path, CAREKEY_SECRET_KEY=key))
    assert_refused(result, "CAREKEY_SECRET_KEY", secret=key)


@pytest.mark.parametrize("hosts", ["*", "portal.example.org,*", " * "])
def test_a_wildcard_host_is_refused(tmp_path: Path, hosts: str) -> None:
    result = run_cli("check", env=production_env(tmp_path, CAREKEY_ALLOWED_HOSTS=hosts))
    assert_refused(result, "CAREKEY_ALLOWED_HOSTS")


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"CAREKEY_SECRET_KEY": STRONG_50},  # exactly 50 characters is enough
        {"CAREKEY_ALLOWED_HOSTS": ".example.org,portal.example.org"},  # subdomains: allowed
    ],
    ids=["fixture", "50-characters", "subdomain-wildcard"],
)
def test_a_good_config_passes_check_deploy_with_no_warning(
    tmp_path: Path, overrides: dict[str, str]
) -> None:
    result = run_cli("check", "--deploy", env=production_env(tmp_path, **overrides))
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr
