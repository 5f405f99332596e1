"""Hypothesis throws arbitrary input at every password field (issue 16), API and pages.

The three calls (`POST /session/password`, `POST /password/reset`,
`POST /password/reset/confirm`) get arbitrary text (NUL, lone surrogates, 100 000
characters), JSON of every type, and bodies that are not JSON; the three pages (change,
"Forgot your password?", the emailed link's) get arbitrary text and raw bytes. Never a
500; the API answers in its one error shape (CONTRACT §3); and nothing changes (the
password hash, its date, the links, the emails) unless the input was the right current
password or a live link with a new password that follows the rules of CONTRACT §7.

The rules are judged here independently of carekey/password/rules.py: Django's
validators (what `createpatient` applies), not empty, no NUL, at most 1024 characters,
different from the current one, and encodable (a lone surrogate is no password).

Each example starts from a clean throttle, an empty outbox and the original password; the
answer's padding is turned off (test_password_reset_timing is about it).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, quote_from_bytes

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import (
    HealthCheck,
    assume,
    currently_in_test_context,
    event,
    example,
    given,
    settings,
)
from hypothesis import strategies as st

from carekey.accounts.models import PasswordResetLink, ThrottleState, User
from tests.conftest import PASSWORD, ApiClient

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
EMAIL = "ana@example.org"
MAX_LENGTH = 1024  # CONTRACT §7 names no limit; the API documents 1024 (openapi.json)
LINK = re.compile(r"/portal/password/reset/([A-Za-z0-9_-]{20,})")
STRONG_EXAMPLE = "violet-harbor-lantern-42"

# --- strategies -------------------------------------------------------------------------

SURROGATES = st.characters(categories=["Cs"])
WITH_SURROGATES = st.lists(st.one_of(st.characters(), SURROGATES), min_size=1, max_size=30).map(
    "".join
)
STRONG = st.builds(
    lambda a, b, n: f"{a}-{b}-{n}",
    st.sampled_from(["violet", "harbor", "copper", "meadow", "quartz", "ember"]),
    st.sampled_from(["lantern", "falcon", "orchard", "glacier", "tundra"]),
    st.integers(0, 10_000),
)
TRICKY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        PASSWORD,
        PASSWORD + "\x00",
        "\x00" + PASSWORD,
        PASSWORD.upper(),
        " " + PASSWORD,
        PASSWORD + " ",
        PASSWORD + "\n",
        "password",
        "password123",
        "1234567890",
        "qwertyuiop",
        EMAIL,
        "ana@example.org1",
        "anapatient",
        "Ana Patient 1",
        "abcdefghi",  # nine characters
        "abcdefghij",  # ten, but a sequence
        "é" * 10,
        "\U0001f600" * 10,
        "\u202e" + STRONG_EXAMPLE,
        STRONG_EXAMPLE,
        STRONG_EXAMPLE + "\x00",
        "\ud800" * 10,
        STRONG_EXAMPLE + "\udfff",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "%s%s%s%n",
    ]
)
LONG = st.builds(
    lambda piece, size: (piece * size)[:size],
    st.text(min_size=1, max_size=8),
    st.sampled_from([9, 10, 1023, 1024, 1025, 4096, 100_000]),
)
PASSWORD_TEXT = st.one_of(st.text(max_size=200), TRICKY, STRONG, LONG, WITH_SURROGATES)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)
NOT_A_STRING = JSON_VALUES.filter(lambda v: not isinstance(v, str))
SPELLINGS = st.builds(
    lambda flips, before, after: (
        before + "".join(c.upper() if f else c for c, f in zip(EMAIL, flips, strict=False)) + after
    ),
    st.lists(st.booleans(), min_size=len(EMAIL), max_size=len(EMAIL)),
    st.sampled_from(["", " ", "\t", "\u2003", "\x00", "x"]),
    st.sampled_from(["", " ", "\n", "\x00", ".", "\ud800"]),
)
EMAIL_TEXT = st.one_of(
    st.text(max_size=300),
    st.emails().map(str),
    SPELLINGS,
    LONG,
    WITH_SURROGATES,
    st.sampled_from(["", " ", "@", "ana@", "@example.org", "ana@example.org" + "x" * 250]),
)
# Form posts are URL-encoded UTF-8: a lone surrogate cannot be sent (raw bytes can).
FORM_TEXT = PASSWORD_TEXT.filter(lambda s: not has_surrogate(s))

# --- oracles ----------------------------------------------------------------------------


def has_surrogate(text: str) -> bool:
    return any("\ud800" <= c <= "\udfff" for c in text)


def strong(new: str, user: User, current: str | None = None) -> bool:
    """CONTRACT §7's rules for a new password, judged without carekey/password/rules.py."""
    if not new or "\x00" in new or len(new) > MAX_LENGTH or has_surrogate(new):
        return False
    if current is not None and new == current:
        return False
    try:
        validate_password(new, user=user)
    except ValidationError:
        return False
    return True


