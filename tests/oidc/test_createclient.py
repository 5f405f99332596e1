"""carekey createclient (CONTRACT §8): one JSON line, the secret shown once and stored
hashed, exact redirect URIs, and a clear refusal of bad ones."""

from __future__ import annotations

import io
import json

import pytest
from django.contrib.auth.hashers import check_password, identify_hasher, make_password
from django.core.management import CommandError, call_command
from oauth2_provider.models import Application

pytestmark = pytest.mark.django_db


def create(*args: str) -> dict[str, str | None]:
    out = io.StringIO()
    call_command("createclient", *args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return dict(json.loads(lines[0]))


def test_a_confidential_client_gets_a_secret_stored_only_as_a_hash() -> None:
    printed = create(
        "Clinic portal",
        "--redirect-uri", "https://portal.example.org/callback",
        "--post-logout-redirect-uri", "https://portal.example.org/",
    )  # fmt: skip
    client = Application.objects.get(client_id=printed["client_id"])
    assert printed["client_secret"] and client.client_secret != printed["client_secret"]
    assert client.redirect_uris == "https://portal.example.org/callback"
    assert client.post_logout_redirect_uris == "https://portal.example.org/"
    assert client.algorithm == "RS256" and client.skip_authorization is False


def test_a_public_client_has_no_secret_and_may_skip_consent() -> None:
    printed = create(
        "Mobile app", "--redirect-uri", "http://localhost:7000/cb", "--public", "--skip-consent"
    )
    client = Application.objects.get(client_id=printed["client_id"])
    assert printed["client_secret"] is None
    assert client.client_type == Application.CLIENT_PUBLIC and client.skip_authorization


@pytest.mark.parametrize(
    "args",
    [
        ["No URI"],
        ["Fragment", "--redirect-uri", "https://portal.example.org/cb#x"],
        ["Relative", "--redirect-uri", "/callback"],
        ["Scheme", "--redirect-uri", "ftp://portal.example.org/cb"],
        ["", "--redirect-uri", "https://portal.example.org/cb"],
    ],
)
def test_bad_clients_are_refused_with_a_sentence(args: list[str]) -> None:
    with pytest.raises(CommandError) as refused:
        create(*args)
    assert str(refused.value)
    assert Application.objects.count() == 0


def test_createpatient_takes_a_fhir_user_url() -> None:
    from carekey.accounts.models import User

    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO("Correct-horse-battery-9\n"))
        call_command(
            "createpatient", "fhir@example.org", "--fhir-user", "https://fhir.example.org/Patient/9",
            "--password-stdin", stdout=out,
        )  # fmt: skip
    assert User.objects.get(email="fhir@example.org").fhir_user.endswith("/Patient/9")
    with (
        pytest.raises(CommandError, match="absolute http"),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr("sys.stdin", io.StringIO("Correct-horse-battery-9\n"))
        call_command(
            "createpatient", "bad@example.org", "--fhir-user", "Patient/9", "--password-stdin"
        )


def test_a_client_secret_is_hashed_cheaply_and_an_old_argon2_hash_still_verifies() -> None:
    """Issue 18: the secret is 128 random characters, so it is hashed with PBKDF2 at a
    thousand rounds (well under a millisecond), not at a password's Argon2 cost (about
    27 ms of every token exchange); patients' passwords keep Argon2, and a secret hashed
    before the change still verifies."""
    printed = create("Fast portal", "--redirect-uri", "https://portal.example.org/cb")
    stored = Application.objects.get(client_id=printed["client_id"]).client_secret
    assert stored.startswith("carekey_client_secret$1000$"), stored
    secret = printed["client_secret"]
    assert secret and check_password(secret, stored)
    assert not check_password(secret + "x", stored)
    assert identify_hasher(make_password("a patient's password")).algorithm == "argon2"
    old = make_password("an older client's secret")  # the default hasher, as before
    assert check_password("an older client's secret", old)
