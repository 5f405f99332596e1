"""Real `carekey serve` processes over throwaway PostgreSQL databases, for tests and load.

Everything here talks only to 127.0.0.1: the servers bind there and PostgreSQL is the local
one (`CAREKEY_RELIABILITY_PG`, default postgres://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet
from psycopg import sql

from reliability.serve import Served, launch, wait_ready
from reliability.serve import free_port as free_port  # tests import it from here
from reliability.webclient import Browser

PG_ADMIN_URL = os.environ.get(
    "CAREKEY_RELIABILITY_PG", "postgres://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "correct-horse-battery-9"
# Never inherited by a server: the test runner's own settings must not leak into it.
STRIPPED_ENV = ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "CAREKEY_BIND", "CAREKEY_DEBUG")


# --- PostgreSQL -------------------------------------------------------------------------


def _admin_conninfo() -> str:
    return PG_ADMIN_URL


def postgres_reachable() -> bool:
    try:
        with psycopg.connect(_admin_conninfo(), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def database_url(name: str, port: int = 5432) -> str:
    """A URL for `name` on the admin server, optionally through another local port."""
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    if port != 5432:
        base = base.replace(":5432", f":{port}")
    return f"{base}/{name}"


def create_database(prefix: str = "carekey_rel", template: str | None = None) -> str:
    name = f"{prefix}_{secrets.token_hex(4)}"
    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        query = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(query)
    return name


def drop_database(name: str) -> None:
    with psycopg.connect(_admin_conninfo(), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def query(name: str, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Rows of one read-only query against database `name` (for checking what was stored)."""
    with psycopg.connect(database_url(name), autocommit=True) as conn:
        return list(conn.execute(text, params).fetchall())


# --- configuration shared by every server of one deployment -----------------------------


@dataclass(frozen=True)
class Deployment:
    """What several servers must share to behave as one: the database and the keys."""

    database_url: str
    data_dir: Path
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    encryption_keys: str = field(default_factory=lambda: Fernet.generate_key().decode())

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
        env.update(
            {
                "CAREKEY_ENV": "development",
                "CAREKEY_DATA_DIR": str(self.data_dir),
                "DATABASE_URL": self.database_url,
                "CAREKEY_SECRET_KEY": self.secret_key,
                "CAREKEY_ENCRYPTION_KEYS": self.encryption_keys,
                "CAREKEY_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
                "DJANGO_SETTINGS_MODULE": "carekey.settings",
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env

    def with_database(self, url: str) -> Deployment:
        return Deployment(url, self.data_dir, self.secret_key, self.encryption_keys)


_SEED = """
import json, sys, django
django.setup()
from django.contrib.auth.hashers import make_password
from carekey.accounts.models import User
spec = json.load(sys.stdin)
hashed = make_password(spec["password"])
users = User.objects.bulk_create(
    User(email=e, name=spec["name"], password=hashed) for e in spec["emails"]
)
print(json.dumps([u.pk for u in users]))
"""


def seed_patients(
    deployment: Deployment, emails: list[str], password: str = PASSWORD, name: str = "Ana Patient"
) -> list[int]:
    """Create patients in one process (one password hash shared by all, to save time)."""
    spec = json.dumps({"emails": [e.lower() for e in emails], "password": password, "name": name})
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _SEED],
        input=spec,
        env=deployment.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"seeding patients failed: {result.stderr[-2000:]}")
    return [int(pk) for pk in json.loads(result.stdout.strip().splitlines()[-1])]


def migrate(deployment: Deployment) -> None:
    subprocess.run(
        [sys.executable, "-m", "carekey", "migrate", "--verbosity", "0"],
        env=deployment.env(),
        capture_output=True,
        timeout=300,
        check=True,
    )


# --- servers ----------------------------------------------------------------------------


class Server(Served):
    """A served CareKey as the tests reach it: over HTTP, with a browser-like client."""

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def browser(self, **kw: Any) -> Browser:
        return Browser(self.base, **kw)

    def answers(self) -> bool:
        try:
            self.browser(timeout=5).request("GET", "/api/v1/openapi.json")
        except OSError:
            return False
        return True


def start_server(
    deployment: Deployment,
    *,
    workers: int = 2,
    name: str = "server",
    timeout: float = 120,
    **extra_env: str,
) -> Server:
    """Start `carekey serve` and wait until it answers HTTP; stop it yourself (finally).

    Raises RuntimeError (serve.ServeError) with the end of its log if it never answers.
    """
    port = free_port()
    log_path = deployment.data_dir / f"{name}-{port}.log"
    server = launch(Server, sys.executable, port, workers, deployment.env(**extra_env), log_path)
    wait_ready(server, server.answers, timeout)
    return server


def status_lines(log: str) -> list[int]:
    """HTTP statuses from gunicorn's access log lines ('"GET /x HTTP/1.1" 200 ...')."""
    statuses = []
    for line in log.splitlines():
        head, sep, tail = line.partition('HTTP/1.1" ')
        if sep and head.count('"') >= 1:
            code = tail.split(" ", 1)[0]
            if code.isdigit():
                statuses.append(int(code))
    return statuses
