"""`carekey resetmfa EMAIL --reason "..."`: the support desk's answer to a lost phone."""

from __future__ import annotations

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

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalize_email(options["email"])
        patient = User.objects.filter(email=email).first()
        if patient is None:
            raise CommandError(f"No patient has the email {email}.")
        try:
            removed = reset_mfa(patient, options["reason"])
        except MfaError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Reset two-step verification for {email}: {removed} factor(s) removed, "
            "every session signed out, notification sent."
        )
