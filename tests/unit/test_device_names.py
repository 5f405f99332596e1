"""A device's readable name from its user agent (CONTRACT §2): "browser on system", the
browser alone when the system is unknown, and words a person can read when nothing is."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from carekey.client import describe_device as describe

FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0"
SAFARI_IOS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
EDGE_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0"
)


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (FIREFOX_WINDOWS, "Firefox on Windows"),
        (SAFARI_IOS, "Mobile Safari on iOS"),
        (CHROME_LINUX, "Chrome on Linux"),
        (CHROME_ANDROID, "Chrome Mobile on Android"),
        (EDGE_WINDOWS, "Edge on Windows"),
    ],
)
def test_a_known_browser_is_named_with_its_system(agent: str, expected: str) -> None:
    with translation.override("en"):
        assert describe(agent) == expected


def test_a_browser_on_an_unknown_system_is_named_alone() -> None:
    with translation.override("en"):
        assert describe("curl/8.0") == "curl"


@pytest.mark.parametrize("agent", ["Mozilla/5.0", "x", "<script>alert(1)</script>"])
def test_an_unrecognised_agent_is_an_unknown_browser(agent: str) -> None:
    with translation.override("en"):
        assert describe(agent) == "Unknown browser"


@pytest.mark.parametrize("agent", ["", "   ", "\t\n"])
def test_no_agent_is_an_unknown_device(agent: str) -> None:
    with translation.override("en"):
        assert describe(agent) == "Unknown device"


@given(st.text(max_size=300))
def test_every_agent_gets_a_non_empty_one_line_name(agent: str) -> None:
    with translation.override("en"):
        shown = describe(agent)
    assert shown.strip() == shown != ""
    assert "\n" not in shown


def test_the_name_follows_the_readers_language() -> None:
    with translation.override("en"):
        assert describe(CHROME_LINUX) == "Chrome on Linux"
        assert describe("") == "Unknown device"
    with translation.override("es"):
        assert describe(CHROME_LINUX) == "Chrome en Linux"
        assert describe("") == "Dispositivo desconocido"
