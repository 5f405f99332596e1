"""Hypothesis throws arbitrary text at every code and name field, page and API: never a 500.

Each test sets up one patient (and one factor) through fixtures; each example then starts
from a clean throttle, so examples do not depend on each other. Besides "no 500", the API
answers are held to CONTRACT §3 (statuses, the one error shape) and the code rules of §4:
text that is not six ASCII digits once spaces and hyphens are gone is refused as a
validation error and checks nothing, so it never counts towards the throttle.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st

from carekey.accounts import session_state as session_keys
from carekey.accounts import throttle
from carekey.accounts.models import ThrottleState, User
from carekey.core.recovery import ALPHABET
from carekey.mfa.models import Factor, RecoveryCode
from tests.conftest import PASSWORD, ApiClient
from tests.mfa_helpers import code_now, enroll, enroll_and_verify

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# What a code or recovery code field may be refused with, and the rest of CONTRACT §3.
CODE_ERRORS = {"validation_error", "mfa_verification_failed", "too_many_attempts"}
DEFAULT_NAME = "Authenticator app"
# The implementation refuses raw input longer than this before looking at it; the
# contract does not name a limit, so longer well-formed input may go either way.
RAW_LIMIT = 64
NAME_LIMIT = 64

# --- strategies -----------------------------------------------------------------------

NON_ASCII_DIGITS = st.text(
    alphabet=st.characters(categories=["Nd"], exclude_characters="0123456789"),
    min_size=1,
    max_size=12,
)
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "-",
        "\x00",
        "123456\x00",
        "١٢٣٤٥٦",  # Arabic-Indic
        "۱۲۳۴۵۶",  # Extended Arabic-Indic
        "１２３４５６",  # fullwidth
        "𝟏𝟐𝟑𝟒𝟓𝟔",  # mathematical bold
        "१२३४५६",  # Devanagari
        "12345٦",
        "123 456",
        "123-456",
        " 123456 ",
        "1 2 3 4 5 6",
        "1-2-3-4-5-6",
        "--123456--",
        "123\u00a0456",  # no-break space
        "123\u2009456",  # thin space
        "123\u2011456",  # non-breaking hyphen
        "123\t456",
        "123456\n",
        "12345",
        "1234567",
        "+123456",
        "1_23456",
        "0x1234",
        "1e5",
        "null",
        "[]",
        "{}",
        "ABCD-EFGH-JKMN-PQRS",
        "abcd efgh jkmn pqrs",
        "ABCDEFGHJKMNPQRS",
        "OOOO-IIII-LLLL-0000",
        "ſſſſ-ſſſſ-ſſſſ-ſſſſ",  # long s: upper() makes it "S"
        "K" * 16,  # Kelvin sign
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%s%s%s%n",
        "\u202e123456",  # right-to-left override
        "\ufeff123456",  # byte order mark
        "\U0001f600" * 6,
    ]
)
DIGITS_AND_SEPARATORS = st.lists(
    st.sampled_from([*"0123456789", " ", "-", "  ", "--"]), max_size=90
).map("".join)
SIX_DIGITS_SPACED = st.lists(
    st.tuples(st.sampled_from("0123456789"), st.sampled_from(["", "", " ", "-", " - "])),
    min_size=6,
    max_size=6,
).map(lambda pairs: "".join(d + sep for d, sep in pairs))
RECOVERY_LIKE = st.text(alphabet=ALPHABET + ALPHABET.lower() + " -01IOLſ", max_size=40)
LONG = st.builds(
    lambda piece, size: (piece * size)[:size],
    st.text(min_size=1, max_size=8),
    st.sampled_from([63, 64, 65, 66, 100, 999, 1000, 1001, 4096]),
)
FIELD_TEXT = st.one_of(
    st.text(max_size=300),
    TRICKY,
    DIGITS_AND_SEPARATORS,
    SIX_DIGITS_SPACED,
    NON_ASCII_DIGITS,
    RECOVERY_LIKE,
    LONG,
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)

# --- oracles --------------------------------------------------------------------------


def looks_like_code(raw: str) -> bool:
    """CONTRACT §4: exactly six ASCII digits once spaces and hyphens are removed."""
    return re.fullmatch(r"[0-9]{6}", raw.replace(" ", "").replace("-", "")) is not None


def looks_like_recovery_code(raw: str) -> bool:
    """16 characters of the alphabet, ignoring case, spaces and hyphens (ASCII only)."""
    compact = raw.replace(" ", "").replace("-", "")
    return compact.isascii() and re.fullmatch(f"[{ALPHABET}]{{16}}", compact.upper()) is not None


def failures(user: User) -> int:
    key = throttle.key_for_user(user.pk)
    return ThrottleState.objects.filter(key=key).values_list("failures", flat=True).first() or 0


def fresh_throttle() -> None:
    ThrottleState.objects.all().delete()


def api_answer(response: Any, allowed: dict[int, set[str] | None]) -> str | None:
    """Check status and body against the contract; return the error code, if any."""
    status = response.status_code
    assert status < 500, response.content[:500]
    if currently_in_test_context():
        event(f"status {status}")
    assert status in allowed, (status, response.content[:500])
    if status < 400:
        return None
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"], dict) and set(body["error"]) == {"code", "message"}, body
    code, message = body["error"]["code"], body["error"]["message"]
    assert isinstance(code, str) and isinstance(message, str) and message.strip(), body
    codes = allowed[status]
    assert codes is None or code in codes, (status, code)
    if status == 429:
        assert response["Retry-After"].isdigit()
    return code


def check_code_answer(response: Any, user: User, raw: str | None, kind: str) -> None:
    """A code field's answer: classify against §4, and count only checked input."""
    code = api_answer(response, {200: None, 422: CODE_ERRORS, 429: {"too_many_attempts"}})
    event(f"error {code}")
    if raw is None:
        return
    shaped = looks_like_code(raw) if kind == "code" else looks_like_recovery_code(raw)
    if code == "validation_error":
        assert failures(user) == 0, "a malformed code must check nothing and count nothing"
        if len(raw) <= RAW_LIMIT:
            assert not shaped, f"{raw!r} is a well-formed {kind} but was refused as malformed"
    elif code == "mfa_verification_failed":
        assert shaped, f"{raw!r} is not a well-formed {kind} but was checked"
        assert failures(user) == 1
    if shaped and kind == "code":
        digits = raw.replace(" ", "").replace("-", "")
        assert digits.encode() not in response.content, "the code is echoed back"


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture
def enrolling_api(signed_in_api: ApiClient) -> tuple[ApiClient, str]:
    factor_id, _secret = enroll(signed_in_api)
    return signed_in_api, factor_id


