"""carekey createclient NAME --redirect-uri URI [...]: register a relying party."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from carekey.oidc import clients


class Command(BaseCommand):
    help = "Register an OpenID Connect client; prints {client_id, client_secret} as JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument("--redirect-uri", action="append", default=[], dest="redirect_uris")
        parser.add_argument(
            "--post-logout-redirect-uri", action="append", default=[], dest="logout_uris"
        )
        parser.add_argument("--public", action="store_true", help="no secret (mobile, SPA)")
        parser.add_argument("--skip-consent", action="store_true", help="in-house apps")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            registered = clients.register(
                options["name"],
                options["redirect_uris"],
                options["logout_uris"],
                public=options["public"],
                skip_consent=options["skip_consent"],
            )
        except clients.InvalidClient as exc:
            raise CommandError(exc.message) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        body = {"client_id": registered.client_id, "client_secret": registered.client_secret}
        self.stdout.write(json.dumps(body))