def same_person(email: str) -> bool:
    """Emails compare ignoring case and surrounding spaces (CONTRACT §2: one account)."""
    return not has_surrogate(email) and email.strip().lower() == EMAIL


def state(user: User) -> tuple[str, Any, int]:
    user.refresh_from_db()
    return user.password, user.password_changed_at, len(mail.outbox)


def api_answer(response: Any, allowed: dict[int, set[str] | None]) -> str | None:
    """Status in `allowed`, and the one error shape; returns the error code, if any."""
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
    if currently_in_test_context():
        event(f"error {code}")
    return str(code)


def page_answer(response: Any, allowed: set[int]) -> int:
    status = int(response.status_code)
    assert status < 500, response.content[:500]
    event(f"status {status}")
    assert status in allowed, (status, response.content[:500])
    if status == 400:
        assert 'id="error-summary"' in response.content.decode() or (
            "This link has expired" in response.content.decode()
        )
    return status


# --- fixtures and helpers ---------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_padding(settings: Any) -> None:
    settings.CAREKEY_PASSWORD_RESET_ANSWER_SECONDS = 0


@pytest.fixture
def original_hash(patient: User) -> str:
    """The patient's hash as the test began (once per test, not per example)."""
    return patient.password


def fresh(user: User, original: str) -> None:
    """Each example starts afresh: no throttle, no mail, no link, the original password.

    The original hash is put back as it was (hashing it again would cost an Argon2 run).
    """
    ThrottleState.objects.all().delete()
    PasswordResetLink.objects.all().delete()
    mail.outbox.clear()
    User.objects.filter(pk=user.pk).update(password=original, password_changed_at=None)
    user.refresh_from_db()


def signed_in_api(user: User) -> ApiClient:
    api = ApiClient()
    api.sign_in(user.email)
    return api


def signed_in_page(user: User) -> Client:
    client = Client()
    response = client.post("/portal/signin", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def emailed_token(user: User) -> str:
    """A live link for the patient, asked for the way a patient would."""
    assert ApiClient().post("/password/reset", {"email": user.email}).status_code == 202
    found = LINK.search(str(mail.outbox[-1].body))
    assert found is not None
    mail.outbox.clear()
    return found.group(1)


# How the token sent differs from the emailed one; drawn without the token, so an
# @example can name the live one.
TOKEN_VARIANTS = st.one_of(
    st.just("live"),
    st.sampled_from(["+A", "upper", "lower", "space+", "+NUL", "x3", "reversed", "rotated"]),
    st.integers(0, 42).map(lambda k: f"cut:{k}"),
    st.text(max_size=120).map(lambda t: "text:" + t),
    WITH_SURROGATES.map(lambda t: "text:" + t),
)


def apply_variant(token: str, variant: str) -> str:
    if variant.startswith("text:"):
        return variant[len("text:") :]
    if variant.startswith("cut:"):
        return token[: int(variant[len("cut:") :])]
    return {
        "live": token,
        "+A": token + "A",
        "upper": token.upper(),
        "lower": token.lower(),
        "space+": " " + token,
        "+NUL": token + "\x00",
        "x3": token * 3,
        "reversed": token[::-1],
        "rotated": token[1:] + token[0],
    }[variant]


# --- POST /session/password ------------------------------------------------------------


@FUZZ
@given(current=st.one_of(st.just(PASSWORD), PASSWORD_TEXT), new=st.one_of(STRONG, PASSWORD_TEXT))
@example(current=PASSWORD, new=STRONG_EXAMPLE)
@example(current=PASSWORD, new=PASSWORD)
@example(current=PASSWORD.upper(), new=STRONG_EXAMPLE)
@example(current=PASSWORD + "\x00", new=STRONG_EXAMPLE)
@example(current=PASSWORD, new=STRONG_EXAMPLE + "\ud800")
@example(current="x" * 1025, new=STRONG_EXAMPLE)
def test_api_change_password(patient: User, original_hash: str, current: str, new: str) -> None:
    fresh(patient, original_hash)
    api = signed_in_api(patient)
    before = state(patient)
    response = api.post("/session/password", {"current_password": current, "new_password": new})
    error = api_answer(
        response,
        {
            204: None,
            401: {"invalid_credentials"},
            422: {"weak_password", "validation_error"},
        },
    )
    right, good = current == PASSWORD, strong(new, patient, current)
    if response.status_code == 204:
        assert right and good, (current, new)
        patient.refresh_from_db()
        assert patient.check_password(new) and not patient.check_password(PASSWORD)
        assert [m.subject for m in mail.outbox] == ["Your password was changed"]
        return
    assert state(patient) == before, "a refused change changed something"
    assert not (right and good), f"{new!r} follows the rules but was refused: {error}"
    if error == "invalid_credentials":
        assert not right, "the right current password was called wrong"
    if error == "weak_password":
        assert not good, f"{new!r} follows the rules but was called weak"
    if error == "validation_error":
        assert (
            not current
            or len(current) > MAX_LENGTH
            or len(new) > MAX_LENGTH
            or has_surrogate(current)
            or has_surrogate(new)
        ), (current[:50], new[:50])


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "current_password": st.one_of(NOT_A_STRING, st.just(PASSWORD)),
            "new_password": st.one_of(NOT_A_STRING, st.just(STRONG_EXAMPLE)),
            "extra": JSON_VALUES,
        },
    )
)
def test_api_change_password_with_odd_json(
    patient: User, original_hash: str, body: dict[str, Any]
) -> None:
    assume(body != {"current_password": PASSWORD, "new_password": STRONG_EXAMPLE})
    fresh(patient, original_hash)
    api = signed_in_api(patient)
    before = state(patient)
    response = api.post("/session/password", body)
    assert api_answer(response, {422: {"validation_error"}}) == "validation_error"
    assert state(patient) == before