@pytest.fixture
def verified_api(signed_in_api: ApiClient) -> ApiClient:
    enroll_and_verify(signed_in_api)
    return signed_in_api


def page_secret(html: str) -> str:
    shown = re.search(r'<code id="secret"[^>]*>(.*?)</code>', html, re.S)
    assert shown
    return re.sub(r"<[^>]+>|\s", "", shown.group(1))


@pytest.fixture
def page_enrollment(signed_in_page: Client) -> tuple[Client, str]:
    """A page session part-way through enrolling: the URL of its verify step."""
    response = signed_in_page.post("/portal/security/factors")
    assert response.status_code == 302
    return signed_in_page, response["Location"]


@pytest.fixture
def page_verified(page_enrollment: tuple[Client, str], patient: User) -> tuple[Client, str]:
    """A page session whose patient has one verified factor: its removal URL."""
    client, url = page_enrollment
    secret = page_secret(client.get(url).content.decode())
    response = client.post(url, {"friendly_name": "", "code": code_now(secret)}, follow=True)
    assert response.status_code == 200 and b"Save your recovery codes" in response.content
    factor = Factor.objects.get(user=patient)
    assert factor.is_verified
    return client, f"/portal/security/factors/{factor.pk}/remove"


@pytest.fixture
def other_factor_id(make_patient: Callable[..., User]) -> str:
    """A factor that exists, but belongs to somebody else."""
    other = ApiClient()
    other.sign_in(make_patient("someone-else@example.org").email)
    return enroll_and_verify(other).factor_id


