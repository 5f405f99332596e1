"""Behaviour of recovery codes: format, normalisation and salted hashing."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carekey.core import recovery

FORMAT = re.compile(r"[A-HJKMNP-Z2-9]{4}(?:-[A-HJKMNP-Z2-9]{4}){3}")


def test_a_set_has_ten_distinct_codes_in_the_shown_format() -> None:
    codes = recovery.generate_codes()
    assert len(codes) == recovery.CODES_PER_SET == 10
    assert len(set(codes)) == 10
    assert all(FORMAT.fullmatch(code) for code in codes)


def test_alphabet_has_no_ambiguous_characters() -> None:
    assert not set("0O1IL") & set(recovery.ALPHABET)
    assert len(set(recovery.ALPHABET)) == len(recovery.ALPHABET) == 31


def test_generate_codes_honours_count() -> None:
    assert len(recovery.generate_codes(3)) == 3


@pytest.mark.parametrize(
    "raw",
    ["ABCD-EFGH-JKMN-PQRS", "abcd efgh jkmn pqrs", "AbCdEfGhJkMnPqRs", " abcd-EFGH jkmn--pqrs "],
)
def test_normalize_ignores_case_spaces_and_hyphens(raw: str) -> None:
    assert recovery.normalize(raw) == "ABCDEFGHJKMNPQRS"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "ABCD-EFGH-JKMN-PQR",
        "ABCD-EFGH-JKMN-PQRST",
        "ABCD-EFGH-JKMN-PQR0",
        "ABCD-EFGH-JKMN-PQRI",
        "ABCD-EFGH-JKMN-PQR_",
        "ABCD-EFGH-JKMN-PQR\u017f",  # long s upper-cases to "S": must not slip through
        "\uff21BCD-EFGH-JKMN-PQRS"  # fullwidth A,
        "A" * 10_000,
    ],
)
def test_normalize_refuses_anything_else(raw: str) -> None:
    with pytest.raises(recovery.InvalidRecoveryCode, match="Enter a recovery code like"):
        recovery.normalize(raw)


@given(st.text() | st.text(alphabet="abcdefghjkmnpqrs\u017f23456789 -ABC0O"))
def test_normalize_only_ever_raises_invalid_recovery_code(raw: str) -> None:
    try:
        result = recovery.normalize(raw)
    except recovery.InvalidRecoveryCode:
        return
    assert len(result) == 16
    assert set(result) <= set(recovery.ALPHABET)


def test_hash_is_salted_and_matches_the_code() -> None:
    code = recovery.normalize(recovery.generate_codes(1)[0])
    first, second = recovery.hash_code(code), recovery.hash_code(code)
    assert first != second
    assert code not in first
    assert recovery.matches(code, first)
    assert recovery.matches(code, second)


def test_hash_uses_argon2id() -> None:
    assert recovery.hash_code("ABCDEFGHJKMNPQRS").startswith("$argon2id$")


def test_formatted_code_matches_its_hash() -> None:
    stored = recovery.hash_code("ABCDEFGHJKMNPQRS")
    assert recovery.matches("abcd-efgh-jkmn-pqrs", stored)


def test_wrong_code_does_not_match() -> None:
    stored = recovery.hash_code("ABCDEFGHJKMNPQRS")
    assert not recovery.matches("ABCDEFGHJKMNPQRT", stored)
    assert not recovery.matches("not a code", stored)


@pytest.mark.parametrize(
    "stored", ["", "garbage", "$argon2id$", "$argon2id$v=19$m=8192,t=1,p=1$bad$bad", "$2b$12$x"]
)
def test_malformed_stored_hash_does_not_match(stored: str) -> None:
    assert recovery.matches("ABCDEFGHJKMNPQRS", stored) is False


def test_a_code_padded_past_the_input_limit_is_refused_unread() -> None:
    padded = "ABCD-EFGH-JKMN-PQRS" + " " * 50
    assert len(padded.replace(" ", "").replace("-", "")) == recovery.CODE_LENGTH
    with pytest.raises(recovery.InvalidRecoveryCode):
        recovery.normalize(padded)


def test_a_drawn_duplicate_is_redrawn_so_the_set_is_complete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three draws: A..., A... again, then B...; two codes asked for, two distinct given."""
    draws = iter("A" * 16 + "A" * 16 + "B" * 16)
    monkeypatch.setattr("carekey.core.recovery.secrets.choice", lambda alphabet: next(draws))
    assert recovery.generate_codes(2) == ["AAAA-AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB-BBBB"]