# --- POST /password/reset -----------------------------------------------------------------


@FUZZ
@given(email=EMAIL_TEXT)
@example(email=" ANA@Example.org\n")
@example(email=EMAIL + "\x00")
def test_api_reset_request(patient: User, original_hash: str, email: str) -> None:
    fresh(patient, original_hash)
    before = state(patient)
    response = ApiClient().post("/password/reset", {"email": email})
    api_answer(response, {202: None, 422: {"validation_error"}})
    if response.status_code == 202:
        assert response.json() == {
            "message": "If an account exists for that email, we sent a link to it."
        }
    if same_person(email) and "\x00" not in email:
        assert response.status_code == 202
        assert [m.to for m in mail.outbox] == [[EMAIL]]
        assert PasswordResetLink.objects.filter(user=patient).count() == 1
    else:
        assert mail.outbox == [], f"{email!r} is not {EMAIL} but got a link"
        assert not PasswordResetLink.objects.exists()
    assert state(patient)[:2] == before[:2], "asking for a link changed the password"


@FUZZ
@given(
    body=st.one_of(
        st.fixed_dictionaries({"email": NOT_A_STRING}),
        st.fixed_dictionaries({"email": st.just(EMAIL), "extra": JSON_VALUES}),
        st.just({}),
        JSON_VALUES.filter(lambda v: not isinstance(v, dict)),
    )
)
def test_api_reset_request_with_odd_json(patient: User, original_hash: str, body: Any) -> None:
    fresh(patient, original_hash)
    response = ApiClient().post("/password/reset", body)
    assert api_answer(response, {422: {"validation_error"}}) == "validation_error"
    assert mail.outbox == [] and not PasswordResetLink.objects.exists()


# --- POST /password/reset/confirm ---------------------------------------------------------


