"""CPU accounting from /proc: the server's workers, the database's backends, the machine."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return int(fields[11]) + int(fields[12])


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(p) for p in text.split()]


def _postgres_backends(db: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if cmdline.startswith("postgres: ") and f" {db} " in cmdline:
            pids.append(int(entry.name))
    return pids


def _machine_busy_ticks() -> int:
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(values) - values[3] - values[4]


@dataclass
class CpuSample:
    app: int
    db: dict[int, int]  # per backend: one that ends between samples takes its CPU with it
    busy: int
    at: float

    def db_since(self, before: CpuSample) -> int:
        return sum(ticks - before.db.get(pid, 0) for pid, ticks in self.db.items())


def cpu_sample(server_pid: int, db: str) -> CpuSample:
    app = _cpu_ticks(server_pid) + sum(_cpu_ticks(p) for p in children(server_pid))
    backends = {p: _cpu_ticks(p) for p in _postgres_backends(db)}
    return CpuSample(app, backends, _machine_busy_ticks(), time.monotonic())
