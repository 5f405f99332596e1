"""`carekey createpatient EMAIL [--name] [--fhir-user URL] --password-stdin`."""

from __future__ import annotations

import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction

from carekey.accounts.models import User, normalize_email


class Command(BaseCommand):
    help = "Create a patient; the password is read from standard input, never from argv."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="")
        parser.add_argument("--fhir-user", default="", help="the patient's FHIR resource URL")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            required=True,
            help="read the password from standard input (required: argv is visible to ps)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        email = normalize_email(options["email"])
        name = str(options["name"]).strip()
        try:
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(f"{email!r} is not a valid email address.") from exc
        fhir_user = str(options["fhir_user"]).strip()
        if fhir_user:
            try:
                URLValidator(schemes=["https", "http"])(fhir_user)
            except ValidationError as exc:
                raise CommandError(f"{fhir_user!r} is not an absolute http(s) URL.") from exc
        password = sys.stdin.readline().rstrip("\r\n")
        if User.objects.filter(email=email).exists():
            raise CommandError(f"A user with the email {email} already exists.")
        try:
            validate_password(password, user=User(email=email, name=name))
        except ValidationError as exc:
            raise CommandError("Weak password: " + " ".join(exc.messages)) from exc
        try:
            with transaction.atomic():
                user = User.objects.create_user(email, password, name=name, fhir_user=fhir_user)
        except IntegrityError as exc:
            raise CommandError(f"A user with the email {email} already exists.") from exc
        self.stdout.write(str(user.pk))
