"""The peers' side of the harness: their virtualenv, databases, seed and servers.

The virtualenv (.cache/peers-venv) is made with `python -m venv` and the pinned
bench/peers/requirements.txt, and remade when that file changes; CareKey's own
environment never sees django-otp or django-allauth. Each peer gets a fresh PostgreSQL
database per run (migrated and seeded in seconds) and a gunicorn like `carekey serve`'s:
the same workers, timeout and access log.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from calls import BENCH, PG, ROOT, WORK, WORKERS, Peer, Subject, database_name
from commands import log, psql, run
from cpu import children

sys.path.append(str(ROOT))  # reliability/ sits at the repository root
from reliability.serve import Served, ServeError, port_open, wait_ready

VENV = ROOT / ".cache" / "peers-venv"
PEER_PYTHON = str(VENV / "bin" / "python")
REQUIREMENTS = BENCH / "peers" / "requirements.txt"
STAMP = VENV / ".requirements-sha256"
SEED_USERS = 1000  # like CareKey's 1 000 seeded patients


def ensure_venv() -> None:
    """Make (or remake) the peers' virtualenv when the pinned requirements changed."""
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    log(f"peers: making {VENV.relative_to(ROOT)} from {REQUIREMENTS.relative_to(ROOT)}")
    run([sys.executable, "-m", "venv", "--clear", str(VENV)])
    run([PEER_PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([PEER_PYTHON, "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)])
    STAMP.write_text(wanted + "\n")


def peer_versions() -> dict[str, str]:
    probe = (
        "from importlib.metadata import version as v; "
        "print(*(v(p) for p in ('django', 'django-otp', 'django-allauth', 'gunicorn')))"
    )
    found = run([PEER_PYTHON, "-c", probe]).split()
    return dict(zip(("django", "django_otp", "django_allauth", "gunicorn"), found, strict=True))


def peer_env(peer: Peer, database_url: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CAREKEY_"))},
        "PYTHONPATH": str(BENCH),
        "DJANGO_SETTINGS_MODULE": f"peers.{peer.site}.settings",
        "PEER_DATABASE": database_url,
    }


def peer_subject(peer: Peer, port: int) -> Subject:
    db = f"{database_name()}_peer_{peer.name}"
    return Subject(
        name=peer.name,
        db=db,
        env=peer_env(peer, f"{PG}/{db}"),
        out=WORK / "peers" / peer.name,
        port=port,
        calls=peer.calls,
        tool=[PEER_PYTHON, "-m", "django", "peer"],
        peer=peer,
    )


def fresh_database(subject: Subject) -> dict[str, float]:
    """Drop, create, migrate and seed the peer's database."""
    started = time.perf_counter()
    psql(f'DROP DATABASE IF EXISTS "{subject.db}"')
    psql(f'CREATE DATABASE "{subject.db}"')
    run([PEER_PYTHON, "-m", "django", "migrate", "-v0"], env=subject.env)
    run([PEER_PYTHON, "-m", "django", "peer", "seed", f"--users={SEED_USERS}"], env=subject.env)
    return {"users": SEED_USERS, "seconds": time.perf_counter() - started}


def _launch(subject: Subject, log_path: Path) -> Served:
    log_file = log_path.open("wb")
    proc = subprocess.Popen(  # noqa: S603 - the peers' interpreter and gunicorn
        [
            PEER_PYTHON,
            "-m",
            "gunicorn",
            "peers.common.wsgi:application",
            "--bind",
            f"127.0.0.1:{subject.port}",
            "--workers",
            str(WORKERS),
            "--timeout",
            "30",
            "--access-logfile",
            "-",
            "--forwarder-headers=",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=subject.env,
        cwd=ROOT,
        start_new_session=True,
    )
    return Served(subject.port, proc, log_path, log_file)


@contextmanager
def peer_server(subject: Subject) -> Iterator[int]:
    """The peer's gunicorn with every worker up and the port open; yields its pid."""
    subject.out.mkdir(parents=True, exist_ok=True)
    served = _launch(subject, subject.out / "server.log")

    def ready() -> bool:
        return len(children(served.proc.pid)) >= WORKERS and port_open(subject.port)

    try:
        wait_ready(served, ready, timeout=60)
    except ServeError as error:
        raise SystemExit(f"bench: {error}\n(see {subject.out / 'server.log'})") from error
    try:
        time.sleep(1.0)
        yield served.proc.pid
    finally:
        served.stop()
