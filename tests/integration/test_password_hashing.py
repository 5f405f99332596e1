"""Password hashing through the sign-in API: old hashes upgraded, unknown emails cost the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

from carekey.accounts.hashers import OwaspArgon2PasswordHasher
from carekey.accounts.models import User
from tests.conftest import PASSWORD, ApiClient
from tests.integration.test_cli import run_cli

pytestmark = pytest.mark.django_db

Cost = tuple[str, int, int, int]


def stored_cost(user: User) -> tuple[int, int, int]:
    user.refresh_from_db()
    decoded = OwaspArgon2PasswordHasher().decode(user.password)
    return decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]


@pytest.fixture
def old_hash_patient(patient: User) -> User:
    """A patient whose password was hashed with Django's default Argon2 (100 MiB, p=8)."""
    patient.password = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    patient.save(update_fields=["password"])
    assert stored_cost(patient) == (102400, 2, 8)
    return patient


def test_sign_in_rehashes_an_old_hash_with_the_owasp_profile(
    api: ApiClient, old_hash_patient: User
) -> None:
    api.sign_in(old_hash_patient.email)
    assert stored_cost(old_hash_patient) == (19456, 2, 1)
    assert ApiClient().sign_in(old_hash_patient.email).status_code == 200


def test_a_wrong_password_leaves_the_old_hash_alone(api: ApiClient, old_hash_patient: User) -> None:
    body = {"email": old_hash_patient.email, "password": "not-the-password-1"}
    assert api.post("/session", body).status_code == 401
    assert stored_cost(old_hash_patient) == (102400, 2, 8)


@pytest.fixture
def argon2_runs(monkeypatch: pytest.MonkeyPatch) -> list[Cost]:
    """Every Argon2 run of the hasher, with the parameters it ran at."""
    runs: list[Cost] = []
    encode, verify = OwaspArgon2PasswordHasher.encode, OwaspArgon2PasswordHasher.verify

    def counted_encode(self: OwaspArgon2PasswordHasher, password: str, salt: str) -> str:
        runs.append(("argon2", self.memory_cost, self.time_cost, self.parallelism))
        return encode(self, password, salt)

    def counted_verify(self: OwaspArgon2PasswordHasher, password: str, encoded: str) -> bool:
        decoded: dict[str, Any] = self.decode(encoded)
        runs.append(
            ("argon2", decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"])
        )
        return verify(self, password, encoded)

    monkeypatch.setattr(OwaspArgon2PasswordHasher, "encode", counted_encode)
    monkeypatch.setattr(OwaspArgon2PasswordHasher, "verify", counted_verify)
    return runs


def test_unknown_email_costs_the_same_hashing_as_a_wrong_password(
    api: ApiClient, patient: User, argon2_runs: list[Cost]
) -> None:
    wrong = api.post("/session", {"email": patient.email, "password": "not-the-password-1"})
    known_runs = list(argon2_runs)
    argon2_runs.clear()
    unknown = api.post("/session", {"email": "nobody@example.org", "password": "not-the-pass-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert known_runs == argon2_runs == [("argon2", 19456, 2, 1)]


def test_the_cap_is_read_from_the_environment(tmp_path: Path) -> None:
    env = {"CAREKEY_DATA_DIR": str(tmp_path), "CAREKEY_MAX_CONCURRENT_HASHES": "5"}
    probe = "from carekey.accounts.hashers import hash_slots; print(hash_slots()._initial_value)"
    result = run_cli("shell", "-c", probe, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "5"
    refused = run_cli("check", env={**env, "CAREKEY_MAX_CONCURRENT_HASHES": "0"})
    assert refused.returncode == 2
    assert (
        refused.stderr.strip()
        == "carekey: CAREKEY_MAX_CONCURRENT_HASHES must be greater than zero."
    )
