"""`carekey serve [--bind HOST:PORT] [--workers N]`: migrate, then gunicorn.

On an empty development database it creates one demo patient and prints its credentials
once, so `make run` is all a new developer needs.
"""

from __future__ import annotations

import os
import secrets
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carekey.accounts.models import User

DEMO_EMAIL = "demo.patient@example.org"


class Command(BaseCommand):
    help = "Apply migrations and serve CareKey with gunicorn (static files included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("CAREKEY_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--timeout", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        call_command("migrate", interactive=False, verbosity=0)
        self.ensure_demo_patient()
        bind = options["bind"]
        # The public address, not the bind address: passkeys work only under the host
        # name of CAREKEY_PUBLIC_URL (an IP address is never a WebAuthn RP ID).
        self.stdout.write(
            f"CareKey ({settings.ENV}) listening on {bind}; "
            f"open {settings.CAREKEY_PUBLIC_URL}/portal/"
        )
        self.stdout.write(
            f"OpenID Connect issuer {settings.CAREKEY_PUBLIC_URL}"
            " (discovery at /.well-known/openid-configuration; set CAREKEY_PUBLIC_URL)"
        )
        self.stdout.flush()
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "carekey.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(options["workers"]),
            "--timeout",
            str(options["timeout"]),
            "--access-logfile",
            "-",
            # Never map SCRIPT_NAME or PATH_INFO from request headers, whoever the peer is.
            "--forwarder-headers=",
        ]
        os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn

    def ensure_demo_patient(self) -> None:
        """On an empty development database only: a patient to sign in with."""
        if settings.PRODUCTION or User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_user(DEMO_EMAIL, password, name="Demo Patient")
        self.stdout.write(
            "Created a demo patient (shown once):\n"
            f"  email:    {DEMO_EMAIL}\n"
            f"  password: {password}\n"
        )