@FUZZ
@given(variant=TOKEN_VARIANTS, new=st.one_of(STRONG, PASSWORD_TEXT))
@example(variant="live", new=STRONG_EXAMPLE)
@example(variant="live", new="1234567890")
@example(variant="live", new=STRONG_EXAMPLE + "\x00")
@example(variant="+NUL", new=STRONG_EXAMPLE)
def test_api_reset_confirm(patient: User, original_hash: str, variant: str, new: str) -> None:
    fresh(patient, original_hash)
    token = emailed_token(patient)
    sent = apply_variant(token, variant)
    before = state(patient)
    response = ApiClient().post("/password/reset/confirm", {"token": sent, "new_password": new})
    error = api_answer(
        response,
        {
            204: None,
            400: {"reset_link_invalid"},
            422: {"weak_password", "validation_error"},
        },
    )
    live, good = sent == token, strong(new, patient)
    if response.status_code == 204:
        assert live and good, (sent, new)
        patient.refresh_from_db()
        assert patient.check_password(new) and not patient.check_password(PASSWORD)
        assert not PasswordResetLink.objects.exists(), "the link works once"
        assert [m.subject for m in mail.outbox] == ["Your password was reset"]
        return
    assert state(patient) == before, "a refused reset changed something"
    assert not (live and good), f"{new!r} follows the rules but was refused: {error}"
    if error == "reset_link_invalid":
        assert not live, "a live link was called dead"
    if error == "weak_password":
        assert not good
    if live:
        assert PasswordResetLink.objects.filter(user=patient).count() == 1, "a refusal used it up"


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "token": st.one_of(NOT_A_STRING, st.just("TOKEN")),
            "new_password": st.one_of(NOT_A_STRING, st.just(STRONG_EXAMPLE)),
            "extra": JSON_VALUES,
        },
    )
)
def test_api_reset_confirm_with_odd_json(
    patient: User, original_hash: str, body: dict[str, Any]
) -> None:
    assume(body != {"token": "TOKEN", "new_password": STRONG_EXAMPLE})
    fresh(patient, original_hash)
    token = emailed_token(patient)
    if body.get("token") == "TOKEN":
        body = {**body, "token": token}
    before = state(patient)
    response = ApiClient().post("/password/reset/confirm", body)
    assert api_answer(response, {422: {"validation_error"}}) == "validation_error"
    assert state(patient) == before
    assert PasswordResetLink.objects.filter(user=patient).count() == 1


# --- bodies that are not JSON objects -----------------------------------------------------

PATHS = ["/session/password", "/password/reset", "/password/reset/confirm"]


@FUZZ
@given(
    raw=st.binary(max_size=500) | st.text(max_size=200).map(str.encode),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=latin-1",
            "application/json; charset=utf-16",
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=fuzz",
        ]
    ),
    path=st.sampled_from(PATHS),
    signed_in=st.booleans(),
)
def test_api_bodies_that_are_not_json_objects(
    patient: User, original_hash: str, raw: bytes, content_type: str, path: str, signed_in: bool
) -> None:
    fresh(patient, original_hash)
    api = signed_in_api(patient) if signed_in else ApiClient()
    before = state(patient)
    response = api.client.generic(
        "POST", f"/api/v1{path}", raw, content_type=content_type, headers={"X-CSRFToken": api.csrf}
    )
    api_answer(
        response,
        {400: {"bad_request"}, 401: {"not_authenticated"}, 422: {"validation_error"}},
    )
    if response.status_code == 401:
        assert path == "/session/password" and not signed_in
    assert state(patient) == before


@pytest.mark.parametrize("path", PATHS)
def test_an_oversized_body_is_refused_in_the_error_shape(patient: User, path: str) -> None:
    """Past DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) the API still answers in its own words."""
    api = signed_in_api(patient)
    huge = "x" * 3_000_000
    body = {
        "/session/password": {"current_password": PASSWORD, "new_password": huge},
        "/password/reset": {"email": huge},
        "/password/reset/confirm": {"token": huge, "new_password": huge},
    }[path]
    before = state(patient)
    response = api.post(path, body)
    api_answer(response, {400: None, 413: None, 422: {"validation_error"}})
    assert state(patient) == before


# --- the pages ----------------------------------------------------------------------------


@FUZZ
@given(
    current=st.one_of(st.just(PASSWORD), FORM_TEXT),
    new=st.one_of(STRONG, FORM_TEXT),
    confirm=st.one_of(st.just("SAME"), FORM_TEXT),
)
@example(current=PASSWORD, new=STRONG_EXAMPLE, confirm="SAME")
@example(current=PASSWORD, new=STRONG_EXAMPLE, confirm=STRONG_EXAMPLE + " ")
@example(current=PASSWORD + "\x00", new=STRONG_EXAMPLE, confirm="SAME")
def test_page_change_password(
    patient: User, original_hash: str, current: str, new: str, confirm: str
) -> None:
    fresh(patient, original_hash)
    client = signed_in_page(patient)
    confirm = new if confirm == "SAME" else confirm
    before = state(patient)
    response = client.post(
        "/portal/security/password",
        {"current_password": current, "new_password": new, "confirm_password": confirm},
    )
    status = page_answer(response, {302, 400})
    right, good = current == PASSWORD, strong(new, patient, current)
    expected = right and good and confirm == new and "\x00" not in current
    if status == 302:
        assert expected, (current, new, confirm)
        patient.refresh_from_db()
        assert patient.check_password(new)
    else:
        assert not expected, f"{new!r} follows the rules but the page refused it"
        assert state(patient) == before


