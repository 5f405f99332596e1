"""Where a person is sent after signing in or unlocking (CONTRACT §2): a path on this site
or the default, never another site (no open redirects)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from carekey.navigation import SIGNIN, redirect_to, safe_next

HOME = "/portal/"  # the default target: the portal's home page


@pytest.mark.parametrize(
    "path",
    [
        "/portal/",
        "/portal/security",
        "/portal/security?tab=devices&x=1",
        "/portal/security#app-lock",
        "/portal/%E2%9C%93",
        "/",
    ],
)
def test_a_path_on_this_site_is_kept(path: str) -> None:
    assert safe_next(path) == path


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "https://evil.example/",
        "http://evil.example",
        "//evil.example/portal/",
        "/\\evil.example",
        "\\\\evil.example",
        "/portal\\..\\",
        "javascript:alert(1)",
        "portal/security",
        "evil.example/portal/",
        "/\t/evil.example",
        "/portal/ security",
        "/portal/\nLocation: https://evil.example",
        "/portal/\x00",
        "///evil.example",
        "/" + "a" * 2000,
    ],
)
def test_anything_else_gives_the_default(value: str | None) -> None:
    assert safe_next(value) == HOME
    assert safe_next(value, default="/portal/locked") == "/portal/locked"


def test_a_long_path_is_kept_up_to_two_thousand_characters() -> None:
    path = "/" + "a" * 1999
    assert safe_next(path) == path


def leaves_the_site(url: str) -> bool:
    """Would a browser following this Location go to another host (or run a script)?"""
    # Browsers treat a backslash like a slash and drop tabs and newlines in URLs.
    cleaned = url.replace("\\", "/").translate({9: None, 10: None, 13: None}).strip()
    parts = urlsplit(cleaned)
    return bool(parts.scheme or parts.netloc) or cleaned.startswith("//")


@given(st.text(max_size=300))
@example("//evil.example")
@example("/\\evil.example")
@example("/\t/evil.example")
@example("https:evil.example")
def test_the_result_never_leaves_the_site(value: str) -> None:
    result = safe_next(value)
    assert result in (value, HOME)
    assert result.startswith("/")
    assert not leaves_the_site(result), result


@given(st.from_regex(r"/[a-z0-9/_.~%-]{0,80}(\?[a-z0-9=&]{0,40})?", fullmatch=True))
def test_ordinary_site_paths_always_survive(path: str) -> None:
    if path.startswith("//"):
        assert safe_next(path) == HOME
    else:
        assert safe_next(path) == path


@given(st.text(max_size=200))
def test_the_sign_in_redirect_carries_only_a_safe_next(value: str) -> None:
    location = redirect_to(SIGNIN, value)["Location"]
    parts = urlsplit(location)
    assert (parts.scheme, parts.netloc, parts.path) == ("", "", "/portal/signin")
    assert parse_qs(parts.query)["next"] == [safe_next(value)]
