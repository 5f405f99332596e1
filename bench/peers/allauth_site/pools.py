"""allauth.mfa's bench users and pools.

A code is checked in the second stage of allauth's login. The sessions of the verify pools
hold what allauth's own password-login flow leaves (record_authentication, then
perform_login, which stops at the MFA stage and stashes the login in the session): the
flow runs in-process for the first user of a pool, without a password hash, and the other
users' sessions are that session with the user swapped (the flow costs tens of ms per
session, too slow for pools of thousands). Each session and authenticator is used once.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from allauth.account.internal.flows.login import (
    AUTHENTICATION_METHODS_SESSION_KEY,
    perform_password_login,
)
from allauth.account.internal.stagekit import LOGIN_SESSION_KEY
from allauth.account.models import Login
from allauth.account.utils import user_pk_to_url_str
from allauth.core import context
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import encrypt
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from peers.common.people import Pool, make_users, signed_in, store_sessions, wrong_code

FLOOR_URL = "/floor"
LIST_URL = "/_allauth/browser/v1/account/authenticators"
AUTHENTICATE_URL = "/_allauth/browser/v1/auth/2fa/authenticate"
METHODS_USER_KEY = "account_authentication_methods_user"


def code_at(secret: str) -> Callable[[int], str]:
    return lambda step: format_hotp_value(hotp_value(secret, step))


def add_authenticators(users: list[User]) -> list[str]:
    """A TOTP authenticator and recovery codes each, as activating TOTP leaves them;
    returns the TOTP secrets in the same order."""
    secrets = [generate_totp_secret() for _ in users]
    Authenticator.objects.bulk_create(
        [
            Authenticator(user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(s)})
            for user, s in zip(users, secrets, strict=True)
        ]
        + [
            Authenticator(
                user=user,
                type=Authenticator.Type.RECOVERY_CODES,
                data={"seed": encrypt(RecoveryCodes.generate_seed()), "used_mask": 0},
            )
            for user in users
        ],
        batch_size=1000,
    )
    return secrets


def seed(count: int) -> dict[str, Any]:
    add_authenticators(make_users("seed", count))
    return {"users": count}


def prepare_signed_in(out: Path, count: int) -> dict[str, Any]:
    """Signed in with the password and a TOTP code, as allauth's session records it."""
    users = make_users("page", count)
    add_authenticators(users)
    totp = dict(
        Authenticator.objects.filter(user__in=users, type=Authenticator.Type.TOTP).values_list(
            "user_id", "pk"
        )
    )
    now = time.time()
    keys = store_sessions(
        signed_in(
            user,
            **{
                AUTHENTICATION_METHODS_SESSION_KEY: [
                    {"method": "password", "at": now, "username": user.username},
                    {"method": "mfa", "at": now, "id": totp[user.pk], "type": "totp"},
                ],
                METHODS_USER_KEY: str(user.pk),
            },
        )
        for user in users
    )
    for name, url in {"floor": FLOOR_URL, "list": LIST_URL}.items():
        pool = Pool(out / f"{name}.tsv")
        for key in keys:
            pool.add("GET", url, key)
        pool.write()
    return {"users": count, "pools": ["floor", "list"]}


def awaiting_code(user: User) -> dict[str, Any]:
    """The data of a session that gave the password and waits at allauth's MFA stage."""
    request = RequestFactory().post("/_allauth/browser/v1/auth/login", REMOTE_ADDR="127.0.0.1")
    request.session = SessionStore()
    request.user = AnonymousUser()
    request.allauth = SimpleNamespace()  # type: ignore[attr-defined]  # AccountMiddleware's
    with context.request_context(request):
        perform_password_login(request, {"username": user.username}, Login(user=user))
    if request.user.is_authenticated:
        raise RuntimeError("allauth signed the user in without asking for a code")
    return dict(request.session.items())


def _for_user(data: dict[str, Any], template: User, user: User) -> dict[str, Any]:
    """The template user's waiting session, made the user's: the three places that name
    the user (checked first, so a change in allauth's session layout stops the run)."""
    login = data[LOGIN_SESSION_KEY]
    records = data[AUTHENTICATION_METHODS_SESSION_KEY]
    if (
        login["user_pk"] != user_pk_to_url_str(template)
        or data[METHODS_USER_KEY] != str(template.pk)
        or [r.get("username") for r in records] != [template.username]
    ):
        raise RuntimeError(f"allauth's waiting session changed its layout: {data}")
    return {
        **data,
        LOGIN_SESSION_KEY: {**login, "user_pk": user_pk_to_url_str(user)},
        AUTHENTICATION_METHODS_SESSION_KEY: [{**records[0], "username": user.username}],
        METHODS_USER_KEY: str(user.pk),
    }


def awaiting_sessions(users: list[User]) -> list[str]:
    """Sessions waiting at the MFA stage, one per user: allauth's flow for the first, the
    same data with the user swapped for the others; their keys."""
    template = users[0]
    data = awaiting_code(template)
    return store_sessions(_for_user(data, template, user) for user in users)


def prepare_verify(out: Path, count: int, right: bool) -> dict[str, Any]:
    users = make_users("right" if right else "wrong", count)
    secrets = add_authenticators(users)
    name = "verify_right" if right else "verify_wrong"
    pool = Pool(out / f"{name}.tsv")
    for key, secret in zip(awaiting_sessions(users), secrets, strict=True):
        codes = code_at(secret)
        body = '{"code":"{code}"}' if right else json.dumps({"code": wrong_code(codes)})
        pool.add("POST", AUTHENTICATE_URL, key, body, code_at=codes if right else None)
    pool.write()
    return {"users": count, "requests": count}


MAKERS = {
    "signed_in": prepare_signed_in,
    "verify_wrong": lambda out, count: prepare_verify(out, count, right=False),
    "verify_right": lambda out, count: prepare_verify(out, count, right=True),
}