@FUZZ
@given(email=EMAIL_TEXT.filter(lambda s: not has_surrogate(s)))
@example(email="\u2003ANA@EXAMPLE.ORG ")
def test_page_reset_request(patient: User, original_hash: str, email: str) -> None:
    fresh(patient, original_hash)
    before = state(patient)
    response = Client().post("/portal/password/reset", {"email": email})
    status = page_answer(response, {302, 400})
    if status == 302:
        assert response["Location"].endswith("/portal/password/reset/sent")
    if same_person(email) and "\x00" not in email:
        assert status == 302 and [m.to for m in mail.outbox] == [[EMAIL]]
    else:
        assert mail.outbox == [] and not PasswordResetLink.objects.exists()
    assert state(patient)[:2] == before[:2]


@FUZZ
@given(
    variant=TOKEN_VARIANTS.filter(lambda v: not has_surrogate(v)),
    new=st.one_of(STRONG, FORM_TEXT),
    confirm=st.one_of(st.just("SAME"), FORM_TEXT),
)
@example(variant="live", new=STRONG_EXAMPLE, confirm="SAME")
@example(variant="live", new=STRONG_EXAMPLE, confirm="violet-harbor-lantern-43")
@example(variant="cut:0", new=STRONG_EXAMPLE, confirm="SAME")
@example(variant="text:sent", new=STRONG_EXAMPLE, confirm="SAME")
def test_page_reset_link(
    patient: User, original_hash: str, variant: str, new: str, confirm: str
) -> None:
    fresh(patient, original_hash)
    token = emailed_token(patient)
    sent = apply_variant(token, variant)
    confirm = new if confirm == "SAME" else confirm
    before = state(patient)
    response = Client().post(
        f"/portal/password/reset/{quote(sent, safe='')}",
        {"new_password": new, "confirm_password": confirm},
    )
    allowed = {302, 400} | ({404} if not sent or "/" in sent else set())
    allowed |= {405} if sent == "sent" else set()  # /portal/password/reset/sent: GET only
    status = page_answer(response, allowed)
    expected = sent == token and strong(new, patient) and confirm == new
    if status == 302:
        assert expected, (sent, new, confirm)
        assert response["Location"].endswith("/portal/signin")
        patient.refresh_from_db()
        assert patient.check_password(new)
        assert not PasswordResetLink.objects.exists()
    else:
        assert not expected, f"{new!r} follows the rules but the link's page refused it"
        assert state(patient) == before
        if sent == token:
            assert PasswordResetLink.objects.filter(user=patient).count() == 1


PAGES = ["/portal/security/password", "/portal/password/reset", "/portal/password/reset/TOKEN"]


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["current_password", "new_password", "confirm_password", "email", "x", ""]),
        st.binary(max_size=200),
        max_size=4,
    ),
    page=st.sampled_from(PAGES),
)
def test_pages_take_any_bytes(
    patient: User, original_hash: str, fields: dict[str, bytes], page: str
) -> None:
    """Form bodies a test client's str cannot make: invalid UTF-8, surrogates' bytes, NUL."""
    fresh(patient, original_hash)
    client = signed_in_page(patient)
    url = page.replace("TOKEN", emailed_token(patient))
    before = state(patient)
    body = "&".join(f"{k}={quote_from_bytes(v)}" for k, v in fields.items())
    response = client.generic(
        "POST", url, body.encode(), content_type="application/x-www-form-urlencoded"
    )
    status = page_answer(response, {302, 400})
    decoded = {k: v.decode("utf-8", "replace") for k, v in fields.items()}
    new, again = decoded.get("new_password", ""), decoded.get("confirm_password")
    if page == "/portal/password/reset":  # any valid email may pass; only the patient's sends
        if same_person(decoded.get("email", "")):
            assert status == 302 and [m.to for m in mail.outbox] == [[EMAIL]]
        else:
            assert mail.outbox == []
        assert state(patient)[:2] == before[:2]
    elif status == 302:
        current = decoded.get("current_password") if "security" in page else None
        assert strong(new, patient, current) and new == again, decoded
        assert current is None or current == PASSWORD
        patient.refresh_from_db()
        assert patient.check_password(new)
    else:
        assert state(patient) == before
