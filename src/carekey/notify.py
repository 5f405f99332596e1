"""Notification emails for security changes, in text and HTML (Django's email framework).

Each says what happened, when, from which device, and what to do if it was not the
patient. None ever carries a secret or a code.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from carekey import clock, conf
from carekey.client import client_ip, user_agent
from carekey.client import describe_device as describe

logger = logging.getLogger("carekey.notify")

SUBJECTS = {
    "factor_added": _("An authenticator app was added to your account"),
    "factor_removed": _("An authenticator app was removed from your account"),
    "recovery_codes_generated": _("New recovery codes were created for your account"),
    "recovery_code_used": _("A recovery code was used to sign in to your account"),
    "mfa_reset": _("Two-step verification was reset on your account"),
    "codes_stopped": _("Codes from your authenticator app were turned off"),
    "password_changed": _("Your password was changed"),
    "password_reset": _("Your password was reset"),
    "password_reset_link": _("Reset your password"),
}


def send(
    kind: str,
    user: Any,
    request: HttpRequest | None = None,
    *,
    background: bool = True,
    **context: Any,
) -> None:
    """Send one notification; a mail server outage is logged, never shown to the patient.

    Rendered here (in the patient's language), delivered on a thread once the transaction
    commits: the mail server's latency never shows in the answer (a verify, a sign-in),
    and a change that is rolled back sends nothing. `background=False` sends it now.
    """
    if kind not in SUBJECTS:
        raise ValueError(f"unknown notification {kind!r}")
    values = {
        "kind": kind,
        "user": user,
        "when": clock.now(),
        "device": describe(user_agent(request)) if request is not None else "",
        "ip": client_ip(request) if request is not None else None,
        "issuer": conf.issuer(),
        **context,
    }
    text = render_to_string(f"emails/{kind}.txt", values)
    html = render_to_string(f"emails/{kind}.html", values)
    message = EmailMultiAlternatives(str(SUBJECTS[kind]), text, to=[user.email])
    message.attach_alternative(html, "text/html")
    if background and conf.send_mail_in_background():
        transaction.on_commit(lambda: _deliver_on_thread(message, kind))
    else:
        _deliver(message, kind)


def _deliver(message: EmailMultiAlternatives, kind: str) -> None:
    try:
        message.send()
    except OSError:
        logger.exception("could not send the %s notification", kind)


def _deliver_on_thread(message: EmailMultiAlternatives, kind: str) -> None:
    threading.Thread(target=_deliver, args=(message, kind), daemon=True).start()
