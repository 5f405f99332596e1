"""Authenticator names (CONTRACT §2): trimmed, 1 to 64 characters, no control characters,
unique per patient ignoring case, a numbered default when left empty, and at most the cap.

The patient's other factors are given by a stand-in for the ORM, so the rule is checked
without a database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carekey.accounts.models import User
from carekey.mfa import names
from carekey.mfa.errors import InvalidName, NameConflict, TooManyFactors
from carekey.mfa.models import NAME_MAX_LENGTH
from carekey.mfa.names import DEFAULT_NAME, choose_name

PATIENT = User(pk=1, email="ana@example.org")


@dataclass
class StoredFactor:
    pk: int
    friendly_name: str


class OtherFactors:
    """Just enough of a QuerySet for choose_name: filter by user, exclude by pk, names."""

    def __init__(self, rows: list[StoredFactor]) -> None:
        self.rows = rows

    def filter(self, *, user: User) -> OtherFactors:
        assert user is PATIENT
        return self

    def exclude(self, *, pk: int) -> OtherFactors:
        return OtherFactors([row for row in self.rows if row.pk != pk])

    def values_list(self, field: str, *, flat: bool) -> list[str]:
        assert (field, flat) == ("friendly_name", True)
        return [row.friendly_name for row in self.rows]


@pytest.fixture
def existing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[StoredFactor]]:
    """The patient's stored factors; append to it to give the patient more."""
    rows: list[StoredFactor] = []

    class FakeFactor:
        objects = OtherFactors(rows)

    monkeypatch.setattr(names, "Factor", FakeFactor)
    yield rows


def name(raw: str | None, *, max_factors: int | None = 10, exclude: Any = None) -> str:
    return choose_name(PATIENT, raw, max_factors=max_factors, exclude=exclude)


def test_a_name_is_trimmed(existing: list[StoredFactor]) -> None:
    assert name("  Work phone \n") == "Work phone"


@pytest.mark.parametrize("raw", [None, "", "   ", "\n\t"])
def test_no_name_gives_the_default(existing: list[StoredFactor], raw: str | None) -> None:
    assert name(raw) == DEFAULT_NAME == "Authenticator app"


def test_defaults_are_numbered_past_every_taken_one(existing: list[StoredFactor]) -> None:
    existing += [StoredFactor(1, "authenticator APP"), StoredFactor(2, "Authenticator app 2")]
    assert name(None) == "Authenticator app 3"
    existing.append(StoredFactor(3, "Authenticator app 4"))
    assert name("") == "Authenticator app 3"


def test_the_default_is_used_again_once_free(existing: list[StoredFactor]) -> None:
    existing.append(StoredFactor(1, "Authenticator app 2"))
    assert name(None) == DEFAULT_NAME


def test_sixty_four_characters_are_allowed_and_sixty_five_are_not(
    existing: list[StoredFactor],
) -> None:
    assert NAME_MAX_LENGTH == 64
    assert name("x" * 64) == "x" * 64
    assert name("  " + "x" * 64 + "  ") == "x" * 64  # counted after trimming
    with pytest.raises(InvalidName, match="at most 64 characters"):
        name("x" * 65)


@pytest.mark.parametrize(
    "raw", ["Work\nphone", "Work\x00phone", "Tab\there", "Right\u202eto left", "Zero\u200bwidth"]
)
def test_control_and_format_characters_are_refused(existing: list[StoredFactor], raw: str) -> None:
    with pytest.raises(InvalidName, match="letters, numbers, spaces and punctuation"):
        name(raw)


def test_letters_from_any_language_and_punctuation_are_fine(existing: list[StoredFactor]) -> None:
    for raw in ("Teléfono de Ana", "Ана's phone #2", "携帯電話", "Phone (old) - 2024!"):
        assert name(raw) == raw


@pytest.mark.parametrize("raw", ["Phone", "PHONE", " phone "])
def test_a_name_taken_in_any_case_is_refused(existing: list[StoredFactor], raw: str) -> None:
    existing.append(StoredFactor(1, "phone"))
    with pytest.raises(NameConflict):
        name(raw)


def test_renaming_a_factor_may_keep_its_own_name(existing: list[StoredFactor]) -> None:
    existing += [StoredFactor(1, "Phone"), StoredFactor(2, "Tablet")]
    itself = StoredFactor(1, "Phone")
    assert name("PHONE", max_factors=None, exclude=itself) == "PHONE"
    with pytest.raises(NameConflict):
        name("tablet", max_factors=None, exclude=itself)


def test_the_cap_refuses_one_more_factor_whatever_its_name(existing: list[StoredFactor]) -> None:
    existing += [StoredFactor(k, f"Phone {k}") for k in range(9)]
    assert name("Tablet") == "Tablet"
    existing.append(StoredFactor(9, "Phone 9"))
    with pytest.raises(TooManyFactors):
        name("Tablet")
    with pytest.raises(TooManyFactors):
        name(None)
    assert name("Tablet", max_factors=None) == "Tablet"  # renaming is not adding


REFUSED_CATEGORIES = {"Cc", "Cf", "Co"}


@given(st.text(st.characters(codec="utf-8"), max_size=80))
def test_a_name_is_accepted_exactly_when_every_rule_allows_it(raw: str) -> None:
    with pytest.MonkeyPatch.context() as patch:

        class FakeFactor:
            objects = OtherFactors([StoredFactor(1, "Phone")])

        patch.setattr(names, "Factor", FakeFactor)
        stripped = raw.strip()
        too_long = len(stripped) > NAME_MAX_LENGTH
        unprintable = any(unicodedata.category(ch) in REFUSED_CATEGORIES for ch in stripped)
        if stripped and (too_long or unprintable):
            with pytest.raises(InvalidName):
                name(raw)
        elif stripped.lower() == "phone":
            with pytest.raises(NameConflict):
                name(raw)
        else:
            assert name(raw) == (stripped or DEFAULT_NAME)