# --- API: names and codes -------------------------------------------------------------


@FUZZ
@given(name=FIELD_TEXT)
def test_api_enroll_friendly_name(signed_in_api: ApiClient, patient: User, name: str) -> None:
    Factor.objects.filter(user=patient).delete()
    response = signed_in_api.post("/mfa/factors", {"factor_type": "totp", "friendly_name": name})
    error = api_answer(
        response,
        {
            201: None,
            403: {"reauthentication_required"},
            422: {"validation_error", "mfa_factor_name_conflict", "too_many_enrolled_mfa_factors"},
        },
    )
    assert response.status_code != 403, "no factor is verified, so no reauthentication"
    trimmed = name.strip()
    if len(trimmed) > NAME_LIMIT:
        assert error == "validation_error"
    if response.status_code == 201:
        stored = response.json()["friendly_name"]
        assert stored == (trimmed or DEFAULT_NAME)
        listed = signed_in_api.get("/mfa/factors").json()["factors"]
        assert [f["friendly_name"] for f in listed] == [stored]
    else:
        assert error == "validation_error"
        assert not Factor.objects.filter(user=patient).exists()


@FUZZ
@given(value=JSON_VALUES)
def test_api_enroll_friendly_name_of_any_json_type(
    signed_in_api: ApiClient, patient: User, value: Any
) -> None:
    Factor.objects.filter(user=patient).delete()
    response = signed_in_api.post("/mfa/factors", {"factor_type": "totp", "friendly_name": value})
    api_answer(response, {201: None, 422: {"validation_error"}})
    if response.status_code == 201:
        assert value is None or isinstance(value, str)


@FUZZ
@given(raw=FIELD_TEXT)
def test_api_verify_enrollment_code(
    enrolling_api: tuple[ApiClient, str], patient: User, raw: str
) -> None:
    api, factor_id = enrolling_api
    fresh_throttle()
    response = api.post(f"/mfa/factors/{factor_id}/verify", {"code": raw})
    check_code_answer(response, patient, raw, "code")


@FUZZ
@given(value=JSON_VALUES)
def test_api_verify_enrollment_code_of_any_json_type(
    enrolling_api: tuple[ApiClient, str], patient: User, value: Any
) -> None:
    api, factor_id = enrolling_api
    fresh_throttle()
    response = api.post(f"/mfa/factors/{factor_id}/verify", {"code": value})
    api_answer(response, {200: None, 422: CODE_ERRORS, 429: {"too_many_attempts"}})
    if not isinstance(value, str):
        assert response.status_code == 422
        assert failures(patient) == 0


@FUZZ
@given(raw=FIELD_TEXT, field=st.sampled_from(["code", "recovery_code"]))
def test_api_reauthenticate(verified_api: ApiClient, patient: User, raw: str, field: str) -> None:
    fresh_throttle()
    response = verified_api.post("/session/reauthenticate", {field: raw})
    check_code_answer(response, patient, raw, field)


@FUZZ
# null is how JSON says "absent", so {"code": ..., "recovery_code": null} is a lone code.
@given(code=FIELD_TEXT, recovery_code=FIELD_TEXT | JSON_VALUES.filter(lambda v: v is not None))
def test_api_reauthenticate_with_both_or_odd_fields(
    verified_api: ApiClient, patient: User, code: str, recovery_code: Any
) -> None:
    fresh_throttle()
    response = verified_api.post(
        "/session/reauthenticate", {"code": code, "recovery_code": recovery_code}
    )
    error = api_answer(response, {422: {"validation_error"}})
    assert error == "validation_error"
    assert failures(patient) == 0


# --- API: bodies that are not JSON objects and ids that are not ids -------------------


