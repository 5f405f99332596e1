"""`python -m django peer seed|prepare ...` in a peer project: its bench users and pools.

Each site's `peers.<site>.pools` module has `seed(count)` (the resting population, like
CareKey's 1 000 seeded patients) and `MAKERS` (scenario name -> pool maker). Prints one
JSON document on its last line, as bench/dbtool.py does.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction


def site_pools() -> Any:
    """The pools module of the project DJANGO_SETTINGS_MODULE names."""
    package = os.environ["DJANGO_SETTINGS_MODULE"].rsplit(".", 1)[0]
    return importlib.import_module(f"{package}.pools")


class Command(BaseCommand):
    help = "Seed a peer's bench users, or make the pools bench/pool.lua sends."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed")
        seed.add_argument("--users", type=int, required=True)
        prepare = sub.add_parser("prepare")
        prepare.add_argument("wanted", nargs="+", help="scenario=count, e.g. verify_right=400")
        prepare.add_argument("--out", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        pools = site_pools()
        if options["action"] == "seed":
            started = time.perf_counter()
            with transaction.atomic():
                done = pools.seed(options["users"])
            result: dict[str, Any] = {**done, "seconds": time.perf_counter() - started}
        else:
            result = {}
            for item in options["wanted"]:
                scenario, _, count = item.partition("=")
                started = time.perf_counter()
                with transaction.atomic():
                    made = pools.MAKERS[scenario](options["out"] / scenario, int(count))
                result[scenario] = {**made, "seconds": time.perf_counter() - started}
        self.stdout.write(json.dumps(result, default=str))
