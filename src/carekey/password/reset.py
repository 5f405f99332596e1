""" "Forgot your password?" (CONTRACT §7): an emailed link that works once, for 30 minutes,
and only while it is the newest and the password has not changed since it was sent.

Nothing here tells whether an email has an account: the answer is the same sentence, and
takes at least CAREKEY_PASSWORD_RESET_ANSWER_SECONDS, whoever asks; the email itself is
delivered on a thread after commit. A reset never signs anyone in and never skips the
second step: it sets the password and ends every session.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime

from django.contrib.auth import logout
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy

from carekey import clock, conf, notify, refusal_log
from carekey.accounts import app_tokens, sessions, throttle
from carekey.accounts.models import PasswordResetLink, User, normalize_email
from carekey.accounts.refusals import audit_refusal
from carekey.audit.record import record
from carekey.client import client_ip
from carekey.errors import CareKeyError
from carekey.password.change import store_new_password
from carekey.password.rules import check_new_password

TOKEN_BYTES = 32  # 256 bits, 43 characters of base64url
TOKEN_MAX_LENGTH = 100
LINK_ROUTE = "password-reset-link"


class LinkNotValid(CareKeyError):
    """Tampered, expired, used, superseded, or its patient is gone: all look the same."""

    code = "reset_link_invalid"
    status = 400
    default = gettext_lazy(
        "This link has expired or was already used. Ask for a new one: each link works "
        "once, for a short time, and only the newest one works."
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def link_url(token: str) -> str:
    return conf.public_url() + reverse(LINK_ROUTE, args=[token])


def request_link(request: HttpRequest, email: str) -> None:
    """Send a link when `email` is an active account; always the same answer and time.

    Only the per-address limit is visible (a 429), and it is the same for every email.
    """
    started = time.perf_counter()
    _reserve_address(request)
    user = User.objects.filter(email=normalize_email(email)[:254], is_active=True).first()
    if user is not None:
        send_link(user, request)
    _wait_until(started + conf.password_reset_answer_seconds())


def _reserve_address(request: HttpRequest) -> throttle.Attempt:
    """One slot of this address's hourly reset budget, or Throttled (audited once a wait)."""
    key = throttle.key_for_reset_ip(client_ip(request))
    try:
        return throttle.reserve(key, throttle.RESET_REQUESTS_PER_IP)
    except throttle.Throttled as refused:
        audit_refusal(refused, "password.reset_requested", user=None, request=request)
        raise


def _wait_until(deadline: float) -> None:
    """Pad the answer: the known-email path's database writes and rendering hide in it."""
    remaining = deadline - time.perf_counter()
    if remaining > 0:
        time.sleep(remaining)


def send_link(user: User, request: HttpRequest | None, *, by_staff: User | None = None) -> bool:
    """A new link for `user`, unless three went out this hour; older links stop working.

    Returns False (and sends nothing) over the limit: the patient sees nothing of it,
    staff are told.
    """
    try:
        throttle.reserve(throttle.key_for_reset_links(user.pk), throttle.RESET_LINKS)
    except throttle.Throttled as refused:
        audit_refusal(
            refused, "password.reset_requested", user=user, request=request, reason="throttled"
        )
        return False
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        PasswordResetLink.objects.filter(user=user).delete()  # a newer link kills the older
        PasswordResetLink.objects.create(user=user, digest=_digest(token))
        if by_staff is None:
            record("password.reset_requested", user=user, request=request)
        else:
            record(
                "staff.password_reset_link",
                user=user,
                request=request,
                staff_email=by_staff.email,
                staff_id=by_staff.pk,
            )
        notify.send(
            "password_reset_link",
            user,
            request,
            link=link_url(token),
            minutes=int(conf.password_reset_lifetime().total_seconds() // 60),
        )
    return True


def _live_links(now: datetime) -> QuerySet[PasswordResetLink]:
    newer = PasswordResetLink.objects.filter(
        user=OuterRef("user"), created_at__gt=OuterRef("created_at")
    )
    return (
        PasswordResetLink.objects.select_related("user")
        .filter(created_at__gt=now - conf.password_reset_lifetime(), user__is_active=True)
        .exclude(Exists(newer))
    )


def patient_for_link(token: str) -> User:
    """Whose password the link resets, while it works; LinkNotValid otherwise."""
    link = None
    if token and len(token) <= TOKEN_MAX_LENGTH:
        link = _live_links(clock.now()).filter(digest=_digest(token)).first()
    changed = link.user.password_changed_at if link is not None else None
    if link is None or (changed is not None and changed >= link.created_at):
        raise LinkNotValid()
    user: User = link.user
    return user


def reset_with_link(request: HttpRequest, token: str, new: str) -> User:
    """Set the new password through a working link; the link dies in the same transaction.

    Two submissions of one link race to DELETE its row: one wins, the other is refused.
    Afterwards every session of the patient has ended and so has every app token. A dead
    link counts against the address's reset budget; a working one gives its slot back.
    """
    attempt = _reserve_address(request)
    try:
        user = patient_for_link(token)
    except LinkNotValid:
        refusal_log.note(request, refusal_log.DEAD_RESET_LINK)
        raise
    attempt.succeeded()
    check_new_password(new, user)
    with transaction.atomic():
        claimed, _rows = PasswordResetLink.objects.filter(digest=_digest(token)).delete()
        if not claimed:
            raise LinkNotValid()
        store_new_password(user, new)
        if request.user.is_authenticated:
            logout(request)  # whoever this browser was signed in as: a reset signs out
        ended = sessions.revoke_all(user)
        throttle.forget(throttle.key_for_password(user.pk))  # the owner is back in
        record("password.reset", user=user, request=request, sessions_ended=ended)
        app_tokens.revoke_all_recorded(request, user)
    notify.send("password_reset", user, request)
    return user


def purge_expired_links(now: datetime | None = None) -> int:
    """`carekey purge`: links past their lifetime are only rows now."""
    cutoff = (now or clock.now()) - conf.password_reset_lifetime()
    deleted, _rows = PasswordResetLink.objects.filter(created_at__lte=cutoff).delete()
    return deleted
