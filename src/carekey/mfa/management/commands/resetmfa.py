"""`carekey resetmfa EMAIL --reason "..."`: the support desk's answer to a lost phone."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carekey.accounts.models import User, normalize_email
from carekey.mfa.errors import MfaError
from carekey.mfa.services import reset_mfa


class Command(BaseCommand):
    help = "Remove a patient's factors and recovery codes and sign out all their sessions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--reason", required=True, help="why; recorded in the audit trail")
        parser.add_argument(
            "--staff",
            metavar="EMAIL",
            help="the staff member doing the reset; recorded in the audit trail "
            "(without it, the event names the command line and the operating-system user)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalize_email(options["email"])
        patient = User.objects.filter(email=email).first()
        if patient is None:
            raise CommandError(f"No patient has the email {email}.")
        staff = None
        if options["staff"]:
            staff_email = normalize_email(options["staff"])
            staff = User.objects.filter(email=staff_email, is_staff=True, is_active=True).first()
            if staff is None:
                raise CommandError(f"No active staff member has the email {staff_email}.")
        try:
            removed = reset_mfa(patient, options["reason"], staff=staff, operator=_operator())
        except MfaError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Reset two-step verification for {email}: {removed} factor(s) removed, "
            "every session signed out, notification sent."
        )


def _operator() -> str:
    """Who ran the command without --staff: the best the audit trail can say."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        user = f"uid {os.getuid()}"
    return f"carekey resetmfa (command line, operating-system user {user})"
