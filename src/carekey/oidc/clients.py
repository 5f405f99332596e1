"""Registering a relying party (a portal, a mobile app): the one place clients are made."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import Application

from carekey.errors import CareKeyError


class InvalidClient(CareKeyError):
    code = "validation_error"
    status = 422


@dataclass(frozen=True)
class Registered:
    client_id: str
    client_secret: str | None  # shown once; only its hash is stored


def _check_uri(uri: str) -> str:
    """An absolute http(s) URI without a fragment: matched exactly, character for character."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment:
        raise InvalidClient(f"{uri!r} is not an absolute http(s) URI without a fragment.")
    return uri


def register(
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str] | None = None,
    *,
    public: bool = False,
    skip_consent: bool = False,
) -> Registered:
    if not name.strip():
        raise InvalidClient("Give the client a name.")
    if not redirect_uris:
        raise InvalidClient("Give at least one --redirect-uri.")
    secret = None if public else generate_client_secret()
    client = Application(
        name=name.strip(),
        client_type=Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(_check_uri(u) for u in redirect_uris),
        post_logout_redirect_uris=" ".join(_check_uri(u) for u in post_logout_redirect_uris or []),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=skip_consent,
        client_secret=secret or "",
        hash_client_secret=True,
    )
    client.full_clean(exclude=["user", "client_secret"])
    client.save()
    return Registered(client.client_id, secret)