@FUZZ
@given(raw=st.binary(max_size=2000), signed_in=st.booleans())
def test_api_raw_bytes_are_refused_cleanly(patient: User, raw: bytes, signed_in: bool) -> None:
    client = ApiClient()
    if signed_in:
        client.sign_in(patient.email)
    for path in ("/mfa/factors", "/session"):
        response = client.client.post(
            f"/api/v1{path}",
            raw,
            content_type="application/json",
            headers={"X-CSRFToken": client.csrf},
        )
        assert 400 <= response.status_code < 500, (path, response.status_code)
        api_answer(
            response,
            {
                401: {"not_authenticated", "invalid_credentials"},
                422: {"validation_error"},
                429: {"too_many_attempts"},
            },
        )


@FUZZ
@given(
    raw=st.binary(max_size=500) | st.text(max_size=200).map(str.encode),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=latin-1",
            "application/json; charset=utf-16",
            "text/plain",
            "application/octet-stream",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=fuzz",
            "multipart/form-data",
        ]
    ),
    path=st.sampled_from(["/mfa/factors", "/session", "/session/reauthenticate"]),
)
def test_api_never_answers_500_whatever_the_content_type(
    verified_api: ApiClient, raw: bytes, content_type: str, path: str
) -> None:
    """Only a JSON object is a body; anything else is a 422 in the API's words."""
    fresh_throttle()
    # generic() sends the bytes as they are; post() would re-encode them for the charset.
    response = verified_api.client.generic(
        "POST",
        f"/api/v1{path}",
        raw,
        content_type=content_type,
        headers={"X-CSRFToken": verified_api.csrf},
    )
    assert 400 <= response.status_code < 500, (path, content_type, response.status_code)
    api_answer(response, {400: {"bad_request"}, 422: {"validation_error"}})


def test_oversized_json_body_is_refused_with_the_error_shape(signed_in_api: ApiClient) -> None:
    """Past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) the API still answers in its own words."""
    huge = {"factor_type": "totp", "friendly_name": "x" * 3_000_000}
    response = signed_in_api.post("/mfa/factors", huge)
    assert 400 <= response.status_code < 500
    api_answer(response, {400: None, 413: None, 422: {"validation_error"}})


SEGMENTS = st.one_of(
    st.text(min_size=1, max_size=80).filter(lambda s: "/" not in s),
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex.upper()),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: f"urn:uuid:{u}"),
    st.text(alphabet=string.hexdigits + "-_ +", min_size=30, max_size=40),
    st.sampled_from([".", "..", "%", "0", "-1", "null", "None", "?", "#", "\x00", " "]),
)


@FUZZ
@given(segment=SEGMENTS, use_other=st.booleans())
def test_api_unknown_factor_ids_are_not_found(
    signed_in_api: ApiClient, other_factor_id: str, segment: str, use_other: bool
) -> None:
    """Unknown or another patient's factor: 404 mfa_factor_not_found, never 403 or 500."""
    fresh_throttle()
    factor_id = quote(other_factor_id if use_other else segment, safe="")
    verify = signed_in_api.post(f"/mfa/factors/{factor_id}/verify", {"code": "123456"})
    assert api_answer(verify, {404: {"mfa_factor_not_found"}}) == "mfa_factor_not_found"
    remove = signed_in_api.delete(f"/mfa/factors/{factor_id}")
    assert api_answer(remove, {404: {"mfa_factor_not_found"}}) == "mfa_factor_not_found"
    assert Factor.objects.filter(pk=other_factor_id).exists()


@FUZZ
@given(segment=SEGMENTS)
def test_page_unknown_factor_ids_are_not_found(signed_in_page: Client, segment: str) -> None:
    factor_id = quote(segment, safe="")
    for action in ("verify", "remove", "cancel"):
        url = f"/portal/security/factors/{factor_id}/{action}"
        assert signed_in_page.get(url).status_code in {404, 405}
        assert signed_in_page.post(url, {"code": "123456"}).status_code == 404


