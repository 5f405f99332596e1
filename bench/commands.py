"""Running the programs the benchmark drives: a log line, a command, psql, dbtool."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from calls import BENCH, PG, PYTHON, ROOT


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args: list[str], env: dict[str, str] | None = None, check: bool = True) -> str:
    result = subprocess.run(  # noqa: S603 - fixed programs, arguments from bench/
        args, env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=3600
    )
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"bench: {' '.join(args[:4])} failed ({result.returncode})")
    return result.stdout


def psql(sql: str, db: str = "postgres") -> str:
    return run(["psql", f"{PG}/{db}", "-qAtc", sql])


def dbtool(env: dict[str, str], *args: str) -> Any:
    """`python bench/dbtool.py ARGS` in the server's environment; its JSON answer."""
    out = run([PYTHON, str(BENCH / "dbtool.py"), *args], env=env)
    return json.loads(out.strip().splitlines()[-1])
