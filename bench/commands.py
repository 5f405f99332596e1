"""Running the programs the benchmark drives: a log line, a command, psql, the pool tools."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from calls import BENCH, PG, PYTHON, ROOT, Subject


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


def tool(subject: Subject, *args: str) -> Any:
    """The subject's pool tool (bench/dbtool.py, or a peer's `django peer`); its JSON answer."""
    out = run([*subject.tool, *args], env=subject.env)
    return json.loads(out.strip().splitlines()[-1])


def tools_at_once(jobs: list[tuple[Subject, list[str]]]) -> list[Any]:
    """Several subjects' pool tools side by side (each mostly waits on PostgreSQL); their
    JSON answers in the same order."""
    started = [
        subprocess.Popen(  # noqa: S603 - the subjects' own tools, arguments from bench/
            [*subject.tool, *args],
            env=subject.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for subject, args in jobs
    ]
    answers = []
    for (subject, args), process in zip(jobs, started, strict=True):
        out, err = process.communicate(timeout=3600)
        if process.returncode != 0:
            sys.stderr.write(out[-4000:] + err[-4000:])
            raise SystemExit(f"bench: {subject.name} {' '.join(args[:2])} failed")
        answers.append(json.loads(out.strip().splitlines()[-1]))
    return answers
