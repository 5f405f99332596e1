"""What the figures were measured on: the machine, the software, the date."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

import reliability.harness as harness

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv: str) -> str:
    try:
        result = subprocess.run(  # noqa: S603 - fixed local commands
            argv, capture_output=True, text=True, timeout=10, check=False, cwd=ROOT
        )
    except OSError:
        return ""
    return result.stdout.strip()


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) // (1024 * 1024)} GiB"
    except OSError:
        pass
    return "unknown"


def _postgres_version() -> str:
    try:
        with psycopg.connect(harness.PG_ADMIN_URL, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return "not reachable"
    return str(row[0]) if row else "unknown"


def describe_machine() -> dict[str, Any]:
    commit = _run("git", "log", "-1", "--format=%h %s")
    dirty = bool(_run("git", "status", "--porcelain", "--untracked-files=no"))
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "uname": _run("uname", "-a") or platform.platform(),
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory": _memory(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": _postgres_version(),
        "commit": commit + (" (with uncommitted changes)" if dirty else ""),
    }
