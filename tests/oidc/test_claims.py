"""acr and amr from what a session used (oidc/claims.py), without a server."""

from __future__ import annotations

import pytest

from carekey.oidc import claims


@pytest.mark.parametrize(
    ("aal", "methods", "acr"),
    [
        ("aal1", ["pwd"], "aal1"),
        ("aal2", ["pwd", "otp"], "aal2"),
        ("aal2", ["hwk", "user"], "phr"),
        ("aal2", ["pwd", "otp", "swk", "user"], "phr"),
        ("aal1", ["pwd", "hwk", "user"], "aal1"),  # a passkey alone never skips the level
    ],
)
def test_acr(aal: str, methods: list[str], acr: str) -> None:
    assert claims.acr_for(aal, methods) == acr


@pytest.mark.parametrize(
    ("methods", "amr"),
    [
        ([], ["pwd"]),
        (["pwd"], ["pwd"]),
        (["pwd", "otp"], ["pwd", "otp", "mfa"]),
        (["hwk", "user"], ["hwk", "user", "mfa"]),
        (["pwd", "otp", "hwk", "user", "otp"], ["pwd", "otp", "hwk", "user", "mfa"]),
    ],
)
def test_amr(methods: list[str], amr: list[str]) -> None:
    assert claims.amr_for(methods) == amr


@pytest.mark.parametrize(
    ("acr", "wanted", "met"),
    [
        ("aal2", [], True),
        ("aal2", ["phr"], False),
        ("phr", ["phr"], True),
        ("phr", ["aal2"], True),
        ("aal2", ["aal2", "phr"], True),  # any one of the levels asked for will do
        ("aal1", ["phr", "aal2"], False),
        ("aal1", ["urn:unknown"], True),
    ],
)
def test_meets(acr: str, wanted: list[str], met: bool) -> None:
    assert claims.meets(acr, wanted) is met


def test_lowest_of_the_levels_asked() -> None:
    assert claims.lowest(["phr", "aal2"]) == "aal2"
    assert claims.lowest(["phr", "x"]) == "phr"
    assert claims.lowest(["x"]) is None
