"""CareKey's subjects: a database under test, its environment, seed and `carekey serve`."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from calls import (
    BENCH,
    FLOOR_PATH,
    PG,
    PYTHON,
    ROOT,
    SETTINGS,
    WORK,
    WORKERS,
    Dataset,
    Subject,
    carekey_calls,
)
from commands import dbtool, log, psql, run
from cpu import children

# reliability/ sits at the repository root, which a script in bench/ does not have on its path.
sys.path.append(str(ROOT))
from reliability.serve import Served, ServeError, launch, port_open, wait_ready


def floor_routed(env: dict[str, str]) -> bool:
    probe = (
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        f"try: resolve('/{FLOOR_PATH}'); print('yes')\nexcept Resolver404: print('no')"
    )
    return run([PYTHON, "-c", probe], env=env).strip().endswith("yes")


def app_env(db: str) -> dict[str, str]:
    """The server's and dbtool's environment: bench/ on the path for bench_settings."""
    path = os.pathsep.join(p for p in (str(BENCH), os.environ.get("PYTHONPATH", "")) if p)
    env = {
        **os.environ,
        "DATABASE_URL": f"{PG}/{db}",
        "CAREKEY_DATA_DIR": str(WORK / "data"),
        "CAREKEY_ENV": "development",
        "CAREKEY_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SETTINGS_MODULE": SETTINGS,
        "PYTHONPATH": path,
    }
    env.pop("CAREKEY_DEBUG", None)
    if not floor_routed(env):
        raise SystemExit(f"/{FLOOR_PATH} is not routed: is {SETTINGS} (bench/) loaded?")
    return env


def carekey_subject(ds: Dataset, port: int) -> Subject:
    return Subject(
        name=ds.name,
        db=ds.db,
        env=app_env(ds.db),
        out=WORK / ds.name,
        port=port,
        calls=carekey_calls(),
        tool=[PYTHON, str(BENCH / "dbtool.py")],
        ds=ds,
    )


def ensure_database(ds: Dataset, env: dict[str, str], reseed: bool) -> dict[str, Any]:
    query = f"SELECT 1 FROM pg_database WHERE datname = '{ds.db}'"  # noqa: S608
    exists = psql(query).strip() == "1"
    if exists and not reseed:
        run([PYTHON, "-m", "carekey", "migrate", "-v0"], env=env)
        have = dbtool(env, "seeded")
        if have == {"patients": ds.patients, "factors": ds.factors, "events": ds.events}:
            log(f"{ds.name}: reusing the seeded database {ds.db} (BENCH_RESEED=1 seeds anew)")
            return {"reused": True}
    log(f"{ds.name}: creating {ds.db} and seeding it")
    psql(f'DROP DATABASE IF EXISTS "{ds.db}"')
    psql(f'CREATE DATABASE "{ds.db}"')
    run([PYTHON, "-m", "carekey", "migrate", "-v0"], env=env)
    seeded = dbtool(
        env,
        "seed",
        f"--patients={ds.patients}",
        f"--factors={ds.factors}",
        f"--events={ds.events}",
    )
    log(f"{ds.name}: seeded in {seeded['total_s']:.0f} s")
    return {"reused": False, **seeded}


@contextmanager
def server(env: dict[str, str], out: Path, port: int) -> Iterator[int]:
    """`carekey serve` with every worker up and the port open; yields the master's pid."""
    served = launch(Served, PYTHON, port, WORKERS, env, out / "server.log", cwd=ROOT)

    def ready() -> bool:
        return len(children(served.proc.pid)) >= WORKERS and port_open(port)

    try:
        wait_ready(served, ready, timeout=60)
    except ServeError as error:
        raise SystemExit(f"bench: {error}\n(see {out / 'server.log'})") from error
    try:
        time.sleep(1.0)
        yield served.proc.pid
    finally:
        served.stop()
