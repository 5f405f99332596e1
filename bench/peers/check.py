"""Check that every peer answers its pools as the benchmark expects, in seconds.

    .venv/bin/python bench/peers/check.py          # all peers (makes their venv if needed)

For each peer project it runs itself in the peers' virtualenv on a throw-away SQLite
database: migrate, Django's system checks, the seed, a few lines of every pool (made by
the same makers as the benchmark's), each sent through Django's test client with CSRF
checks on, the "{code}" of a line replaced as bench/pool.lua does; every answer must be
the status bench/calls.py expects (200 for the floor, the list and a right code; the
peer's refusal for a wrong one). `make bench` runs it before measuring. It is not part of
pytest: it needs the peers' virtualenv, which CareKey's test environment never has.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))

from calls import BARE, PEERS, Call, Peer  # noqa: E402

LINES_PER_POOL = 3


def _send(fields: list[str], call: Call) -> int:
    """One pool line through a fresh test client, as wrk sends it."""
    from django.test import Client

    method, url, cookie, csrf, body, step0, codes = (fields + [""] * 7)[:7]
    if "{code}" in body:
        step = int(time.time()) // 30
        body = body.replace("{code}", codes.split(",")[step - int(step0)])
    client = Client(enforce_csrf_checks=True)
    for part in cookie.split("; "):
        name, _, value = part.partition("=")
        client.cookies[name] = value
    kind = "application/json" if body.startswith("{") else "application/x-www-form-urlencoded"
    response = client.generic(method, url, body, content_type=kind, HTTP_X_CSRFTOKEN=csrf)
    return response.status_code


def check_site(peer: Peer) -> list[str]:
    """Inside the peers' virtualenv: the peer's pools answered as expected, or what not."""
    import django
    from django.core.management import call_command

    where = Path(tempfile.mkdtemp(prefix=f"peer-{peer.name}-"))
    os.environ["PEER_DATABASE"] = f"sqlite:///{where / 'peer.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = f"peers.{peer.site}.settings"
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("check", fail_level="WARNING")
    pools = importlib.import_module(f"peers.{peer.site}.pools")
    pools.seed(5)
    for scenario in {call.scenario for call in peer.calls}:
        pools.MAKERS[scenario](where / scenario, LINES_PER_POOL)
    wrong = []
    for call in peer.calls:
        lines = (where / call.scenario / f"{call.name}.tsv").read_text().splitlines()
        for line in lines:
            status = _send(line.split("\t"), call)
            if status != call.expect:
                wrong.append(f"{peer.name} {call.name}: {status}, expected {call.expect}")
    return wrong


def check_all() -> int:
    """From CareKey's environment: each peer checked in a process of its own."""
    from peer_env import PEER_PYTHON, ensure_venv

    ensure_venv()
    failed = 0
    for peer in [BARE, *PEERS]:
        env = {**os.environ, "PYTHONPATH": str(BENCH)}
        env.pop("DJANGO_SETTINGS_MODULE", None)
        done = subprocess.run(  # noqa: S603 - the peers' interpreter and this file
            [PEER_PYTHON, __file__, peer.name], env=env, capture_output=True, text=True
        )
        print(done.stdout.strip() or f"{peer.name}: no answer", flush=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if not argv:
        return check_all()
    peer = next(p for p in [BARE, *PEERS] if p.name == argv[0])
    wrong = check_site(peer)
    checked = sum(LINES_PER_POOL for _ in peer.calls)
    print(f"{peer.name}: {checked - len(wrong)} of {checked} answers as expected")
    for item in wrong:
        print(f"  {item}")
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
