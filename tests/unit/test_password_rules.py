"""What a new password must be (CONTRACT §7): each refusal is one sentence for a person."""

from __future__ import annotations

import pytest

from carekey.accounts.models import User
from carekey.password.rules import (
    MAX_LENGTH,
    WeakPassword,
    check_new_password,
)

ANA = User(email="ana.garcia@example.org", name="Ana Garcia")


def refusal(password: str, current: str | None = None) -> str:
    with pytest.raises(WeakPassword) as caught:
        check_new_password(password, ANA, current=current)
    assert caught.value.code == "weak_password" and caught.value.status == 422
    return caught.value.message


def test_a_long_unrelated_passphrase_is_accepted() -> None:
    check_new_password("copper kettle north meadow", ANA, current="old-pass-word-1")


def test_too_short_says_how_long() -> None:
    assert "at least 10 characters" in refusal("k3ttle!")


def test_a_common_password_is_refused() -> None:
    assert "too common" in refusal("password1234")


def test_only_numbers_is_refused() -> None:
    assert "entirely numeric" in refusal("8201938475629")


def test_the_email_as_password_is_refused() -> None:
    assert "too similar" in refusal("ana.garcia@example.org")


def test_more_than_the_limit_says_the_limit() -> None:
    assert (
        refusal("a" * (MAX_LENGTH + 1)) == f"Use at most {MAX_LENGTH} characters for your password."
    )


def test_a_nul_character_is_refused_before_any_validator() -> None:
    assert refusal("copper kettle\x00 meadow") == "A password cannot contain a null character."


def test_empty_asks_for_one() -> None:
    assert refusal("") == "Enter a new password."


def test_the_current_password_again_is_refused() -> None:
    message = refusal("copper kettle north meadow", current="copper kettle north meadow")
    assert message == "Choose a new password that is different from your current one."


def test_every_reason_is_given_at_once() -> None:
    message = refusal("12345")
    assert "at least 10 characters" in message and "entirely numeric" in message
