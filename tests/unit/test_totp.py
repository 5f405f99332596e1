"""Behaviour of the TOTP maths: RFC vectors, the acceptance window, replay and input rules."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carekey.core import totp

ARABIC_INDIC = "\u0661\u0662\u0663\u0664\u0665\u0666"  # isdigit() says True
FULLWIDTH = "\uff11\uff12\uff13\uff14\uff15\uff16"
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode("ascii")
NOW = 1_700_000_000.0
T = totp.step_at(NOW)


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_pyotp_reproduces_rfc6238_sha1_vectors(timestamp: int, expected: str) -> None:
    assert pyotp.TOTP(RFC_SECRET, digits=8).at(timestamp) == expected
    step = totp.step_at(timestamp)
    assert pyotp.TOTP(RFC_SECRET, digits=8).generate_otp(step) == expected


RFC4226_HOTP = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226_HOTP)))
def test_code_at_step_reproduces_rfc4226_hotp_values(counter: int, expected: str) -> None:
    assert totp.code_at_step(RFC_SECRET, counter) == expected


def test_code_keeps_leading_zeros() -> None:
    assert totp.code_at_step(RFC_SECRET, 36) == "003784"


def test_step_at_uses_thirty_second_steps() -> None:
    assert totp.step_at(0) == 0
    assert totp.step_at(29.999) == 0
    assert totp.step_at(30) == 1
    assert totp.step_at(59) == 1


def code(offset: int) -> str:
    return totp.code_at_step(RFC_SECRET, T + offset)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_window_accepts_previous_current_and_next_step(offset: int) -> None:
    assert totp.matching_step(RFC_SECRET, code(offset), NOW, None) == T + offset


@pytest.mark.parametrize("offset", [-2, 2])
def test_window_refuses_steps_two_away(offset: int) -> None:
    assert totp.matching_step(RFC_SECRET, code(offset), NOW, None) is None
    assert not totp.is_replay(RFC_SECRET, code(offset), NOW, T - 5)


def test_wrong_code_is_refused_and_is_not_a_replay() -> None:
    wrong = next(c for c in ("000000", "111111", "222222") if c not in {code(-1), code(0), code(1)})
    assert totp.matching_step(RFC_SECRET, wrong, NOW, None) is None
    assert not totp.is_replay(RFC_SECRET, wrong, NOW, T)


def test_code_of_last_accepted_step_is_a_replay() -> None:
    assert totp.matching_step(RFC_SECRET, code(0), NOW, T) is None
    assert totp.is_replay(RFC_SECRET, code(0), NOW, T)


def test_code_older_than_last_accepted_step_is_a_replay() -> None:
    assert totp.matching_step(RFC_SECRET, code(-1), NOW, T) is None
    assert totp.is_replay(RFC_SECRET, code(-1), NOW, T)


def test_code_newer_than_last_accepted_step_is_accepted() -> None:
    assert totp.matching_step(RFC_SECRET, code(1), NOW, T) == T + 1
    assert not totp.is_replay(RFC_SECRET, code(1), NOW, T)


def test_without_previous_use_nothing_is_a_replay() -> None:
    assert not totp.is_replay(RFC_SECRET, code(0), NOW, None)


def test_newest_matching_step_is_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(totp, "code_at_step", lambda secret, step: "123456")
    assert totp.matching_step(RFC_SECRET, "123456", NOW, None) == T + 1
    assert totp.matching_step(RFC_SECRET, "123456", NOW, T - 1) == T + 1
    assert totp.matching_step(RFC_SECRET, "123456", NOW, T + 1) is None
    assert totp.is_replay(RFC_SECRET, "123456", NOW, T + 1)


def test_matching_step_accepts_formatted_and_refuses_malformed_codes() -> None:
    spaced = f"{code(0)[:3]} {code(0)[3:]}"
    assert totp.matching_step(RFC_SECRET, spaced, NOW, None) == T
    assert totp.matching_step(RFC_SECRET, ARABIC_INDIC, NOW, None) is None
    assert not totp.is_replay(RFC_SECRET, "x" * 10_000, NOW, T)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("123456", "123456"), ("123 456", "123456"), ("123-456", "123456"), (" 012 345 ", "012345")],
)
def test_normalize_code_ignores_spaces_and_hyphens(raw: str, expected: str) -> None:
    assert totp.normalize_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12345a",
        "abcdef",
        "12345",
        "1234567",
        ARABIC_INDIC,
        FULLWIDTH,
        "1" * 10_000,
        "",
        "  ",
        "123\n456",
        "123_456",
    ],
)
def test_normalize_code_refuses_anything_but_six_ascii_digits(raw: str) -> None:
    with pytest.raises(totp.InvalidCodeFormat, match="Enter the 6-digit code"):
        totp.normalize_code(raw)


@given(st.text() | st.text(alphabet="0123456789 -\u0661\uff12a"))
def test_normalize_code_returns_six_ascii_digits_or_refuses(raw: str) -> None:
    try:
        result = totp.normalize_code(raw)
    except totp.InvalidCodeFormat:
        return
    assert re.fullmatch(r"[0-9]{6}", result, flags=re.ASCII)


def test_secret_is_32_base32_characters_without_padding() -> None:
    secret = totp.generate_secret()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert len(base64.b32decode(secret)) == totp.SECRET_BYTES
    assert totp.generate_secret() != secret


def test_provisioning_uri_has_exact_format() -> None:
    uri = totp.provisioning_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "ana+1@example.org", "Care Key")
    assert uri == (
        "otpauth://totp/Care%20Key:ana%2B1%40example.org"
        "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Care%20Key"
        "&algorithm=SHA1&digits=6&period=30"
    )


def test_provisioning_uri_is_understood_by_pyotp() -> None:
    secret = totp.generate_secret()
    parsed = pyotp.parse_uri(totp.provisioning_uri(secret, "ana@example.org", "CareKey"))
    assert isinstance(parsed, pyotp.TOTP)
    assert parsed.secret == secret
    assert parsed.issuer == "CareKey"
    assert parsed.name == "ana@example.org"
    assert (parsed.digits, parsed.interval) == (6, 30)


def test_qr_code_is_standalone_svg_at_least_200px_wide() -> None:
    uri = totp.provisioning_uri(totp.generate_secret(), "ana@example.org", "CareKey")
    svg = totp.qr_code_svg(uri)
    assert svg.startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "<?xml" not in svg
    width = re.search(r'width="(\d+(?:\.\d+)?)"', svg)
    assert width is not None and float(width.group(1)) >= 200


def test_qr_code_data_uri_embeds_the_svg_in_base64() -> None:
    uri = totp.provisioning_uri(totp.generate_secret(), "ana@example.org", "CareKey")
    data_uri = totp.qr_code_data_uri(uri)
    prefix = "data:image/svg+xml;base64,"
    assert data_uri.startswith(prefix)
    assert base64.b64decode(data_uri[len(prefix) :]).decode() == totp.qr_code_svg(uri)


def test_group_secret_splits_into_groups_of_four() -> None:
    assert totp.group_secret("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") == (
        "ABCD EFGH IJKL MNOP QRST UVWX YZ23 4567"
    )


@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 2])
def test_a_wider_window_accepts_two_steps_either_side(offset: int) -> None:
    assert totp.matching_step(RFC_SECRET, code(offset), NOW, None, window=2) == T + offset
    assert totp.matching_step(RFC_SECRET, code(3), NOW, None, window=2) is None


def test_a_wider_window_still_refuses_used_steps() -> None:
    assert totp.matching_step(RFC_SECRET, code(-2), NOW, T - 1, window=2) is None
    assert totp.is_replay(RFC_SECRET, code(-2), NOW, T - 1, window=2)


def test_a_code_padded_past_the_input_limit_is_refused_unread() -> None:
    padded = "123 456" + " " * 60
    assert len(padded.replace(" ", "")) == 6
    with pytest.raises(totp.InvalidCodeFormat):
        totp.normalize_code(padded)


labels = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


@given(labels, labels)
def test_no_issuer_or_account_name_alters_the_uri_structure(issuer: str, account: str) -> None:
    uri = totp.provisioning_uri(RFC_SECRET, account, issuer)
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.fragment == ""
    label_issuer, _, label_account = parts.path.lstrip("/").partition(":")
    assert (unquote(label_issuer), unquote(label_account)) == (issuer, account)
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query == {
        "secret": [RFC_SECRET],
        "issuer": [issuer],
        "algorithm": ["SHA1"],
        "digits": ["6"],
        "period": ["30"],
    }


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", max_size=64))
def test_grouping_a_secret_loses_nothing(secret: str) -> None:
    grouped = totp.group_secret(secret)
    assert grouped.replace(" ", "") == secret
    groups = grouped.split(" ") if secret else []
    assert all(len(g) == 4 for g in groups[:-1])
    assert not groups or 1 <= len(groups[-1]) <= 4
