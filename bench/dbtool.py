"""The Django side of the benchmark: seed, prepare pools, count queries, EXPLAIN, time hashes.

Run by bench/run.py as `python bench/dbtool.py COMMAND ...` with DATABASE_URL,
CAREKEY_DATA_DIR and DJANGO_SETTINGS_MODULE (bench_settings) set to the bench server's
values, so the rows it writes are read by the server with the same keys. Every command
prints one JSON document on stdout. The work is in seeding, patients, pools, queries and
timings (bench/), imported here once Django is set up.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
os.environ.setdefault("CAREKEY_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

import django

django.setup()

from bench_urls import FLOOR_PATH  # noqa: E402
from patients import cleanup  # noqa: E402
from pools import prepare  # noqa: E402
from queries import query_report  # noqa: E402
from seeding import seed, seeded, table_counts  # noqa: E402
from timings import argon2_cost, micro  # noqa: E402


def emit(value: object) -> None:
    json.dump(value, sys.stdout, default=str)
    sys.stdout.write("\n")


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(description=__doc__)
    sub = found.add_subparsers(dest="command", required=True)
    p = sub.add_parser("seed")
    p.add_argument("--patients", type=int, required=True)
    p.add_argument("--factors", type=int, required=True)
    p.add_argument("--events", type=int, required=True)
    sub.add_parser("seeded")
    sub.add_parser("counts")
    sub.add_parser("cleanup")
    p = sub.add_parser("prepare")
    p.add_argument("wanted", nargs="+", help="scenario=count, e.g. enroll=40")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--floor-path", default=FLOOR_PATH)
    p = sub.add_parser("argon2")
    p.add_argument("--repeat", type=int, default=9)
    p = sub.add_parser("queries")
    p.add_argument("--floor-path", default=FLOOR_PATH)
    p = sub.add_parser("micro")
    p.add_argument("--repeat", type=int, default=40)
    return found


def answer(args: argparse.Namespace) -> Any:
    if args.command == "seed":
        return seed(args.patients, args.factors, args.events)
    if args.command == "seeded":
        return seeded()
    if args.command == "counts":
        return table_counts()
    if args.command == "cleanup":
        return cleanup()
    if args.command == "prepare":
        return prepare(args.wanted, args.out, args.floor_path)
    if args.command == "argon2":
        return argon2_cost(args.repeat)
    if args.command == "queries":
        return query_report(args.floor_path)
    return micro(args.repeat)


def main() -> None:
    emit(answer(parser().parse_args()))


if __name__ == "__main__":
    main()
