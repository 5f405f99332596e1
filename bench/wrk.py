"""One wrk run (bench/pool.lua) against a server, with the CPU it cost each side."""

from __future__ import annotations

import json
import math
import resource
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calls import BENCH, CONNECTIONS, ROOT, Call, Subject
from cpu import CLK_TCK, CpuSample, cpu_sample


@dataclass
class Measure:
    call: str
    requests: int
    sent: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: dict[str, int]
    app_cpu_ms: float  # per request
    db_cpu_ms: float
    wrk_cpu_ms: float
    other_cores: float  # other work on the machine meanwhile, in cores
    expected_share: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CpuSpent:
    """Milliseconds of CPU between two samples, and other work on the machine, in cores."""

    app_ms: float
    db_ms: float
    wrk_ms: float
    other_cores: float


def _wrk_args(port: int, pool: Path, mode: str, repeats: int, seconds: float) -> list[str]:
    return [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{max(1, math.ceil(seconds))}s",
        "--timeout",
        "20s",
        "-s",
        str(BENCH / "pool.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        str(pool),
        mode,
        str(repeats),
    ]


def _spent(
    before: CpuSample,
    after: CpuSample,
    wrk_before: resource.struct_rusage,
    wrk_after: resource.struct_rusage,
) -> CpuSpent:
    wrk_ms = (
        wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime
    ) * 1000
    app_ms = (after.app - before.app) * 1000 / CLK_TCK
    db_ms = after.db_since(before) * 1000 / CLK_TCK
    busy_ms = (after.busy - before.busy) * 1000 / CLK_TCK
    elapsed = max(after.at - before.at, 1e-6)
    other = max(0.0, busy_ms - app_ms - db_ms - wrk_ms) / 1000 / elapsed
    return CpuSpent(app_ms, db_ms, wrk_ms, other)


def _measure(call: Call, data: dict[str, Any], cpu: CpuSpent) -> Measure:
    requests = int(data["requests"])
    sent = max(int(data["sent"]), requests, 1)
    # wrk's duration is always the whole -d; a pool may be spent sooner.
    seconds_run = (data["active_us"] or data["duration_us"]) / 1e6
    statuses = {str(k): int(v) for k, v in data["statuses"].items()}
    return Measure(
        call=call.name,
        requests=requests,
        sent=sent,
        seconds=seconds_run,
        rps=requests / seconds_run if seconds_run else 0.0,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        statuses=statuses,
        errors={k: int(v) for k, v in data["errors"].items() if k != "status"},
        app_cpu_ms=cpu.app_ms / sent,
        db_cpu_ms=cpu.db_ms / sent,
        wrk_cpu_ms=cpu.wrk_ms / sent,
        other_cores=cpu.other_cores,
        expected_share=statuses.get(str(call.expect), 0) / max(requests, 1),
    )


def wrk(
    subject: Subject, pool: Path, mode: str, repeats: int, seconds: float, call: Call
) -> Measure:
    args = _wrk_args(subject.port, pool, mode, repeats, seconds)
    server_pid, db = subject.pid, subject.db
    before = cpu_sample(server_pid, db)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(  # noqa: S603
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate()
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    time.sleep(0.3)  # let requests still in flight finish before the CPU is read
    after = cpu_sample(server_pid, db)
    lines = [ln for ln in stdout.splitlines() if ln.startswith("BENCH_JSON ")]
    if process.returncode != 0 or not lines:
        raise SystemExit(f"bench: wrk failed for {call.name}: {stdout[-2000:]}{stderr[-2000:]}")
    data = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    return _measure(call, data, _spent(before, after, wrk_before, wrk_after))
