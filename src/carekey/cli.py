"""The `carekey` console script: a thin face over Django's management commands.

`carekey serve`, `carekey createpatient` and the rest are management commands of the
accounts app, so `python -m django` and `carekey` reach the same code.
"""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carekey.settings")
    args = list(sys.argv if argv is None else ["carekey", *argv])
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(args)
    except ImproperlyConfigured as exc:
        print(f"carekey: {exc}", file=sys.stderr)
        return 2
    return 0
