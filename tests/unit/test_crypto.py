"""Behaviour of encryption at rest: round trips, key rotation and key files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken

from carekey.core.crypto import SecretBox, load_or_create_key_file, parse_keys


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def test_encrypt_then_decrypt_returns_the_plaintext() -> None:
    box = SecretBox([new_key()])
    assert box.decrypt(box.encrypt("JBSWY3DPEHPK3PXP")) == "JBSWY3DPEHPK3PXP"


def test_ciphertext_does_not_contain_the_plaintext() -> None:
    token = SecretBox([new_key()]).encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in token


def test_rotated_token_decrypts_with_only_the_new_key() -> None:
    old, new = new_key(), new_key()
    token = SecretBox([old]).encrypt("secret")
    with pytest.raises(InvalidToken):
        SecretBox([new]).decrypt(token)
    assert SecretBox([new, old]).decrypt(token) == "secret"
    rotated = SecretBox([new, old]).rotate(token)
    assert SecretBox([new]).decrypt(rotated) == "secret"


def test_newest_key_encrypts() -> None:
    old, new = new_key(), new_key()
    token = SecretBox([new, old]).encrypt("secret")
    assert SecretBox([new]).decrypt(token) == "secret"


@pytest.mark.parametrize("keys", [[], ["not-a-key"], [Fernet.generate_key().decode(), "short"]])
def test_missing_or_bad_key_is_a_value_error(keys: list[str]) -> None:
    with pytest.raises(ValueError, match="Fernet key"):
        SecretBox(keys)


def test_bad_key_is_not_echoed_in_the_error() -> None:
    with pytest.raises(ValueError) as error:
        SecretBox(["very-secret-but-invalid"])
    assert "very-secret-but-invalid" not in str(error.value)


def test_a_single_string_is_not_taken_as_a_list_of_keys() -> None:
    with pytest.raises(ValueError, match="list"):
        SecretBox(new_key())


def test_parse_keys_strips_whitespace_and_drops_empty_items() -> None:
    assert parse_keys(" a , b,,c ,  ") == ["a", "b", "c"]
    assert parse_keys("") == []


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "fernet.key"
    key = load_or_create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key_file(path) == key
    assert SecretBox([key]).decrypt(SecretBox([key]).encrypt("x")) == "x"
    assert [p.name for p in path.parent.iterdir()] == ["fernet.key"]


def test_damaged_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fernet.key"
    path.write_text("nonsense\n")
    with pytest.raises(ValueError, match="valid Fernet key"):
        load_or_create_key_file(path)