# --- pages: the enrollment step and the removal confirmation --------------------------


def assert_page_with_errors(response: Any, heading: str) -> None:
    html = response.content.decode()
    assert 'id="error-summary"' in html, html[:2000]
    assert heading in html


@FUZZ
@given(name=FIELD_TEXT, code=FIELD_TEXT)
def test_page_verify_enrollment_name_and_code(
    page_enrollment: tuple[Client, str], patient: User, name: str, code: str
) -> None:
    client, url = page_enrollment
    fresh_throttle()
    response = client.post(url, {"friendly_name": name, "code": code})
    assert response.status_code < 500
    event(f"status {response.status_code}")
    assert response.status_code in {200, 302, 400, 429}, response.status_code
    if response.status_code in {400, 429}:
        assert_page_with_errors(response, "Set up your authenticator app")
    factor = Factor.objects.get(user=patient)
    assert 1 <= len(factor.friendly_name) <= NAME_LIMIT
    assert factor.friendly_name == factor.friendly_name.strip()


@FUZZ
@given(
    value=FIELD_TEXT,
    other=FIELD_TEXT,
    shape=st.sampled_from(["code", "recovery_code", "both", "code+method", "none"]),
    query=st.sampled_from(["", "?method=recovery", "?method=" + quote("é\x00")]),
)
def test_page_remove_verified_factor_with_any_code(
    page_verified: tuple[Client, str],
    patient: User,
    value: str,
    other: str,
    shape: str,
    query: str,
) -> None:
    client, url = page_verified
    fresh_throttle()
    data = {
        "code": {"code": value},
        "recovery_code": {"recovery_code": value},
        "both": {"code": value, "recovery_code": other},
        "code+method": {"code": value, "method": "recovery"},
        "none": {},
    }[shape]
    response = client.post(url + query, data)
    assert response.status_code < 500
    event(f"status {response.status_code}")
    assert response.status_code in {302, 400, 403, 429}, response.status_code
    if response.status_code != 302:
        assert_page_with_errors(response, "Remove Authenticator app?")
        assert Factor.objects.filter(user=patient, status="verified").count() == 1


@FUZZ
@given(
    value=FIELD_TEXT,
    field=st.sampled_from(["code", "recovery_code"]),
    route=st.sampled_from(["/portal/security/factors", "/portal/security/recovery-codes"]),
)
def test_page_confirm_its_you_with_any_code(
    page_verified: tuple[Client, str], patient: User, value: str, field: str, route: str
) -> None:
    """The "Confirm it's you" step before a second factor or new recovery codes."""
    client, _ = page_verified
    fresh_throttle()
    session = client.session
    session.pop(session_keys.REAUTH_UNTIL, None)  # the verify step's 5 minutes are over
    session.save()
    query = "?method=recovery" if field == "recovery_code" else ""
    response = client.post(route + query, {field: value})
    assert response.status_code < 500
    event(f"status {response.status_code}")
    assert response.status_code in {302, 200, 400, 403, 429}, response.status_code
    if response.status_code in {400, 403, 429}:
        assert_page_with_errors(response, "Confirm it")
    assert RecoveryCode.objects.filter(user=patient).count() == 10


@FUZZ
@given(value=FIELD_TEXT, field=st.sampled_from(["code", "recovery_code"]))
def test_page_sign_in_verify_step_with_any_code(
    page_verified: tuple[Client, str], patient: User, value: str, field: str
) -> None:
    """The second step of sign-in, in a fresh session that still owes a code."""
    fresh_throttle()
    client = Client()
    assert (
        client.post("/portal/signin", {"email": patient.email, "password": PASSWORD}).status_code
        == 302
    )
    query = "?method=recovery" if field == "recovery_code" else ""
    response = client.post("/portal/signin/verify" + query, {field: value})
    assert response.status_code < 500
    event(f"status {response.status_code}")
    assert response.status_code in {302, 400, 429}, response.status_code
    if response.status_code != 302:
        assert_page_with_errors(response, "Enter ")
