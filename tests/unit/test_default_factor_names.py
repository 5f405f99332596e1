"""Which stored names are defaults (issue 17, item 1): the Security page notes a factor
still called "Authenticator app" or "Authenticator app 3" (or "Passkey 2"), so the Name
column does not simply repeat the Type. Stored names are never rewritten for it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carekey.mfa.names import DEFAULT_NAME, _default_name, is_default_name
from carekey.mfa.passkey_kind import DEFAULT_NAME as PASSKEY_DEFAULT_NAME


@pytest.mark.parametrize(
    "stored",
    ["Authenticator app", "Authenticator app 2", "authenticator APP 10", " Authenticator app 3 "],
)
def test_the_default_and_its_numbered_successors_are_defaults(stored: str) -> None:
    assert is_default_name(stored)


@pytest.mark.parametrize(
    "stored",
    [
        "Spare phone",
        "My authenticator app",
        "Authenticator apps",
        "Authenticator app 0",
        "Authenticator app 02",
        "Authenticator app two",
        "Authenticator app 2 (work)",
        "Passkey",
    ],
)
def test_a_chosen_name_is_not_a_default(stored: str) -> None:
    assert not is_default_name(stored)


def test_each_kind_has_its_own_default() -> None:
    assert is_default_name("Passkey 2", PASSKEY_DEFAULT_NAME)
    assert not is_default_name("Authenticator app", PASSKEY_DEFAULT_NAME)


@given(st.sets(st.integers(min_value=1, max_value=30).map(str), max_size=12))
def test_every_name_picked_by_default_is_recognised(numbers: set[str]) -> None:
    taken = {DEFAULT_NAME.lower()} | {f"{DEFAULT_NAME} {n}".lower() for n in numbers}
    assert is_default_name(_default_name(taken, DEFAULT_NAME))
    assert is_default_name(_default_name(set(), PASSKEY_DEFAULT_NAME), PASSKEY_DEFAULT_NAME)
